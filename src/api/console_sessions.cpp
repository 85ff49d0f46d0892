// Console sessions (see console_sessions.hpp): login, lookup, logout, CSRF tokens, cookies.
#include "api/console_sessions.hpp"

#include <array>
#include <boost/json.hpp>

#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/random.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

constexpr std::string_view kSessionKind = "console_session";
constexpr std::size_t kMaxKey = 256;
constexpr std::size_t kSweepPage = 64;

std::string sha256_hex(std::string_view text) {
  const std::array<std::string_view, 1> pieces{text};
  return crypto::hex_encode(crypto::digest(crypto::DigestAlgorithm::sha256, pieces));
}

// The configured admin key whose digest is admin_digest, checked against every configured key
// so the time taken does not say which.
bool configured_admin(const config::Config& config, std::string_view admin_digest) {
  bool found = false;
  for (const auto& k : config.api.admin_keys) {
    found = crypto::constant_time_equal(sha256_hex(k.value), admin_digest) || found;
  }
  return found;
}

}  // namespace

ConsoleSessions::ConsoleSessions(const config::Config& config, store::Store& store,
                                 outbound::Registry& registry, std::function<std::int64_t()> now_ms)
    : config_(config), store_(store), registry_(registry), now_ms_(std::move(now_ms)) {}

Result<std::optional<ConsoleSessions::Created>> ConsoleSessions::login(std::string_view key) {
  if (key.empty() || key.size() > kMaxKey) return std::optional<Created>();
  const auto now = now_ms_();
  const auto ttl_ms = static_cast<std::int64_t>(config_.console.session_ttl.count()) * 1000;
  ConsoleIdentity identity;
  json::object body;
  bool admin = false;
  for (const auto& k : config_.api.admin_keys) {
    admin = crypto::constant_time_equal(key, k.value) || admin;
  }
  if (admin) {
    identity.scope = "admin";
    identity.expires_ms = now + ttl_ms;
    body["admin_key_sha256"] = sha256_hex(key);
  } else {
    auto found = registry_.find_api_key(std::string(key));
    if (!found) return Error{found.error()};
    // Only an admin key or an app-portal token opens the console; an application's ordinary
    // key is for its servers, and is refused exactly like an unknown one.
    if (!*found || ((*found)->scope != "admin" && (*found)->capabilities.empty())) {
      return std::optional<Created>();
    }
    identity.scope = (*found)->scope;
    identity.expires_ms = now + ttl_ms;
    if ((*found)->expires_ms != 0) {
      identity.expires_ms = std::min(identity.expires_ms, (*found)->expires_ms);
    }
    body["key_hash"] = (*found)->hash;
    identity.key = std::move(**found);
  }
  body["scope"] = identity.scope;
  body["expires_ms"] = identity.expires_ms;
  body["created_ms"] = now;
  sweep();
  Created created{
      std::string(kSessionPrefix) + crypto::random_string(kSessionRandom, crypto::kAlphanumeric),
      std::move(identity)};
  store::Record record{std::string(kSessionKind), sha256_hex(created.id), created.identity.scope,
                       json::serialize(body), 0};
  auto put = store_.put_record(record, 0);
  if (!put) return Error{put.error()};
  if (!*put) return Error{"internal: a session id was drawn twice"};
  return std::optional<Created>(std::move(created));
}

Result<std::optional<ConsoleIdentity>> ConsoleSessions::find(std::string_view session_id) {
  if (!well_formed_session_id(session_id)) return std::optional<ConsoleIdentity>();
  const auto id = sha256_hex(session_id);
  auto r = store_.record(kSessionKind, id);
  if (!r) return Error{r.error()};
  if (!*r) return std::optional<ConsoleIdentity>();
  boost::system::error_code ec;
  const auto parsed = json::parse((*r)->body, ec);
  if (ec || !parsed.is_object()) return Error{"internal: unreadable console session"};
  const auto& o = parsed.as_object();
  ConsoleIdentity identity;
  const auto* scope = o.if_contains("scope");
  const auto* expires = o.if_contains("expires_ms");
  if (scope == nullptr || !scope->is_string() || expires == nullptr || !expires->is_int64()) {
    return Error{"internal: unreadable console session"};
  }
  identity.scope = std::string(scope->as_string());
  identity.expires_ms = expires->as_int64();
  const auto gone = [&]() -> Result<std::optional<ConsoleIdentity>> {
    (void)store_.delete_record(kSessionKind, id);
    return std::optional<ConsoleIdentity>();
  };
  if (identity.expires_ms <= now_ms_()) return gone();
  if (const auto* admin = o.if_contains("admin_key_sha256"); admin != nullptr) {
    // The configured key may have been removed since: then the session is over.
    if (!admin->is_string() || identity.scope != "admin" ||
        !configured_admin(config_, admin->as_string())) {
      return gone();
    }
    return std::optional<ConsoleIdentity>(std::move(identity));
  }
  const auto* hash = o.if_contains("key_hash");
  if (hash == nullptr || !hash->is_string()) return Error{"internal: unreadable console session"};
  auto key = registry_.find_api_key_by_hash(std::string(hash->as_string()));
  if (!key) return Error{key.error()};
  // Revoked, expired or moved: the session goes with its key.
  if (!*key || (*key)->scope != identity.scope) return gone();
  identity.key = std::move(**key);
  return std::optional<ConsoleIdentity>(std::move(identity));
}

Result<bool> ConsoleSessions::logout(std::string_view session_id) {
  if (!well_formed_session_id(session_id)) return false;
  return store_.delete_record(kSessionKind, sha256_hex(session_id));
}

void ConsoleSessions::sweep() {
  // Sessions that are never used again would stay: each login looks at one page of them,
  // wrapping around, and deletes the expired ones. Best effort: a failure leaves them for later.
  std::string cursor;
  {
    std::lock_guard lock(sweep_mutex_);
    cursor = sweep_cursor_;
  }
  auto rows = store_.records(kSessionKind, "", cursor, kSweepPage);
  if (!rows) return;
  const auto now = now_ms_();
  for (const auto& row : *rows) {
    boost::system::error_code ec;
    const auto parsed = json::parse(row.body, ec);
    const json::value* expires = nullptr;
    if (!ec && parsed.is_object()) expires = parsed.as_object().if_contains("expires_ms");
    if (expires == nullptr || !expires->is_int64() || expires->as_int64() <= now) {
      (void)store_.delete_record(kSessionKind, row.id);
    }
  }
  std::lock_guard lock(sweep_mutex_);
  sweep_cursor_ = rows->size() < kSweepPage ? std::string() : rows->back().id;
}

std::string ConsoleSessions::csrf_token(std::string_view session_id) {
  return sha256_hex("hookgate console csrf\n" + std::string(session_id));
}

std::optional<std::string> ConsoleSessions::cookie_session(const net::HttpRequest& request) {
  return session_cookie(request.headers);
}

bool ConsoleSessions::csrf_ok(const net::HttpRequest& request, std::string_view session_id) {
  const auto given = request.headers.get(kCsrfHeader);
  if (!given || given->size() > 128) return false;
  return crypto::constant_time_equal(*given, csrf_token(session_id));
}

}  // namespace hookgate::api
