// Console sessions and the console's HTTP rules against a real SQLite store and a clock the test
// moves: sessions stored hashed, expiry (a portal session never past its token), revocation,
// cookies (HttpOnly, SameSite=Strict, Secure over TLS), CSRF tokens, the login rate limit, and
// the security headers on every console answer.
#include "api/console_sessions.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>

#include "api/console_assets.hpp"
#include "api/console_server.hpp"
#include "outbound/sealing_key.hpp"

namespace hookgate::api {
namespace {

namespace json = boost::json;

constexpr const char* kAdmin = "console-unit-admin-key-0123456789";

class ConsoleSessionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hookgate-console-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = store::open_store("sqlite://" + (dir_ / "h.db").string());
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(s.value());
    auto policy = net::OutboundPolicy::make({"127.0.0.1/32"}, false);
    ASSERT_TRUE(policy) << policy.error();
    auto key = outbound::sealing_key_file((dir_ / "h.db").string());
    ASSERT_TRUE(key) << key.error();
    registry_ = std::make_unique<outbound::Registry>(
        *store_, outbound::RegistrySettings{*policy, std::chrono::hours(1), key->seal},
        [this] { return now_; });
    config_.api.enabled = true;
    config_.api.admin_keys.push_back(config::SecretRef{"inline", kAdmin});
    config_.console.enabled = true;
    config_.console.session_ttl = std::chrono::hours(8);
    sessions_ =
        std::make_unique<ConsoleSessions>(config_, *store_, *registry_, [this] { return now_; });
    server_ = std::make_unique<ConsoleServer>(config_, *sessions_, [this] { return now_; });
  }
  void TearDown() override {
    server_.reset();
    sessions_.reset();
    registry_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string portal_token(const std::string& app_id, std::int64_t expires_ms) {
    outbound::ApiKey like;
    like.name = "app-portal";
    like.scope = app_id;
    like.expires_ms = expires_ms;
    like.capabilities = {"ViewBase", "ManageEndpoint"};
    auto t = registry_->create_api_key(like);
    EXPECT_TRUE(t) << t.error();
    return t ? t->plaintext : "";
  }

  net::HttpResponse post_login(const std::string& key, bool tls = false,
                               const std::string& peer = "192.0.2.1") {
    net::HttpRequest r;
    r.method = "POST";
    r.path = r.target = "/console/login";
    r.headers.add("Content-Type", "application/json");
    r.headers.add("Host", "console.test");
    r.body = json::serialize(json::object{{"key", key}});
    r.peer = net::IpAddress::parse(peer);
    r.tls = tls;
    std::string verdict;
    return server_->handle(r, verdict);
  }

  std::int64_t now_ = 1'800'000'000'000;
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<outbound::Registry> registry_;
  config::Config config_;
  std::unique_ptr<ConsoleSessions> sessions_;
  std::unique_ptr<ConsoleServer> server_;
};

TEST_F(ConsoleSessionsTest, TheSessionIdIsNeverStoredOnlyItsHash) {
  auto s = sessions_->login(kAdmin);
  ASSERT_TRUE(s && *s) << (s ? "refused" : s.error());
  const auto& id = (*s)->id;
  EXPECT_TRUE(id.starts_with("hgs_"));
  auto rows = store_->records("console_session", "", "", 10);
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().id.find(id), std::string::npos);
  EXPECT_EQ(rows->front().body.find(id), std::string::npos);
  EXPECT_EQ(rows->front().body.find(kAdmin), std::string::npos);
  auto found = sessions_->find(id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->scope, "admin");
}

TEST_F(ConsoleSessionsTest, OnlyAdminKeysAndPortalTokensLogIn) {
  auto app = registry_->create_app("shop");
  ASSERT_TRUE(app) << app.error();
  auto app_key = registry_->create_api_key("server", app->id);
  ASSERT_TRUE(app_key);
  auto admin_key = registry_->create_api_key("ops", "admin");
  ASSERT_TRUE(admin_key);
  for (const std::string& key :
       {std::string("wrong-key-of-sufficient-length"), app_key->plaintext, std::string()}) {
    auto s = sessions_->login(key);
    ASSERT_TRUE(s) << s.error();
    EXPECT_FALSE(s->has_value()) << key;
  }
  auto stored_admin = sessions_->login(admin_key->plaintext);
  ASSERT_TRUE(stored_admin && *stored_admin);
  EXPECT_EQ((*stored_admin)->identity.scope, "admin");
  auto portal = sessions_->login(portal_token(app->id, now_ + 3'600'000));
  ASSERT_TRUE(portal && *portal);
  EXPECT_EQ((*portal)->identity.scope, app->id);
}

TEST_F(ConsoleSessionsTest, APortalSessionNeverOutlivesItsToken) {
  auto app = registry_->create_app("shop");
  ASSERT_TRUE(app);
  const auto token_expiry = now_ + 3'600'000;  // an hour; the console's sessions last 8
  auto s = sessions_->login(portal_token(app->id, token_expiry));
  ASSERT_TRUE(s && *s);
  EXPECT_EQ((*s)->identity.expires_ms, token_expiry);
  now_ = token_expiry - 1;
  auto alive = sessions_->find((*s)->id);
  ASSERT_TRUE(alive && *alive);
  now_ = token_expiry;
  auto over = sessions_->find((*s)->id);
  ASSERT_TRUE(over);
  EXPECT_FALSE(over->has_value());
}

TEST_F(ConsoleSessionsTest, RevokingTheKeyEndsItsSessions) {
  auto app = registry_->create_app("shop");
  ASSERT_TRUE(app);
  const auto token = portal_token(app->id, now_ + 3'600'000);
  auto s = sessions_->login(token);
  ASSERT_TRUE(s && *s);
  auto key = registry_->find_api_key(token);
  ASSERT_TRUE(key && *key);
  ASSERT_TRUE(registry_->delete_api_key((*key)->hash));
  auto gone = sessions_->find((*s)->id);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  // An admin key removed from the configuration ends its sessions too.
  auto admin = sessions_->login(kAdmin);
  ASSERT_TRUE(admin && *admin);
  config_.api.admin_keys.front().value = "another-admin-key-0123456789abcdef";
  auto after = sessions_->find((*admin)->id);
  ASSERT_TRUE(after);
  EXPECT_FALSE(after->has_value());
}

TEST_F(ConsoleSessionsTest, AdminSessionsExpireAfterTheirTtl) {
  auto s = sessions_->login(kAdmin);
  ASSERT_TRUE(s && *s);
  now_ += 8 * 3'600'000 - 1;
  EXPECT_TRUE(sessions_->find((*s)->id)->has_value());
  now_ += 1;
  EXPECT_FALSE(sessions_->find((*s)->id)->has_value());
  EXPECT_TRUE(store_->records("console_session", "", "", 10)->empty());
}

TEST_F(ConsoleSessionsTest, CookiesAreReadStrictly) {
  auto s = sessions_->login(kAdmin);
  ASSERT_TRUE(s && *s);
  const auto& id = (*s)->id;
  const auto with = [](std::vector<std::string> cookies) {
    net::HttpRequest r;
    for (auto& c : cookies)
      r.headers.add("Cookie", std::move(c));
    return ConsoleSessions::cookie_session(r);
  };
  EXPECT_EQ(with({"a=b; hg_session=" + id + "; c=d"}), id);
  EXPECT_EQ(with({"a=b", "hg_session=" + id}), id);
  // Two session cookies (one planted by a sibling domain) are ambiguous: neither counts.
  EXPECT_FALSE(with({"hg_session=" + id + "; hg_session=hgs_" + std::string(43, 'a')}).has_value());
  EXPECT_FALSE(with({"hg_session=" + id.substr(0, id.size() - 1)}).has_value());
  EXPECT_FALSE(with({"hg_session=" + id + "x"}).has_value());
  EXPECT_FALSE(with({"hg_session=" + id.substr(0, id.size() - 1) + "%"}).has_value());
  EXPECT_FALSE(with({"xhg_session=" + id}).has_value());
  EXPECT_FALSE(with({}).has_value());
}

TEST_F(ConsoleSessionsTest, TheCsrfTokenBelongsToOneSession) {
  auto a = sessions_->login(kAdmin);
  auto b = sessions_->login(kAdmin);
  ASSERT_TRUE(a && *a && b && *b);
  net::HttpRequest r;
  r.headers.add("X-CSRF-Token", ConsoleSessions::csrf_token((*a)->id));
  EXPECT_TRUE(ConsoleSessions::csrf_ok(r, (*a)->id));
  EXPECT_FALSE(ConsoleSessions::csrf_ok(r, (*b)->id));
  r.headers.add("X-CSRF-Token", ConsoleSessions::csrf_token((*a)->id));  // repeated: refused
  EXPECT_FALSE(ConsoleSessions::csrf_ok(r, (*a)->id));
  EXPECT_FALSE(ConsoleSessions::csrf_ok(net::HttpRequest{}, (*a)->id));
  // The token says nothing of the session id.
  EXPECT_EQ(ConsoleSessions::csrf_token((*a)->id).find((*a)->id), std::string::npos);
}

TEST_F(ConsoleSessionsTest, TheCookieIsHttpOnlyStrictAndSecureOverTls) {
  const auto plain = post_login(kAdmin);
  ASSERT_EQ(plain.status, 200) << plain.body;
  const auto cookie = std::string(*plain.headers.get("Set-Cookie"));
  EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << cookie;
  EXPECT_EQ(plain.headers.get("Cache-Control"), "no-store");
  const auto tls = post_login(kAdmin, true);
  ASSERT_EQ(tls.status, 200) << tls.body;
  EXPECT_NE(std::string(*tls.headers.get("Set-Cookie")).find("; Secure"), std::string::npos);
}

TEST_F(ConsoleSessionsTest, FailedLoginsAreRateLimitedPerAddressAndOverall) {
  for (int i = 0; i < ConsoleServer::kFailuresPerAddress; ++i) {
    EXPECT_EQ(post_login("not-the-key-but-long-enough-0000").status, 401);
  }
  // Locked out, even with the right key: the answer says nothing about it.
  EXPECT_EQ(post_login(kAdmin).status, 429);
  EXPECT_EQ(post_login(kAdmin, false, "192.0.2.2").status, 200);  // another address is not
  now_ += std::chrono::milliseconds(ConsoleServer::kFailureWindow).count();
  EXPECT_EQ(post_login(kAdmin).status, 200);
  // Many addresses together hit the overall bound.
  int refused = 0;
  for (int i = 0; i < ConsoleServer::kFailuresOverall + 20; ++i) {
    const auto peer = "198.51.100." + std::to_string(i % 250) + "";
    const auto r = post_login("not-the-key-but-long-enough-0000", false,
                              i < 250 ? peer : "203.0.113." + std::to_string(i - 250));
    if (r.status == 429) ++refused;
  }
  EXPECT_GT(refused, 0);
  EXPECT_EQ(post_login(kAdmin, false, "203.0.113.250").status, 429);
}

// An IPv6 client picks any address of its /64 for each attempt: the bound is per /64, not per
// address, or every guess would come with a fresh budget.
TEST_F(ConsoleSessionsTest, FailedLoginsFromAnyAddressesOfOneIpv6Slash64ShareOneBound) {
  for (int i = 0; i < ConsoleServer::kFailuresPerAddress; ++i) {
    const auto peer = "2001:db8:7:7::" + std::to_string(i + 1);
    EXPECT_EQ(post_login("not-the-key-but-long-enough-0000", false, peer).status, 401) << peer;
  }
  EXPECT_EQ(post_login(kAdmin, false, "2001:db8:7:7:dead:beef:0:1").status, 429);
  // The next /64 is another client.
  EXPECT_EQ(post_login(kAdmin, false, "2001:db8:7:8::1").status, 200);
}

TEST_F(ConsoleSessionsTest, EveryConsoleAnswerCarriesTheSecurityHeaders) {
  for (const std::string_view path :
       {"/console", "/portal", "/console/assets/console.css", "/console/assets/js/console.js",
        "/console/nothing", "/console/assets/console.html", "/console/session"}) {
    net::HttpRequest r;
    r.method = "GET";
    r.path = r.target = std::string(path);
    std::string verdict;
    const auto a = server_->handle(r, verdict);
    const auto csp = std::string(a.headers.get("Content-Security-Policy").value_or(""));
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << path;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << path;
    EXPECT_EQ(csp.find("unsafe"), std::string::npos) << path;
    EXPECT_EQ(a.headers.get("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(a.headers.get("Referrer-Policy"), "no-referrer") << path;
    if (path.ends_with(".html") || path == "/console/nothing") {
      EXPECT_EQ(a.status, 404) << path;
    }
  }
}

TEST_F(ConsoleSessionsTest, AssetsRevalidateByETag) {
  net::HttpRequest r;
  r.method = "GET";
  r.path = r.target = "/console/assets/js/console.js";
  std::string verdict;
  const auto first = server_->handle(r, verdict);
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.headers.get("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(first.headers.get("Cache-Control"), "no-cache");
  const auto etag = std::string(*first.headers.get("ETag"));
  r.headers.add("If-None-Match", etag);
  const auto again = server_->handle(r, verdict);
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
}

TEST_F(ConsoleSessionsTest, AssetsHaveNoInlineScriptOrStyle) {
  // The CSP forbids them; an asset that needed one would break in the browser.
  for (const auto& a : console_assets()) {
    const std::string body(a.body);
    if (a.name.ends_with(".html")) {
      std::size_t at = 0;
      while ((at = body.find("<script", at)) != std::string::npos) {
        const auto end = body.find('>', at);
        EXPECT_NE(body.substr(at, end - at).find(" src="), std::string::npos) << a.name;
        at = end;
      }
      EXPECT_EQ(body.find("<style"), std::string::npos) << a.name;
    }
    EXPECT_EQ(body.find(" style=\""), std::string::npos) << a.name;
    EXPECT_EQ(body.find("innerHTML"), std::string::npos) << a.name;
    EXPECT_EQ(body.find("outerHTML"), std::string::npos) << a.name;
    EXPECT_EQ(body.find("insertAdjacentHTML"), std::string::npos) << a.name;
    EXPECT_EQ(body.find("eval("), std::string::npos) << a.name;
  }
}

}  // namespace
}  // namespace hookgate::api
