// Console sessions: what POST /console/login exchanges an admin key or an app-portal token for.
// A session is a record in the store (kind "console_session", id: the SHA-256 of the session id,
// which itself is never stored), so every node sharing the store accepts it. It carries the scope
// and a reference to the key it was made from (the stored key's hash, or a digest of the
// configured admin key), which is checked again on every use: a revoked or expired key, or an
// admin key removed from the config, ends its sessions at once. A portal session never outlives
// its token.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api/console_cookie.hpp"
#include "hookgate/config/config.hpp"
#include "hookgate/net/http_server.hpp"
#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "outbound/registry.hpp"

namespace hookgate::api {

inline constexpr std::string_view kCsrfHeader = "X-CSRF-Token";

// Who a valid session acts as.
struct ConsoleIdentity {
  std::string scope;                    // "admin" or the application id
  std::optional<outbound::ApiKey> key;  // the stored key behind it; empty: a configured key
  std::int64_t expires_ms = 0;
};

class ConsoleSessions {
 public:
  ConsoleSessions(const config::Config& config, store::Store& store, outbound::Registry& registry,
                  std::function<std::int64_t()> now_ms);

  struct Created {
    std::string id;  // the cookie value, known only to the client from now on
    ConsoleIdentity identity;
  };
  // An admin key (configured or stored) or an app-portal token. Any other key, and an unknown
  // one, is refused alike: nullopt. Errors are store errors.
  Result<std::optional<Created>> login(std::string_view key);
  // The identity of a live session (its key checked again), or nullopt.
  Result<std::optional<ConsoleIdentity>> find(std::string_view session_id);
  Result<bool> logout(std::string_view session_id);

  // The CSRF token of a session: a digest of its id, so any node can check it and it tells
  // nothing about the id. Compared with crypto::constant_time_equal.
  static std::string csrf_token(std::string_view session_id);
  // The session id a request's Cookie header carries (bounded, well formed), if any.
  static std::optional<std::string> cookie_session(const net::HttpRequest& request);
  // True when the request may change state with this session: its X-CSRF-Token matches.
  static bool csrf_ok(const net::HttpRequest& request, std::string_view session_id);

 private:
  // Deletes a bounded number of expired sessions (each login sweeps a little further).
  void sweep();

  const config::Config& config_;
  store::Store& store_;
  outbound::Registry& registry_;
  std::function<std::int64_t()> now_ms_;
  std::string sweep_cursor_;  // guarded by sweep_mutex_
  std::mutex sweep_mutex_;
};

}  // namespace hookgate::api
