// The console's login, session, cookie and CSRF rules through the real `hookgate serve` over
// loopback (both backends): a session is exchanged for an admin key or a portal token only, its
// cookie reaches /api/v1 with exactly the rights of that key, every state change needs the
// session's CSRF token, a portal session stays inside its application, logout ends it, and the
// session lives in the store (a restarted node, or another node on PostgreSQL, accepts it).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "api_fixture.hpp"
#include "json_fields.hpp"
#include "server_process.hpp"

namespace hookgate::e2e {
namespace {

namespace json = boost::json;

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Session {
  std::string cookie;  // "hg_session=..."
  std::string csrf;
  json::object answer;
};

class Console : public ApiFixture {
 protected:
  Console() : ApiFixture("hookgate-console") {}
  void SetUp() override {
    ApiFixture::SetUp();
    if (IsSkipped()) return;
    config_ = write_console_config("hookgate.toml", true);
    server_ = std::make_unique<ServerProcess>(config_);
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
  }

  // The config file `name`: [console] on when console, [api] on when api.
  std::string write_console_config(const std::string& name, bool console, bool api = true) const {
    ApiConfig config;
    config.api = api;
    if (console) config.extra = "[console]\nenabled = true\n";
    return write_config(name, config);
  }

  HttpResult request(const std::string& method, const std::string& target, Headers headers,
                     const std::string& body = "", const ServerProcess* server = nullptr) const {
    const bool typed = std::any_of(headers.begin(), headers.end(),
                                   [](const auto& h) { return h.first == "Content-Type"; });
    if (!body.empty() && !typed) headers.emplace_back("Content-Type", "application/json");
    return http_request((server != nullptr ? server : server_.get())->port(), method, target,
                        headers, body);
  }
  HttpResult bearer(const std::string& method, const std::string& path, const json::object& body,
                    const std::string& key = kAdminKey) const {
    return call(method, path, body.empty() && method == "GET" ? "" : json::serialize(body), key);
  }
  // With the session's cookie; csrf: the X-CSRF-Token to send (none when empty).
  HttpResult as(const Session& s, const std::string& method, const std::string& path,
                const std::string& body = "", const std::string& csrf = "",
                const ServerProcess* server = nullptr) const {
    Headers h{{"Cookie", s.cookie}};
    if (!csrf.empty()) h.emplace_back("X-CSRF-Token", csrf);
    return request(method, path, h, body, server);
  }

  HttpResult login_raw(const std::string& key) const {
    return request("POST", "/console/login", {}, json::serialize(json::object{{"key", key}}));
  }
  Session login(const std::string& key) const {
    const auto r = login_raw(key);
    EXPECT_EQ(r.status, 200) << r.body;
    Session s;
    const auto set = r.headers.count("set-cookie") ? r.headers.at("set-cookie") : "";
    s.cookie = set.substr(0, set.find(';'));
    s.answer = object_of(r);
    s.csrf = str(s.answer, "csrfToken");
    return s;
  }
  std::string app(const std::string& name) const {
    const auto r = bearer("POST", "/app", json::object{{"name", name}});
    EXPECT_EQ(r.status, 201) << r.body;
    return str(object_of(r), "id");
  }
  std::string portal_token(const std::string& app_id, const json::object& body = {}) const {
    const auto r = bearer("POST", "/auth/app-portal-access/" + app_id, body);
    EXPECT_EQ(r.status, 200) << r.body;
    return str(object_of(r), "token");
  }

  std::string config_;
};

TEST_F(Console, TheLoginCookieIsHttpOnlyStrictAndItsIdOnlyInTheCookie) {
  const auto r = login_raw(kAdminKey);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto cookie = r.headers.at("set-cookie");
  EXPECT_TRUE(cookie.starts_with("hg_session=hgs_")) << cookie;
  for (const char* attr : {"; Path=/", "; HttpOnly", "; SameSite=Strict"}) {
    EXPECT_NE(cookie.find(attr), std::string::npos) << cookie;
  }
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain HTTP: " << cookie;
  EXPECT_EQ(r.headers.at("cache-control"), "no-store");
  const auto id = cookie.substr(11, cookie.find(';') - 11);
  EXPECT_EQ(r.body.find(id), std::string::npos) << "the session id is in the body";
  EXPECT_EQ(str(object_of(r), "scope"), "admin");
}

TEST_F(Console, OnlyAdminKeysAndPortalTokensLogInAndRefusalsLookAlike) {
  const auto app_id = app("shop");
  const auto key = bearer("POST", "/api-key", json::object{{"name", "server"}, {"scope", app_id}});
  ASSERT_EQ(key.status, 201) << key.body;
  const auto app_key = str(object_of(key), "key");
  ASSERT_FALSE(app_key.empty()) << key.body;
  const auto unknown = login_raw("hgk_" + std::string(40, 'x'));
  const auto ordinary = login_raw(app_key);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(ordinary.status, 401);
  EXPECT_EQ(unknown.body, ordinary.body);
  EXPECT_EQ(ordinary.headers.count("set-cookie"), 0u);
  // Not JSON (a cross-site form could send that), or from another origin: refused outright.
  EXPECT_EQ(request("POST", "/console/login", {{"Content-Type", "text/plain"}},
                    json::serialize(json::object{{"key", kAdminKey}}))
                .status,
            415);
  EXPECT_EQ(request("POST", "/console/login", {{"Origin", "http://evil.example"}},
                    json::serialize(json::object{{"key", kAdminKey}}))
                .status,
            403);
}

TEST_F(Console, EveryStateChangeThroughTheCookieNeedsTheSessionsCsrfToken) {
  const auto s = login(kAdminKey);
  const auto other = login(kAdminKey);
  ASSERT_FALSE(s.csrf.empty());
  const auto read = as(s, "GET", "/api/v1/app");  // reading needs no CSRF token
  EXPECT_EQ(read.status, 200);
  // A browser never takes an API answer for a page.
  EXPECT_EQ(read.headers.at("x-content-type-options"), "nosniff");
  EXPECT_NE(read.headers.at("content-security-policy").find("default-src 'none'"),
            std::string::npos);
  const std::string body = R"({"name":"made through the console"})";
  // One character off (never the token itself, whatever its first character).
  const auto wrong = std::string(1, s.csrf[0] == '0' ? '1' : '0') + s.csrf.substr(1);
  EXPECT_EQ(as(s, "POST", "/api/v1/app", body).status, 403);
  EXPECT_EQ(as(s, "POST", "/api/v1/app", body, wrong).status, 403);
  EXPECT_EQ(as(s, "POST", "/api/v1/app", body, other.csrf).status, 403);  // another session's
  const auto listed = object_of(bearer("GET", "/app", {}));
  EXPECT_TRUE(listed.at("data").as_array().empty()) << "a refused call stored something";
  const auto made = as(s, "POST", "/api/v1/app", body, s.csrf);
  ASSERT_EQ(made.status, 201) << made.body;
  const auto id = str(object_of(made), "id");
  for (const char* method : {"PUT", "PATCH", "DELETE"}) {
    EXPECT_EQ(as(s, method, "/api/v1/app/" + id, R"({"name":"x"})").status, 403) << method;
  }
  EXPECT_EQ(as(s, "PATCH", "/api/v1/app/" + id, R"({"name":"renamed"})", s.csrf).status, 200);
  EXPECT_EQ(as(s, "DELETE", "/api/v1/app/" + id, "", s.csrf).status, 204);
}

TEST_F(Console, TheCookieNeverStandsBesideABearerHeader) {
  const auto s = login(kAdminKey);
  const auto r =
      request("GET", "/api/v1/app", {{"Cookie", s.cookie}, {"Authorization", "Bearer not-a-key"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(request("GET", "/api/v1/app", {{"Cookie", "hg_session=hgs_forged"}}).status, 401);
}

TEST_F(Console, APortalSessionReachesOnlyItsApplicationWithItsCapabilities) {
  const auto a = app("Acme");
  const auto b = app("Globex");
  const auto token = portal_token(a, json::object{{"expiry", 3600}});
  const auto s = login(token);
  EXPECT_EQ(str(s.answer, "scope"), "app");
  EXPECT_EQ(str(s.answer, "appId"), a);
  EXPECT_EQ(as(s, "GET", "/api/v1/app/" + a).status, 200);
  for (const std::string& path :
       std::vector<std::string>{"/api/v1/app/" + b, "/api/v1/app/" + b + "/endpoint", "/api/v1/app",
                                "/api/v1/api-key"}) {
    EXPECT_EQ(as(s, "GET", path).status, 403) << path;
  }
  EXPECT_EQ(
      as(s, "POST", "/api/v1/app/" + b + "/endpoint", R"({"url":"http://127.0.0.1:9/x"})", s.csrf)
          .status,
      403);
  EXPECT_EQ(as(s, "POST", "/api/v1/auth/app-portal-access/" + b, "{}", s.csrf).status, 403);
  // A read-only token's session cannot change anything either.
  const auto ro = login(portal_token(a, json::object{{"readOnly", true}}));
  EXPECT_EQ(
      as(ro, "POST", "/api/v1/app/" + a + "/endpoint", R"({"url":"http://127.0.0.1:9/x"})", ro.csrf)
          .status,
      403);
  // The session ends no later than its token (an hour here; console sessions last 8).
  const auto session = object_of(as(s, "GET", "/console/session"));
  EXPECT_EQ(str(session, "appId"), a);
  const auto login_answer = login_raw(token);
  const auto cookie = login_answer.headers.at("set-cookie");
  const auto max_age = std::stoll(cookie.substr(cookie.find("Max-Age=") + 8));
  EXPECT_LE(max_age, 3600) << cookie;
}

TEST_F(Console, RevokingThePortalTokenEndsItsSessions) {
  const auto a = app("Acme");
  const auto token = portal_token(a);
  const auto s = login(token);
  ASSERT_EQ(as(s, "GET", "/api/v1/app/" + a).status, 200);
  ASSERT_EQ(bearer("POST", "/auth/logout", {}, token).status, 204);
  EXPECT_EQ(as(s, "GET", "/api/v1/app/" + a).status, 401);
  EXPECT_EQ(as(s, "GET", "/console/session").status, 401);
}

TEST_F(Console, LogoutNeedsTheCsrfTokenAndEndsTheSession) {
  const auto s = login(kAdminKey);
  EXPECT_EQ(as(s, "POST", "/console/logout").status, 403);
  EXPECT_EQ(as(s, "GET", "/api/v1/app").status, 200);
  const auto out = as(s, "POST", "/console/logout", "", s.csrf);
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.headers.at("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(as(s, "GET", "/api/v1/app").status, 401);
  EXPECT_EQ(as(s, "GET", "/console/session").status, 401);
}

TEST_F(Console, TheSessionLivesInTheStoreSoAnyNodeAcceptsIt) {
  const auto s = login(kAdminKey);
  if (store_.postgres()) {
    // Another node on the same database.
    ServerProcess other(config_);
    ASSERT_TRUE(other.started()) << other.stderr_text();
    EXPECT_EQ(as(s, "GET", "/api/v1/app", "", "", &other).status, 200);
    EXPECT_EQ(as(s, "POST", "/api/v1/app", R"({"name":"n3"})", s.csrf, &other).status, 201);
    EXPECT_EQ(other.stop(SIGTERM), 0);
  }
  // A restarted node.
  ASSERT_EQ(server_->stop(SIGTERM), 0);
  server_ = std::make_unique<ServerProcess>(config_);
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  EXPECT_EQ(as(s, "GET", "/api/v1/app").status, 200);
}

TEST_F(Console, PagesCarryTheStrictPolicyAndNothingIsServedWhenOff) {
  const auto page = request("GET", "/console", {});
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers.at("content-type"), "text/html; charset=utf-8");
  const auto csp = page.headers.at("content-security-policy");
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
  EXPECT_EQ(page.headers.at("x-content-type-options"), "nosniff");
  EXPECT_EQ(page.headers.at("referrer-policy"), "no-referrer");
  EXPECT_EQ(request("GET", "/portal", {}).status, 200);

  ASSERT_EQ(server_->stop(SIGTERM), 0);
  write_console_config("hookgate.toml", false);
  server_ = std::make_unique<ServerProcess>(config_);
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  EXPECT_EQ(request("GET", "/console", {}).status, 404);
  EXPECT_EQ(login_raw(kAdminKey).status, 404);
}

TEST_F(Console, TheConsoleNeedsTheApi) {
  const auto path = write_console_config("no-api.toml", true, false);
  ServerProcess refused(path);
  EXPECT_FALSE(refused.started());
  EXPECT_NE(refused.stderr_text().find("enable [api]"), std::string::npos) << refused.stderr_text();
}

}  // namespace
}  // namespace hookgate::e2e
