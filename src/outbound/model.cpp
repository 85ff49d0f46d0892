// JSON (de)serialisation of the outbound records and their small rules.
#include "outbound/model.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "hookgate/crypto/random.hpp"
#include "hookgate/schemes/catalogue.hpp"

namespace hookgate::outbound {

namespace json = boost::json;

namespace {

constexpr std::string_view kIdAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t int64(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return 0;
}

bool boolean(const json::object& o, std::string_view key, bool fallback) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_bool() ? v->as_bool() : fallback;
}

json::object metadata_json(const Metadata& m) {
  json::object o;
  for (const auto& [k, v] : m)
    o[k] = v;
  return o;
}

Metadata metadata_of(const json::object& o) {
  Metadata m;
  if (const auto* v = o.if_contains("metadata"); v != nullptr && v->is_object()) {
    for (const auto& [k, x] : v->as_object()) {
      if (x.is_string()) m.emplace(std::string(k), std::string(x.as_string()));
    }
  }
  return m;
}

std::vector<std::string> strings_of(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* a = o.if_contains(key); a != nullptr && a->is_array()) {
    for (const auto& v : a->as_array()) {
      if (v.is_string()) out.emplace_back(v.as_string());
    }
  }
  return out;
}

Result<json::object> parse_object(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return Error{"stored " + std::string(what) + " is not a JSON object"};
  return std::move(v.as_object());
}

}  // namespace

std::string_view to_string(Verification v) {
  switch (v) {
    case Verification::none:
      return "none";
    case Verification::echo:
      return "echo";
    case Verification::challenge:
      return "challenge";
    case Verification::hmac_challenge:
      return "hmac_challenge";
  }
  return "none";
}

std::optional<Verification> parse_verification(std::string_view text) {
  if (text == "none") return Verification::none;
  if (text == "echo") return Verification::echo;
  if (text == "challenge") return Verification::challenge;
  if (text == "hmac_challenge") return Verification::hmac_challenge;
  return std::nullopt;
}

bool Endpoint::wants(std::string_view event_type,
                     const std::vector<std::string>& message_channels) const {
  const bool type_ok = event_types.empty() || std::find(event_types.begin(), event_types.end(),
                                                        event_type) != event_types.end();
  if (!type_ok) return false;
  if (channels.empty()) return true;
  return std::any_of(message_channels.begin(), message_channels.end(), [&](const auto& c) {
    return std::find(channels.begin(), channels.end(), c) != channels.end();
  });
}

std::vector<SigningKey> Endpoint::live_keys(std::int64_t now_ms) const {
  std::vector<SigningKey> out;
  for (const auto& k : keys) {
    if (k.expires_ms == 0 || k.expires_ms > now_ms) out.push_back(k);
  }
  return out;
}

const schemes::Scheme& standard_webhooks() {
  // Built once and never changed: read-only shared data, not mutable state.
  static const auto catalogue = schemes::Catalogue::with_builtins();
  return *catalogue->find("standard-webhooks");
}

std::string new_id(std::string_view prefix) {
  return std::string(prefix) + crypto::random_string(20, kIdAlphabet);
}

std::string to_json(const App& app) {
  json::object o{{"id", app.id},
                 {"uid", app.uid},
                 {"name", app.name},
                 {"metadata", metadata_json(app.metadata)},
                 {"created_ms", app.created_ms},
                 {"updated_ms", app.updated_ms}};
  if (app.throttle_rate) o["throttle_rate"] = *app.throttle_rate;
  return json::serialize(o);
}

std::string to_json(const EventType& t) {
  json::object o{{"name", t.name},
                 {"description", t.description},
                 {"archived", t.archived},
                 {"deprecated", t.deprecated},
                 {"schemas", t.schemas},
                 {"feature_flags", json::array(t.feature_flags.begin(), t.feature_flags.end())},
                 {"group_name", t.group_name},
                 {"created_ms", t.created_ms},
                 {"updated_ms", t.updated_ms}};
  return json::serialize(o);
}

std::string to_json(const Endpoint& e) {
  json::array types(e.event_types.begin(), e.event_types.end());
  json::array channels(e.channels.begin(), e.channels.end());
  json::object headers;
  for (const auto& [k, v] : e.headers)
    headers[k] = v;
  json::array keys;
  for (const auto& k : e.keys) {
    keys.push_back(json::object{
        {"secret", k.secret}, {"public_key", k.public_key}, {"expires_ms", k.expires_ms}});
  }
  return json::serialize(json::object{{"id", e.id},
                                      {"app_id", e.app_id},
                                      {"uid", e.uid},
                                      {"metadata", metadata_json(e.metadata)},
                                      {"url", e.url},
                                      {"description", e.description},
                                      {"event_types", types},
                                      {"channels", channels},
                                      {"enabled", e.enabled},
                                      {"disabled_reason", e.disabled_reason},
                                      {"rate_limit", e.rate_limit},
                                      {"rate_burst", e.rate_burst},
                                      {"headers", headers},
                                      {"ed25519", e.ed25519},
                                      {"keys", keys},
                                      {"verification", to_string(e.verification)},
                                      {"verified", e.verified},
                                      {"verification_error", e.verification_error},
                                      {"encryption_key", e.encryption_key},
                                      {"failing_since_ms", e.failing_since_ms},
                                      {"created_ms", e.created_ms},
                                      {"updated_ms", e.updated_ms}});
}

std::string to_json(const ApiKey& k) {
  return json::serialize(
      json::object{{"hash", k.hash},
                   {"prefix", k.prefix},
                   {"name", k.name},
                   {"scope", k.scope},
                   {"created_ms", k.created_ms},
                   {"expires_ms", k.expires_ms},
                   {"session_id", k.session_id},
                   {"capabilities", json::array(k.capabilities.begin(), k.capabilities.end())},
                   {"feature_flags", json::array(k.feature_flags.begin(), k.feature_flags.end())}});
}

Result<App> app_from_json(std::string_view text, std::int64_t version) {
  auto o = parse_object(text, "application");
  if (!o) return Error{o.error()};
  App a;
  a.id = str(*o, "id");
  a.uid = str(*o, "uid");
  a.name = str(*o, "name");
  if (const auto* r = o->if_contains("throttle_rate"); r != nullptr && r->is_number()) {
    a.throttle_rate = r->to_number<double>();
  }
  a.metadata = metadata_of(*o);
  a.created_ms = int64(*o, "created_ms");
  // Records written before updates existed: never updated since creation.
  a.updated_ms = o->contains("updated_ms") ? int64(*o, "updated_ms") : a.created_ms;
  a.version = version;
  return a;
}

Result<Endpoint> endpoint_from_json(std::string_view text, std::int64_t version) {
  auto parsed = parse_object(text, "endpoint");
  if (!parsed) return Error{parsed.error()};
  const auto& o = *parsed;
  Endpoint e;
  e.id = str(o, "id");
  e.app_id = str(o, "app_id");
  e.uid = str(o, "uid");
  e.metadata = metadata_of(o);
  e.url = str(o, "url");
  e.description = str(o, "description");
  if (const auto* t = o.if_contains("event_types"); t != nullptr && t->is_array()) {
    for (const auto& v : t->as_array()) {
      if (v.is_string()) e.event_types.emplace_back(v.as_string());
    }
  }
  if (const auto* c = o.if_contains("channels"); c != nullptr && c->is_array()) {
    for (const auto& v : c->as_array()) {
      if (v.is_string()) e.channels.emplace_back(v.as_string());
    }
  }
  e.enabled = boolean(o, "enabled", true);
  e.disabled_reason = str(o, "disabled_reason");
  if (const auto* r = o.if_contains("rate_limit"); r != nullptr && r->is_number()) {
    e.rate_limit = r->to_number<double>();
  }
  // Absent in records written before the setting existed: 1, the behaviour they had.
  if (const auto* b = o.if_contains("rate_burst"); b != nullptr && b->is_int64()) {
    e.rate_burst = static_cast<int>(std::clamp<std::int64_t>(b->as_int64(), 1, 1000));
  }
  if (const auto* h = o.if_contains("headers"); h != nullptr && h->is_object()) {
    for (const auto& [k, v] : h->as_object()) {
      if (v.is_string()) e.headers.emplace(std::string(k), std::string(v.as_string()));
    }
  }
  e.ed25519 = boolean(o, "ed25519", false);
  if (const auto* keys = o.if_contains("keys"); keys != nullptr && keys->is_array()) {
    for (const auto& v : keys->as_array()) {
      if (!v.is_object()) continue;
      const auto& k = v.as_object();
      e.keys.push_back(SigningKey{str(k, "secret"), str(k, "public_key"), int64(k, "expires_ms")});
    }
  }
  e.verification = parse_verification(str(o, "verification")).value_or(Verification::none);
  e.verified = boolean(o, "verified", false);
  e.verification_error = str(o, "verification_error");
  e.encryption_key = str(o, "encryption_key");
  e.failing_since_ms = int64(o, "failing_since_ms");
  e.created_ms = int64(o, "created_ms");
  e.updated_ms = int64(o, "updated_ms");
  e.version = version;
  return e;
}

Result<ApiKey> api_key_from_json(std::string_view text) {
  auto o = parse_object(text, "API key");
  if (!o) return Error{o.error()};
  ApiKey k;
  k.hash = str(*o, "hash");
  k.prefix = str(*o, "prefix");
  k.name = str(*o, "name");
  k.scope = str(*o, "scope");
  k.created_ms = int64(*o, "created_ms");
  k.expires_ms = int64(*o, "expires_ms");
  k.session_id = str(*o, "session_id");
  k.capabilities = strings_of(*o, "capabilities");
  k.feature_flags = strings_of(*o, "feature_flags");
  return k;
}

Result<EventType> event_type_from_json(std::string_view text, std::int64_t version) {
  auto o = parse_object(text, "event type");
  if (!o) return Error{o.error()};
  EventType t;
  t.name = str(*o, "name");
  t.description = str(*o, "description");
  t.archived = boolean(*o, "archived", false);
  t.deprecated = boolean(*o, "deprecated", false);
  t.schemas = str(*o, "schemas");
  t.feature_flags = strings_of(*o, "feature_flags");
  t.group_name = str(*o, "group_name");
  t.created_ms = int64(*o, "created_ms");
  t.updated_ms = int64(*o, "updated_ms");
  t.version = version;
  return t;
}

}  // namespace hookgate::outbound
