// ConsoleServer: /console (the operator console) and /portal (an application's customer portal)
// when [console] is on. Serves the compiled-in assets (console_assets.hpp) with ETag and
// Cache-Control, and the session resources: POST /console/login (an admin key or an app-portal
// token for a session cookie), GET /console/session (who the cookie is, and its CSRF token),
// POST /console/logout. Every answer carries the console's strict security headers; failed
// logins are rate limited per client address and overall, so the login is no key-guessing oracle.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "api/console_sessions.hpp"
#include "hookgate/config/config.hpp"
#include "hookgate/net/http_server.hpp"

namespace hookgate::api {

class ConsoleServer {
 public:
  ConsoleServer(const config::Config& config, ConsoleSessions& sessions,
                std::function<std::int64_t()> now_ms);

  // True for the paths this serves (/console, /console/..., /portal, /portal/...).
  static bool owns(std::string_view path);
  // May block (session reads and writes): runs on a worker. Must not throw.
  net::HttpResponse handle(const net::HttpRequest& request, std::string& verdict);

  // Failed logins allowed per client address, and from all addresses, per window.
  static constexpr int kFailuresPerAddress = 10;
  static constexpr int kFailuresOverall = 200;
  static constexpr std::chrono::seconds kFailureWindow{60};

 private:
  net::HttpResponse asset(const net::HttpRequest& request, std::string_view name,
                          std::string& verdict) const;
  net::HttpResponse login(const net::HttpRequest& request, std::string& verdict);
  net::HttpResponse session(const net::HttpRequest& request, std::string& verdict);
  net::HttpResponse logout(const net::HttpRequest& request, std::string& verdict);
  // Whether this address may try a login now; note_failure counts a refused one.
  bool may_try(const std::string& address);
  void note_failure(const std::string& address);

  const config::Config& config_;
  ConsoleSessions& sessions_;
  std::function<std::int64_t()> now_ms_;

  struct Failures {
    std::int64_t window_start_ms = 0;
    int count = 0;
  };
  std::mutex limiter_mutex_;
  std::unordered_map<std::string, Failures> failures_;  // bounded: kMaxTracked addresses
  Failures overall_;
};

}  // namespace hookgate::api
