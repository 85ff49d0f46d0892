// Rebuilding a gateway event (exact body bytes, forwardable headers) from its stream envelope
// or a pull page.
#include "hookgate/relay/stream_event.hpp"

#include <array>
#include <boost/json.hpp>

#include "hookgate/crypto/encoding.hpp"

namespace hookgate::relay {

namespace {

bool token_char(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The envelope's own top-level keys, which are not headers.
bool envelope_key(std::string_view name) {
  return name == "body" || name == "query" || name == "timestamp" || name == "x-hookgate";
}

const boost::json::object* object_at(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr ? v->if_object() : nullptr;
}

std::string string_at(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->as_string());
}

std::int64_t int_at(const boost::json::object& o, std::string_view key, std::int64_t fallback) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_int64()) return fallback;
  return v->as_int64();
}

Result<std::string> decode_body(const boost::json::object& o, std::size_t max_body_bytes) {
  const auto* b64 = o.if_contains("body_base64");
  if (b64 == nullptr || !b64->is_string()) return Error{"no body_base64"};
  if (b64->as_string().size() / 4 * 3 > max_body_bytes + 3) {
    return Error{"the body exceeds " + std::to_string(max_body_bytes) + " bytes"};
  }
  auto body = crypto::base64_decode(std::string_view(b64->as_string()));
  if (!body) return Error{"body_base64 is not base64"};
  if (body->size() > max_body_bytes) {
    return Error{"the body exceeds " + std::to_string(max_body_bytes) + " bytes"};
  }
  return std::move(*body);
}

void add_headers(const boost::json::object& headers, bool skip_envelope_keys,
                 schemes::HeaderList& out) {
  for (const auto& [name, value] : headers) {
    if (!value.is_string()) continue;
    if (skip_envelope_keys && envelope_key(lower(name))) continue;
    if (!forwardable_header(name, value.as_string())) continue;
    out.add(std::string(name), std::string(value.as_string()));
  }
}

}  // namespace

bool forwardable_header(std::string_view name, std::string_view value) {
  if (name.empty() || name.size() > 256) return false;
  for (const char c : name) {
    if (!token_char(c)) return false;
  }
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u != '\t' && (u < 0x20 || u == 0x7f)) return false;
  }
  static constexpr std::array<std::string_view, 10> kOwn = {
      "connection", "keep-alive", "transfer-encoding", "te",     "trailer",
      "upgrade",    "host",       "content-length",    "expect", "proxy-connection"};
  const auto l = lower(name);
  for (const auto own : kOwn) {
    if (l == own) return false;
  }
  return !l.starts_with("proxy-");
}

Result<StreamEvent> decode_stream_event(std::string_view envelope, std::size_t max_body_bytes) {
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(envelope, ec);
  if (ec || !parsed.is_object()) return Error{"the event is not a JSON object"};
  const auto& o = parsed.as_object();
  const auto* group = object_at(o, "x-hookgate");
  if (group == nullptr) return Error{"the event has no x-hookgate group"};
  StreamEvent e;
  e.seq = int_at(*group, "seq", -1);
  if (e.seq < 0) return Error{"the event has no seq"};
  e.source = string_at(*group, "source");
  e.event_type = string_at(*group, "event_type");
  e.verdict = string_at(*group, "verdict");
  e.received_ms = int_at(*group, "received_ms", 0);
  auto body = decode_body(*group, max_body_bytes);
  if (!body) return Error{"event " + std::to_string(e.seq) + ": " + body.error()};
  e.body = std::move(*body);
  add_headers(o, true, e.headers);
  return e;
}

Result<std::vector<StreamEvent>> decode_pull_page(std::string_view page, const std::string& source,
                                                  std::size_t max_body_bytes) {
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(page, ec);
  if (ec || !parsed.is_object()) return Error{"the page is not a JSON object"};
  const auto* events = parsed.as_object().if_contains("events");
  if (events == nullptr || !events->is_array()) return Error{"the page has no events"};
  std::vector<StreamEvent> out;
  for (const auto& item : events->as_array()) {
    if (!item.is_object()) return Error{"an event of the page is not an object"};
    const auto& o = item.as_object();
    StreamEvent e;
    e.seq = int_at(o, "seq", -1);
    if (e.seq < 0) return Error{"an event of the page has no seq"};
    e.source = source;
    e.event_type = string_at(o, "event_type");
    e.verdict = "accepted";
    e.received_ms = int_at(o, "received_ms", 0);
    auto body = decode_body(o, max_body_bytes);
    if (!body) return Error{"event " + std::to_string(e.seq) + ": " + body.error()};
    e.body = std::move(*body);
    if (const auto* h = object_at(o, "headers")) add_headers(*h, false, e.headers);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace hookgate::relay
