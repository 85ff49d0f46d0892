// The inspector's rings, their redaction and their JSON form for the cross-node mirror.
#include "engine/inspector.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>

#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/encoding.hpp"

namespace hookgate::engine {

namespace json = boost::json;

namespace {

// What an entry costs beyond its strings (the struct, the deque slot, allocator slack).
constexpr std::size_t kEntryOverhead = 256;
// A node name in ids and records stays short.
constexpr std::size_t kMaxNodeName = 256;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Names that carry credentials whatever the scheme.
constexpr std::string_view kAlwaysSecret[] = {"authorization", "proxy-authorization", "cookie",
                                              "set-cookie", "x-hook-secret"};
// Parts of names that say the value is a credential (x-gitlab-token, x-hub-signature-256,
// x-api-key, x-shopify-hmac-sha256...).
constexpr std::string_view kSecretWords[] = {"secret", "token", "signature",  "password", "key",
                                             "hmac",   "auth",  "credential", "session",  "passwd"};

}  // namespace

std::size_t CapturedRequest::bytes() const {
  std::size_t total = kEntryOverhead + verdict.size() + reason.size() + peer.size() +
                      method.size() + path.size() + body.size();
  for (const auto& [k, v] : headers)
    total += k.size() + v.size() + 32;
  for (const auto& r : redacted)
    total += r.size() + 32;
  return total;
}

std::string node_tag(std::string_view node) {
  return crypto::hex_encode(crypto::digest(crypto::DigestAlgorithm::sha256, node)).substr(0, 12);
}

Redactor::Redactor(const config::Source& source,
                   const std::vector<std::string>& signature_headers) {
  for (const auto& h : signature_headers)
    names_.push_back(lower(h));
  for (const auto& s : source.secrets) {
    if (!s.value.empty()) secrets_.push_back(s.value);
  }
  for (const auto* ref : {&source.verify_token, &source.pull_token, &source.stream_capability}) {
    if (*ref && !(*ref)->value.empty()) secrets_.push_back((*ref)->value);
  }
}

bool Redactor::secret(std::string_view name, std::string_view value) const {
  const std::string n = lower(name);
  for (const auto a : kAlwaysSecret) {
    if (n == a) return true;
  }
  for (const auto& s : names_) {
    if (n == s) return true;
  }
  for (const auto w : kSecretWords) {
    if (n.find(w) != std::string::npos) return true;
  }
  for (const auto& s : secrets_) {
    if (value.find(s) != std::string_view::npos) return true;
  }
  return false;
}

Inspector::Inspector(const config::Config& config, std::string node, StatsSeries* series,
                     InspectorLimits limits)
    : node_(std::move(node)), tag_(node_tag(node_)), series_(series), limits_(limits) {
  if (node_.size() > kMaxNodeName) {
    node_.resize(kMaxNodeName);
    tag_ = node_tag(node_);
  }
  // Counters start at the clock (microseconds): a node restarted under the same name never
  // hands out an n its previous life used, so ids and feed cursors stay unambiguous.
  next_n_ = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  static const std::vector<std::string> none;
  for (const auto& s : config.sources) {
    const auto* scheme = config.catalogue.find(s.scheme);
    slots_.push_back(std::make_unique<Slot>(s, scheme ? scheme->signature_headers : none));
  }
}

Inspector::Slot* Inspector::find(std::string_view source) const {
  for (const auto& s : slots_) {
    if (s->name == source) return s.get();
  }
  return nullptr;
}

std::string_view Inspector::path_of(std::string_view source) const {
  const auto* slot = find(source);
  return slot != nullptr ? std::string_view(slot->path) : std::string_view();
}

void Inspector::accepted(std::string_view source, std::int64_t now_ms) {
  if (auto* s = find(source)) s->accepted.fetch_add(1, std::memory_order_relaxed);
  if (series_ != nullptr) series_->add(StatsSeries::accepted, now_ms);
}

void Inspector::capture(std::string_view source, std::int64_t now_ms, const Request& request,
                        std::string_view verdict, std::string_view reason, int status,
                        std::int64_t seq) noexcept {
  auto* slot = find(source);
  if (slot == nullptr) return;
  try {
    if (series_ != nullptr) {
      if (verdict == "duplicate") {
        series_->add(StatsSeries::duplicate, now_ms);
      } else if (verdict == "refused") {
        series_->refused_for(reason, now_ms);
      }
    }
    CapturedRequest e;
    e.received_ms = now_ms;
    e.verdict = verdict;
    e.reason = reason;
    e.status = status;
    e.seq = seq;
    if (request.peer) e.peer = request.peer->to_string();
    e.method = request.method.substr(0, 16);
    e.path = request.target.substr(0, std::min<std::size_t>(request.target.find('?'), 2048));
    std::size_t header_bytes = 0;
    for (const auto& [name, value] : request.headers.items()) {
      const bool hide = slot->redactor.secret(name, value);
      const std::string_view shown = hide ? kRedacted : std::string_view(value);
      header_bytes += name.size() + shown.size();
      if (header_bytes > limits_.max_header_bytes) {
        e.headers_truncated = true;
        break;
      }
      e.headers.emplace_back(name, shown);
      if (hide) e.redacted.push_back(name);
    }
    e.body_size = request.body_size;
    e.body = request.body.substr(0, limits_.max_body_bytes);
    const std::size_t bytes = e.bytes();
    const std::lock_guard lock(slot->m);
    e.n = ++next_n_;
    slot->entries.push_back(std::move(e));
    slot->bytes += bytes;
    // The newest entry always stays (its own size is bounded far below max_bytes); the oldest
    // make room.
    while (slot->entries.size() > 1 &&
           (slot->entries.size() > limits_.max_entries || slot->bytes > limits_.max_bytes)) {
      slot->bytes -= slot->entries.front().bytes();
      slot->entries.pop_front();
    }
    slot->updated_ms = now_ms;
    ++slot->changes;
    if (verdict == "duplicate") {
      ++slot->duplicate;
    } else if (verdict == "refused") {
      ++slot->refused;
    }
  } catch (const std::exception&) {
    // Out of memory while copying: this request is not shown; its answer is unaffected.
  }
}

std::optional<Inspector::SourceCounts> Inspector::counts(std::string_view source) const {
  const auto* slot = find(source);
  if (slot == nullptr) return std::nullopt;
  SourceCounts c;
  c.accepted = slot->accepted.load(std::memory_order_relaxed);
  const std::lock_guard lock(slot->m);
  c.duplicate = slot->duplicate;
  c.refused = slot->refused;
  c.entries = slot->entries.size();
  c.bytes = slot->bytes;
  return c;
}

std::optional<Ring> Inspector::ring(std::string_view source) const {
  const auto* slot = find(source);
  if (slot == nullptr) return std::nullopt;
  Ring r;
  r.node = node_;
  const std::lock_guard lock(slot->m);
  r.updated_ms = slot->updated_ms;
  r.entries.assign(slot->entries.begin(), slot->entries.end());
  return r;
}

std::uint64_t Inspector::changes(std::string_view source) const {
  const auto* slot = find(source);
  if (slot == nullptr) return 0;
  const std::lock_guard lock(slot->m);
  return slot->changes;
}

bool Inspector::secret_header(std::string_view source, std::string_view name,
                              std::string_view value) const {
  const auto* slot = find(source);
  return slot == nullptr || slot->redactor.secret(name, value);
}

std::vector<std::string> Inspector::sources() const {
  std::vector<std::string> out;
  for (const auto& s : slots_)
    out.push_back(s->name);
  return out;
}

std::string encode_ring(const Ring& ring) {
  json::array entries;
  for (const auto& e : ring.entries) {
    json::array headers;
    for (const auto& [k, v] : e.headers)
      headers.push_back(json::array{json::string(k), json::string(v)});
    json::array redacted;
    for (const auto& r : e.redacted)
      redacted.push_back(json::string(r));
    entries.push_back(json::object{{"n", e.n},
                                   {"t", e.received_ms},
                                   {"verdict", e.verdict},
                                   {"reason", e.reason},
                                   {"status", e.status},
                                   {"peer", e.peer},
                                   {"method", e.method},
                                   {"path", e.path},
                                   {"seq", e.seq},
                                   {"headers", std::move(headers)},
                                   {"redacted", std::move(redacted)},
                                   {"headers_truncated", e.headers_truncated},
                                   {"body", crypto::base64_encode(e.body)},
                                   {"body_size", e.body_size}});
  }
  return json::serialize(json::object{
      {"node", ring.node}, {"updated_ms", ring.updated_ms}, {"entries", std::move(entries)}});
}

namespace {

bool read_string(const json::object& o, std::string_view key, std::string& out, std::size_t max) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string() || v->get_string().size() > max) return false;
  out = std::string(v->get_string());
  return true;
}

bool read_int(const json::object& o, std::string_view key, std::int64_t& out) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_int64()) return false;
  out = v->get_int64();
  return true;
}

std::optional<CapturedRequest> decode_entry(const json::value& v, const InspectorLimits& limits) {
  const auto* o = v.if_object();
  if (o == nullptr) return std::nullopt;
  CapturedRequest e;
  std::int64_t status = 0;
  std::int64_t body_size = 0;
  std::string body64;
  if (!read_int(*o, "n", e.n) || !read_int(*o, "t", e.received_ms) ||
      !read_string(*o, "verdict", e.verdict, 32) || !read_string(*o, "reason", e.reason, 64) ||
      !read_int(*o, "status", status) || !read_string(*o, "peer", e.peer, 64) ||
      !read_string(*o, "method", e.method, 16) || !read_string(*o, "path", e.path, 2048) ||
      !read_int(*o, "seq", e.seq) || !read_string(*o, "body", body64, limits.max_body_bytes * 2) ||
      !read_int(*o, "body_size", body_size) || body_size < 0) {
    return std::nullopt;
  }
  e.status = static_cast<int>(std::clamp<std::int64_t>(status, 0, 999));
  e.body_size = static_cast<std::size_t>(body_size);
  auto body = crypto::base64_decode(body64);
  if (!body || body->size() > limits.max_body_bytes) return std::nullopt;
  e.body = std::move(*body);
  const auto* headers = o->if_contains("headers");
  if (headers == nullptr || !headers->is_array()) return std::nullopt;
  std::size_t header_bytes = 0;
  for (const auto& h : headers->get_array()) {
    const auto* pair = h.if_array();
    if (pair == nullptr || pair->size() != 2 || !(*pair)[0].is_string() ||
        !(*pair)[1].is_string()) {
      return std::nullopt;
    }
    header_bytes += (*pair)[0].get_string().size() + (*pair)[1].get_string().size();
    if (header_bytes > limits.max_header_bytes) return std::nullopt;
    e.headers.emplace_back((*pair)[0].get_string(), (*pair)[1].get_string());
  }
  const auto* redacted = o->if_contains("redacted");
  if (redacted == nullptr || !redacted->is_array() ||
      redacted->get_array().size() > e.headers.size()) {
    return std::nullopt;
  }
  for (const auto& r : redacted->get_array()) {
    if (!r.is_string() || r.get_string().size() > 1024) return std::nullopt;
    e.redacted.emplace_back(r.get_string());
  }
  const auto* truncated = o->if_contains("headers_truncated");
  e.headers_truncated = truncated != nullptr && truncated->is_bool() && truncated->get_bool();
  return e;
}

}  // namespace

std::optional<Ring> decode_ring(std::string_view text, const InspectorLimits& limits) {
  // A record holds at most a ring's bytes, grown by base64 and JSON quoting.
  if (text.size() > limits.max_bytes * 3 + (64 << 10)) return std::nullopt;
  boost::system::error_code ec;
  const auto v = json::parse(text, ec);
  const auto* o = ec ? nullptr : v.if_object();
  if (o == nullptr) return std::nullopt;
  Ring r;
  if (!read_string(*o, "node", r.node, kMaxNodeName) || !read_int(*o, "updated_ms", r.updated_ms))
    return std::nullopt;
  const auto* entries = o->if_contains("entries");
  if (entries == nullptr || !entries->is_array() ||
      entries->get_array().size() > limits.max_entries) {
    return std::nullopt;
  }
  for (const auto& e : entries->get_array()) {
    auto entry = decode_entry(e, limits);
    if (!entry) return std::nullopt;
    r.entries.push_back(std::move(*entry));
  }
  return r;
}

}  // namespace hookgate::engine
