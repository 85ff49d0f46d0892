// Building the smee-compatible envelope of a stored event.
#include "api/stream_envelope.hpp"

#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <string_view>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/utf8.hpp"

namespace hookgate::api {

namespace {

// Headers a forwarder sets itself or must not pass on (RFC 9110 7.6.1 hop-by-hop fields, the
// framing, the Host of the gateway), and the envelope's own keys, which a header must not shadow.
bool left_out(std::string_view lower) {
  static constexpr std::array<std::string_view, 14> kNames = {"connection",
                                                              "keep-alive",
                                                              "proxy-connection",
                                                              "transfer-encoding",
                                                              "te",
                                                              "trailer",
                                                              "upgrade",
                                                              "host",
                                                              "content-length",
                                                              "expect",
                                                              "body",
                                                              "query",
                                                              "timestamp",
                                                              kEnvelopeGroup};
  for (const auto n : kNames) {
    if (lower == n) return true;
  }
  return lower.starts_with("proxy-");
}

boost::json::value body_value(const std::string& body) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(body, ec);
  if (!ec) return parsed;
  if (valid_utf8(body)) return boost::json::string(body);
  return nullptr;
}

}  // namespace

std::string stream_envelope(const store::Event& event) {
  boost::json::object envelope;
  boost::system::error_code ec;
  const auto headers = boost::json::parse(event.headers, ec);
  if (!ec && headers.is_object()) {
    for (const auto& [name, value] : headers.as_object()) {
      if (!value.is_string()) continue;
      std::string lower(name);
      for (auto& c : lower)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (left_out(lower)) continue;
      envelope[lower] = value;
    }
  }
  envelope["body"] = body_value(event.body);
  // The query string of the provider's request is not stored: nothing to add to the target URL.
  envelope["query"] = boost::json::object();
  envelope["timestamp"] = event.received_ms;
  envelope[kEnvelopeGroup] =
      boost::json::object{{"seq", event.seq},
                          {"source", event.source},
                          {"event_type", event.event_type},
                          {"verdict", "accepted"},
                          {"received_ms", event.received_ms},
                          {"body_base64", crypto::base64_encode(event.body)}};
  return boost::json::serialize(envelope);
}

std::string sse_event(const store::Event& event) {
  std::string out = "id: " + std::to_string(event.seq) + "\ndata: ";
  out += stream_envelope(event);
  out += "\n\n";
  return out;
}

std::string sse_ready(const std::string& source, std::int64_t after, std::int64_t retry_ms) {
  return "retry: " + std::to_string(retry_ms) + "\nevent: ready\ndata: " +
         boost::json::serialize(boost::json::object{{"source", source}, {"after", after}}) + "\n\n";
}

}  // namespace hookgate::api
