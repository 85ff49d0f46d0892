// HTTP destinations: request building (signature, bearer token, content type) and the mapping of
// the client's answer onto an attempt outcome.
#include "http_sender.hpp"

#include <boost/json.hpp>
#include <exception>

#include "hookgate/schemes/builtin.hpp"
#include "hookgate/schemes/key.hpp"
#include "hookgate/schemes/sign.hpp"

namespace hookgate::engine {

namespace {

constexpr std::string_view kSchemeOrigin = "providers/standard-webhooks.toml";
constexpr std::string_view kUserAgent = "Hookgate/" HOOKGATE_VERSION;

// The Content-Type the event arrived with, when the source kept it (header names as configured,
// so compared case-insensitively).
std::string content_type(const std::string& headers_json) {
  boost::system::error_code ec;
  const auto headers = boost::json::parse(headers_json, ec);
  if (!ec && headers.is_object()) {
    for (const auto& [name, value] : headers.as_object()) {
      if (schemes::iequals(name, "Content-Type") && value.is_string() &&
          !value.as_string().empty()) {
        return std::string(value.as_string());
      }
    }
  }
  return "application/json";
}

net::HttpClientOptions client_options(net::OutboundPolicy policy) {
  net::HttpClientOptions options;
  options.policy = std::move(policy);
  options.max_response_body_bytes = kMaxRecordedResponse;
  return options;
}

}  // namespace

HttpSender::HttpSender(net::OutboundPolicy policy, Clock clock) : clock_(std::move(clock)) {
  auto client = net::HttpClient::create(client_options(std::move(policy)));
  if (client) {
    client_.emplace(std::move(*client));
  } else {
    setup_error_ = "http client: " + client.error();
  }
  load_scheme();
}

HttpSender::HttpSender(net::HttpClient client, Clock clock)
    : client_(std::move(client)), clock_(std::move(clock)) {
  load_scheme();
}

void HttpSender::load_scheme() {
  if (!clock_) clock_ = [] { return std::chrono::system_clock::now(); };
  for (const auto& builtin : schemes::builtin_scheme_texts()) {
    if (builtin.origin != kSchemeOrigin) continue;
    auto scheme = schemes::load_scheme(builtin.text, builtin.origin);
    if (scheme) {
      scheme_.emplace(std::move(*scheme));
    } else if (setup_error_.empty()) {
      setup_error_ = "standard-webhooks scheme: " + scheme.error();
    }
    return;
  }
  if (setup_error_.empty()) setup_error_ = "standard-webhooks scheme is not built in";
}

Result<net::OutboundRequest> HttpSender::request(const store::Delivery& delivery,
                                                 const config::Destination& destination) const {
  if (destination.kind != config::Destination::Kind::http) {
    return Error{"destination " + destination.name + " is not an http destination"};
  }
  if (!scheme_) return Error{setup_error_};
  const auto& event = delivery.event;
  net::OutboundRequest request;
  request.url = destination.url;
  request.body = event.body;
  request.timeout = destination.timeout;
  request.headers.add("User-Agent", std::string(kUserAgent));
  request.headers.add("Content-Type", content_type(event.headers));
  if (destination.sign == "standard-webhooks") {
    if (!destination.secret) {
      return Error{"destination " + destination.name + " signs but has no secret"};
    }
    auto key = schemes::Key::parse_secret(*scheme_, destination.secret->value);
    if (!key) return Error{"signing secret of " + destination.name + ": " + key.error()};
    schemes::SignInput input;
    input.url = destination.url;
    input.body = event.body;
    // The same id on every attempt lets receivers de-duplicate retries; the timestamp is the
    // attempt's own, so a late retry is not refused as a replay.
    input.id = "evt_" + std::to_string(event.seq);
    input.timestamp = clock_();
    auto signed_headers = schemes::sign(*scheme_, input, std::span(&*key, 1));
    if (!signed_headers) {
      return Error{"signing for " + destination.name + ": " + signed_headers.error()};
    }
    for (const auto& [name, value] : signed_headers->items())
      request.headers.add(name, value);
  }
  if (destination.bearer) {
    request.headers.add("Authorization", "Bearer " + destination.bearer->value);
  }
  return request;
}

SendResult send_result(Result<net::HttpClientResponse> response) {
  SendResult result;
  if (!response) {
    result.outcome.error = response.error();
    return result;
  }
  result.outcome.status = response->status;
  if (response->status == 429 || response->status == 503) {
    if (const auto retry_after = response->headers.get("Retry-After")) {
      result.outcome.retry_after = parse_retry_after(*retry_after);
    }
  }
  result.response = std::move(response->body);
  if (result.response.size() > kMaxRecordedResponse) result.response.resize(kMaxRecordedResponse);
  return result;
}

SendResult HttpSender::send(const store::Delivery& delivery, const config::Destination& destination,
                            int /*attempt*/) {
  SendResult result;
  try {
    if (!client_) {
      result.outcome.error = setup_error_;
      return result;
    }
    auto built = request(delivery, destination);
    if (!built) {
      result.outcome.error = built.error();
      return result;
    }
    return send_result(client_->post(*built));
  } catch (const std::exception& e) {
    result.outcome.error = std::string("http sender: ") + e.what();
  }
  return result;
}

}  // namespace hookgate::engine
