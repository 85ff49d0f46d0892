// Sending one gateway event to the local server: the request (original or re-signed) and the
// retry loop.
#include "hookgate/relay/forwarder.hpp"

#include <boost/json.hpp>
#include <thread>

#include "hookgate/net/http_url.hpp"
#include "hookgate/relay/backoff.hpp"
#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/sign.hpp"

namespace hookgate::relay {

namespace {

bool retryable(int status) {
  return status == 0 || status == 408 || status == 429 || status >= 500;
}

}  // namespace

Result<Forwarder> Forwarder::create(const ForwardOptions& options) {
  auto url = net::parse_http_url(options.target_url);
  if (!url) return Error{"--forward-to: " + url.error()};
  Forwarder f;
  f.options_ = options;
  net::HttpClientOptions client_options;
  // The target is the developer's own server (usually localhost): any address may be dialled.
  auto everywhere = net::OutboundPolicy::make({"0.0.0.0/0", "::/0"}, false);
  if (!everywhere) return Error{everywhere.error()};
  client_options.policy = std::move(*everywhere);
  client_options.timeout = options.timeout;
  client_options.ca_file = options.ca_file;
  client_options.max_response_body_bytes = 4096;
  auto client = net::HttpClient::create(client_options);
  if (!client) return Error{client.error()};
  f.client_ = std::make_shared<const net::HttpClient>(std::move(*client));
  if (!options.sign_secret.empty()) {
    auto catalogue = schemes::Catalogue::with_builtins();
    if (!catalogue) return Error{catalogue.error()};
    const auto* scheme = catalogue->find("standard-webhooks");
    if (scheme == nullptr) return Error{"the standard-webhooks scheme is not built in"};
    auto key = schemes::Key::parse_secret(*scheme, options.sign_secret);
    if (!key) return Error{"--sign: " + key.error()};
    f.scheme_ = std::make_shared<const schemes::Scheme>(*scheme);
    f.key_ = std::make_shared<const schemes::Key>(std::move(*key));
  }
  return f;
}

Result<net::OutboundRequest> Forwarder::request_for(const StreamEvent& event) const {
  net::OutboundRequest r;
  r.method = "POST";
  r.url = options_.target_url;
  for (const auto& [name, value] : event.headers.items()) {
    if (forwardable_header(name, value)) r.headers.add(name, value);
  }
  if (r.headers.count("Content-Type") == 0) {
    boost::system::error_code ec;
    boost::json::parse(event.body, ec);
    r.headers.add("Content-Type", ec ? "application/octet-stream" : "application/json");
  }
  if (key_) {
    schemes::SignInput input;
    input.body = event.body;
    input.url = options_.target_url;
    input.id = event.source + "-" + std::to_string(event.seq);
    auto signed_headers =
        schemes::sign(*scheme_, input, std::span<const schemes::Key>(key_.get(), 1));
    if (!signed_headers) return Error{"--sign: " + signed_headers.error()};
    for (const auto& [name, value] : signed_headers->items())
      r.headers.set(name, value);
  }
  r.body = event.body;
  return r;
}

ForwardOutcome Forwarder::deliver(const StreamEvent& event, const RetryFn& on_retry) const {
  Backoff backoff(std::chrono::milliseconds(500), options_.backoff_cap);
  ForwardOutcome out;
  for (;;) {
    ++out.attempts;
    // Re-signed requests are signed again per attempt: the timestamp stays fresh.
    auto request = request_for(event);
    if (!request) {
      out.error = request.error();
      return out;
    }
    const auto started = std::chrono::steady_clock::now();
    auto response = client_->post(*request);
    out.latency = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    if (response) {
      out.status = response->status;
      out.error.clear();
    } else {
      out.status = 0;
      out.error = response.error();
    }
    out.accepted = out.status >= 200 && out.status < 300;
    if (out.accepted || !retryable(out.status)) return out;
    if (options_.max_attempts > 0 && out.attempts >= options_.max_attempts) return out;
    const auto wait = backoff.next();
    if (on_retry) on_retry(out, wait);
    std::this_thread::sleep_for(wait);
  }
}

}  // namespace hookgate::relay
