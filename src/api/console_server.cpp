// /console and /portal: assets, login, session, logout (see console_server.hpp).
#include "api/console_server.hpp"

#include <boost/json.hpp>

#include "api/api_wire.hpp"
#include "api/console_assets.hpp"
#include "api/iso8601.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

constexpr std::string_view kConsole = "/console";
constexpr std::string_view kPortal = "/portal";
constexpr std::string_view kAssets = "/console/assets/";
constexpr std::size_t kMaxTracked = 4096;
constexpr std::size_t kMaxLoginBody = 4096;

// No inline script or style anywhere, nothing from elsewhere, never framed.
constexpr std::string_view kCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

void secure_headers(net::HttpResponse& r) {
  r.headers.set("Content-Security-Policy", std::string(kCsp));
  r.headers.set("X-Content-Type-Options", "nosniff");
  r.headers.set("Referrer-Policy", "no-referrer");
  r.headers.set("X-Frame-Options", "DENY");
  r.headers.set("Cross-Origin-Opener-Policy", "same-origin");
  r.headers.set("Cross-Origin-Resource-Policy", "same-origin");
}

const ConsoleAsset* find_asset(std::string_view name) {
  for (const auto& a : console_assets()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::string cookie(const net::HttpRequest& request, std::string_view value,
                   std::int64_t max_age_s) {
  std::string c = std::string(kSessionCookie) + "=" + std::string(value) +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
  if (request.tls) c += "; Secure";
  return c;
}

// A state change from another origin is refused outright (SameSite=Strict already keeps the
// cookie home; this also stops a login CSRF that would sign the victim into the attacker's
// session). Browsers send Origin on every POST; its absence means a non-browser client.
bool same_origin(const config::Config& config, const net::HttpRequest& request) {
  const auto origins = request.headers.all("Origin");
  if (origins.empty()) return true;
  if (origins.size() != 1) return false;
  const auto origin = origins.front();
  if (!config.public_url.empty()) {
    std::string_view base = config.public_url;
    // The origin of public_url: scheme://host[:port], without any path.
    const auto scheme_end = base.find("://");
    if (scheme_end != std::string_view::npos) {
      const auto path = base.find('/', scheme_end + 3);
      if (path != std::string_view::npos) base = base.substr(0, path);
    }
    if (origin == base) return true;
  }
  const auto host = request.headers.get("Host");
  if (!host) return false;
  return origin == std::string(request.tls ? "https://" : "http://") + std::string(*host);
}

json::object identity_json(const ConsoleIdentity& identity, std::string_view session) {
  json::object o{{"scope", identity.scope == "admin" ? "admin" : "app"},
                 {"csrfToken", ConsoleSessions::csrf_token(session)},
                 {"expiresAt", iso8601(identity.expires_ms)}};
  if (identity.scope != "admin") {
    o["appId"] = identity.scope;
    json::array caps;
    if (identity.key) {
      for (const auto& c : identity.key->capabilities)
        caps.emplace_back(c);
    }
    o["capabilities"] = std::move(caps);
  }
  return o;
}

net::HttpResponse no_store(net::HttpResponse r) {
  r.headers.set("Cache-Control", "no-store");
  return r;
}

}  // namespace

ConsoleServer::ConsoleServer(const config::Config& config, ConsoleSessions& sessions,
                             std::function<std::int64_t()> now_ms)
    : config_(config), sessions_(sessions), now_ms_(std::move(now_ms)) {}

bool ConsoleServer::owns(std::string_view path) {
  for (const auto prefix : {kConsole, kPortal}) {
    if (path == prefix ||
        (path.starts_with(prefix) && path.size() > prefix.size() && path[prefix.size()] == '/')) {
      return true;
    }
  }
  return false;
}

net::HttpResponse ConsoleServer::handle(const net::HttpRequest& request, std::string& verdict) {
  net::HttpResponse r;
  try {
    const std::string_view path = request.path;
    if (path == "/console" || path == "/console/") {
      r = asset(request, "console.html", verdict);
    } else if (path == "/portal" || path == "/portal/") {
      r = asset(request, "portal.html", verdict);
    } else if (path.starts_with(kAssets) && !path.ends_with(".html")) {
      // The pages are reached by their own paths only (/console, /portal), not as assets.
      r = asset(request, path.substr(kAssets.size()), verdict);
    } else if (path == "/console/login") {
      r = login(request, verdict);
    } else if (path == "/console/session") {
      r = session(request, verdict);
    } else if (path == "/console/logout") {
      r = logout(request, verdict);
    } else {
      verdict = "unknown_path";
      r = http_error(404, "not_found", "unknown path");
    }
  } catch (const std::exception&) {
    verdict = "internal_error";
    r = http_error(500, "internal", "internal error");
  }
  secure_headers(r);
  return r;
}

net::HttpResponse ConsoleServer::asset(const net::HttpRequest& request, std::string_view name,
                                       std::string& verdict) const {
  if (request.method != "GET" && request.method != "HEAD") {
    verdict = "method_not_allowed";
    return not_allowed("GET, HEAD");
  }
  const auto* a = find_asset(name);
  if (a == nullptr) {
    verdict = "unknown_path";
    return http_error(404, "not_found", "unknown path");
  }
  verdict = "console";
  net::HttpResponse r;
  // Files keep their names across releases: every use revalidates, cheaply, by ETag.
  r.headers.add("Cache-Control", "no-cache");
  r.headers.add("ETag", std::string(a->etag));
  const auto match = request.headers.get("If-None-Match");
  if (match && *match == a->etag) {
    r.status = 304;
    return r;
  }
  r.headers.add("Content-Type", std::string(a->content_type));
  // Also for HEAD: the server sends its Content-Length and never its bytes.
  r.body = std::string(a->body);
  return r;
}

bool ConsoleServer::may_try(const std::string& address) {
  const auto now = now_ms_();
  const auto window = std::chrono::duration_cast<std::chrono::milliseconds>(kFailureWindow).count();
  std::lock_guard lock(limiter_mutex_);
  if (now - overall_.window_start_ms >= window) overall_ = {now, 0};
  if (overall_.count >= kFailuresOverall) return false;
  const auto it = failures_.find(address);
  if (it == failures_.end()) return true;
  if (now - it->second.window_start_ms >= window) {
    failures_.erase(it);
    return true;
  }
  return it->second.count < kFailuresPerAddress;
}

void ConsoleServer::note_failure(const std::string& address) {
  const auto now = now_ms_();
  const auto window = std::chrono::duration_cast<std::chrono::milliseconds>(kFailureWindow).count();
  std::lock_guard lock(limiter_mutex_);
  ++overall_.count;
  if (failures_.size() >= kMaxTracked && failures_.find(address) == failures_.end()) {
    // Bounded: forget the windows that are over; if all are live, the overall limit governs.
    std::erase_if(failures_,
                  [&](const auto& e) { return now - e.second.window_start_ms >= window; });
    if (failures_.size() >= kMaxTracked) return;
  }
  auto& f = failures_[address];
  if (f.count == 0 || now - f.window_start_ms >= window) f = {now, 0};
  ++f.count;
}

net::HttpResponse ConsoleServer::login(const net::HttpRequest& request, std::string& verdict) {
  if (request.method != "POST") {
    verdict = "method_not_allowed";
    return not_allowed("POST");
  }
  const auto type = request.headers.get("Content-Type");
  // JSON only: a cross-site form cannot send it without a CORS preflight, which is refused.
  if (!type || !type->starts_with("application/json")) {
    verdict = "bad_request";
    return http_error(415, "unsupported_media_type", "send {\"key\": ...} as application/json");
  }
  if (!same_origin(config_, request)) {
    verdict = "cross_origin";
    return http_error(403, "forbidden", "cross-origin login refused");
  }
  // Per client: an IPv6 client's whole /64, or it would get a fresh budget per address.
  const std::string address = request.peer ? request.peer->client_key() : std::string("unknown");
  if (!may_try(address)) {
    verdict = "rate_limited";
    auto r = http_error(429, "rate_limited", "too many failed logins: wait a minute");
    r.headers.add("Retry-After", std::to_string(kFailureWindow.count()));
    return r;
  }
  if (request.body.size() > kMaxLoginBody) {
    verdict = "bad_request";
    return http_error(413, "payload_too_large", "the login body is too large");
  }
  boost::system::error_code ec;
  const auto body = json::parse(request.body, ec);
  const json::value* key = nullptr;
  if (!ec && body.is_object()) key = body.as_object().if_contains("key");
  if (key == nullptr || !key->is_string()) {
    verdict = "bad_request";
    return http_error(400, "bad_request", "send {\"key\": \"...\"}");
  }
  auto created = sessions_.login(key->as_string());
  if (!created) {
    verdict = "store_error";
    return from_error(created.error());
  }
  if (!*created) {
    note_failure(address);
    verdict = "unauthorized";
    return no_store(http_error(401, "unauthorized", "not an admin key or a valid portal token"));
  }
  verdict = "login";
  const auto& c = **created;
  auto r = no_store(json_response(200, identity_json(c.identity, c.id)));
  const auto max_age = std::max<std::int64_t>(1, (c.identity.expires_ms - now_ms_()) / 1000);
  r.headers.add("Set-Cookie", cookie(request, c.id, max_age));
  return r;
}

net::HttpResponse ConsoleServer::session(const net::HttpRequest& request, std::string& verdict) {
  if (request.method != "GET") {
    verdict = "method_not_allowed";
    return not_allowed("GET");
  }
  const auto id = ConsoleSessions::cookie_session(request);
  if (id) {
    auto identity = sessions_.find(*id);
    if (!identity) {
      verdict = "store_error";
      return from_error(identity.error());
    }
    if (*identity) {
      verdict = "session";
      return no_store(json_response(200, identity_json(**identity, *id)));
    }
  }
  verdict = "unauthorized";
  return no_store(http_error(401, "unauthorized", "no console session: log in"));
}

net::HttpResponse ConsoleServer::logout(const net::HttpRequest& request, std::string& verdict) {
  if (request.method != "POST") {
    verdict = "method_not_allowed";
    return not_allowed("POST");
  }
  const auto id = ConsoleSessions::cookie_session(request);
  if (id) {
    if (!same_origin(config_, request) || !ConsoleSessions::csrf_ok(request, *id)) {
      verdict = "csrf";
      return http_error(403, "forbidden", "logging out needs the session's X-CSRF-Token");
    }
    auto gone = sessions_.logout(*id);
    if (!gone) {
      verdict = "store_error";
      return from_error(gone.error());
    }
  }
  verdict = "logout";
  auto r = no_store(no_content());
  r.headers.add("Set-Cookie", cookie(request, "", 0));
  return r;
}

}  // namespace hookgate::api
