// What an operator does to configured destinations from the console, through the real `hookgate
// serve` over loopback on SQLite or (HOOKGATE_E2E_BACKEND=postgres) PostgreSQL: pausing a
// [[destination]] holds its deliveries (pending, nothing lost, across a restart) with who, when
// and why shown, and resuming delivers them; only an admin may (application keys and portal
// tokens get 403, a console session needs its CSRF token); a configured secret is said to be
// rotated in the configuration file, never shown; and on PostgreSQL a pause set on one node
// holds the other's deliveries, and one node's stats include another node's traffic.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "loopback_receiver.hpp"
#include "server_process.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"
#include "wait.hpp"

namespace hookgate::e2e {
namespace {

namespace json = boost::json;

constexpr const char* kAdminKey = "e2e-operator-admin-key-0123456789abcdef";
constexpr const char* kSealKey = "c2VhbGluZy1rZXktZm9yLW91dGJvdW5kLWUyZS10c3Q=";
constexpr const char* kSecret = "operator-github-secret-77c1";
constexpr const char* kInlineSigningSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

json::object object_of(const HttpResult& r) {
  boost::system::error_code ec;
  auto v = json::parse(r.body, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}
std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}
json::array arr(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? v->as_array() : json::array();
}
std::int64_t total(const json::array& values) {
  std::int64_t sum = 0;
  for (const auto& v : values)
    sum += v.is_int64() ? v.as_int64() : static_cast<std::int64_t>(v.as_uint64());
  return sum;
}

class ConsoleOperator : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    dir_ = fresh_test_dir("hookgate-console-operator");
    std::ofstream(dir_ / "signing.secret") << "whsec_C2FtcGxlLXNpZ25pbmctc2VjcmV0LWZpbGU=\n";
    receiver_ = std::make_unique<LoopbackReceiver>([](const ReceivedRequest&) {
      ReceiverAnswer a;
      a.status = 200;
      return a;
    });
    server_ = start(1);
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
  }
  void TearDown() override {
    for (auto* s : {&server_, &server2_}) {
      if (*s) {
        EXPECT_EQ((*s)->stop(SIGTERM), 0) << (*s)->stderr_text();
      }
      s->reset();
    }
    receiver_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<ServerProcess> start(int node) {
    const auto path = (dir_ / ("node" + std::to_string(node) + ".toml")).string();
    std::ofstream(path) << R"([server]
listen = "127.0.0.1:0"
[store]
url = ")" << store_.url()
                        << R"("
[delivery]
schedule = [1]
jitter = 0
lease_seconds = 5
node_id = "node-)" << node
                        << R"("
[outbound]
allow_cidrs = ["127.0.0.1/32"]
require_https = false
timeout_ms = 2000
secret_key = ")" << kSealKey
                        << R"("
[api]
enabled = true
admin_keys = [")" << kAdminKey
                        << R"("]
[console]
enabled = true
[[source]]
name = "github"
scheme = "github"
path = "/github"
secrets = [")" << kSecret
                        << R"("]
[[destination]]
name = "svc"
url = "http://127.0.0.1:)"
                        << receiver_->port() << R"(/svc"
secret = "file:signing.secret"
timeout_ms = 2000
[[destination]]
name = "inline"
url = "http://127.0.0.1:)"
                        << receiver_->port() << R"(/inline"
secret = ")" << kInlineSigningSecret
                        << R"("
timeout_ms = 2000
[[route]]
from = "github"
to = ["svc"]
)";
    return std::make_unique<ServerProcess>(path);
  }

  HttpResult call(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& key = kAdminKey, const ServerProcess* on = nullptr) const {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return http_request((on ? on : server_.get())->port(), method, "/api/v1" + path, headers, body);
  }
  HttpResult signed_event(const std::string& body, const ServerProcess* on = nullptr) const {
    return http_request(
        (on ? on : server_.get())->port(), "POST", "/github",
        {{"Content-Type", "application/json"},
         {"X-GitHub-Event", "push"},
         {"X-Hub-Signature-256", "sha256=" + crypto::hex_encode(crypto::hmac(
                                                 crypto::DigestAlgorithm::sha256, kSecret, body))}},
        body);
  }
  std::size_t delivered_to_svc() const {
    std::size_t n = 0;
    for (const auto& r : receiver_->received())
      n += r.target == "/svc" ? 1 : 0;
    return n;
  }
  std::size_t pending(const ServerProcess* on = nullptr) const {
    return arr(object_of(call("GET", "/delivery?destination=svc&state=pending", "", kAdminKey, on)),
               "data")
        .size();
  }
  json::object svc(const ServerProcess* on = nullptr) const {
    return object_of(call("GET", "/destination/svc", "", kAdminKey, on));
  }

  TestStore store_;
  std::filesystem::path dir_;
  std::unique_ptr<LoopbackReceiver> receiver_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<ServerProcess> server2_;
};

TEST_F(ConsoleOperator, APausedDestinationKeepsItsDeliveriesAcrossARestartAndResumingSendsThem) {
  auto before = svc();
  EXPECT_TRUE(before.at("enabled").as_bool()) << json::serialize(before);
  EXPECT_TRUE(before.at("pause").is_null());

  const auto paused = call("PATCH", "/destination/svc",
                           R"({"disabled":true,"reason":"receiver <b>migration</b>"})");
  ASSERT_EQ(paused.status, 200) << paused.body;
  auto out = object_of(paused);
  EXPECT_FALSE(out.at("enabled").as_bool());
  const auto why = str(out, "disabledReason");
  EXPECT_TRUE(why.starts_with("disabled by a configured admin key at 20")) << why;
  EXPECT_TRUE(why.ends_with(": receiver <b>migration</b>")) << why;  // text, kept as written
  EXPECT_EQ(str(out.at("pause").as_object(), "by"), "a configured admin key");
  // The list says the same.
  bool listed = false;
  for (const auto& row : arr(object_of(call("GET", "/destination")), "data")) {
    if (str(row.as_object(), "name") != "svc") continue;
    listed = true;
    EXPECT_FALSE(row.as_object().at("enabled").as_bool());
    EXPECT_EQ(str(row.as_object(), "disabledReason"), why);
  }
  EXPECT_TRUE(listed);

  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(signed_event(R"({"n":)" + std::to_string(i) + "}").status, 200);
  ASSERT_TRUE(eventually([&] { return pending() == 3; }));
  // Several claim rounds (idle poll: one second) pass; nothing is sent while paused.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(delivered_to_svc(), 0u);
  EXPECT_EQ(pending(), 3u);

  // A restart keeps the pause (it is in the store, not in the node).
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
  server_ = start(1);
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  EXPECT_FALSE(svc().at("enabled").as_bool());
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(delivered_to_svc(), 0u);
  EXPECT_EQ(pending(), 3u);

  const auto resumed = call("PATCH", "/destination/svc", R"({"disabled":false})");
  ASSERT_EQ(resumed.status, 200) << resumed.body;
  out = object_of(resumed);
  EXPECT_TRUE(out.at("enabled").as_bool());
  EXPECT_TRUE(out.at("disabledReason").is_null());
  EXPECT_FALSE(out.at("pause").as_object().at("paused").as_bool());
  ASSERT_TRUE(eventually([&] { return delivered_to_svc() == 3; })) << delivered_to_svc();
  EXPECT_TRUE(eventually([&] { return pending() == 0; }));
}

TEST_F(ConsoleOperator, OnlyAnAdminPausesAndAConsoleSessionNeedsItsCsrfToken) {
  const auto app = object_of(call("POST", "/app", R"({"name":"Acme"})"));
  const auto app_id = str(app, "id");
  ASSERT_FALSE(app_id.empty());
  const auto token =
      str(object_of(call("POST", "/auth/app-portal-access/" + app_id, "{}")), "token");
  const auto app_key =
      str(object_of(call("POST", "/api-key",
                         json::serialize(json::object{{"name", "k"}, {"scope", app_id}}))),
          "key");
  ASSERT_FALSE(token.empty());
  ASSERT_FALSE(app_key.empty());
  for (const auto& k : {token, app_key}) {
    EXPECT_EQ(call("GET", "/destination/svc", "", k).status, 403);
    EXPECT_EQ(call("PATCH", "/destination/svc", R"({"disabled":true})", k).status, 403);
  }
  EXPECT_EQ(call("PATCH", "/destination/svc", R"({"disabled":true})", "").status, 401);
  EXPECT_TRUE(svc().at("enabled").as_bool());

  // Bad requests change nothing.
  EXPECT_EQ(call("PATCH", "/destination/svc", R"({"disabled":"yes"})").status, 422);
  EXPECT_EQ(call("PATCH", "/destination/svc", R"({"reason":"x"})").status, 422);
  EXPECT_EQ(call("PATCH", "/destination/svc", R"({"disabled":true,"extra":1})").status, 422);
  EXPECT_EQ(
      call("PATCH", "/destination/svc",
           json::serialize(json::object{{"disabled", true}, {"reason", std::string(257, 'r')}}))
          .status,
      422);
  EXPECT_EQ(call("PATCH", "/destination/svc", R"({"disabled":true,"reason":"a\nb"})").status, 422);
  EXPECT_EQ(call("PATCH", "/destination/nope", R"({"disabled":true})").status, 404);
  EXPECT_EQ(call("PATCH", "/destination/endpoint:ep_x", R"({"disabled":true})").status, 404);
  EXPECT_EQ(call("DELETE", "/destination/svc").status, 405);
  EXPECT_TRUE(svc().at("enabled").as_bool());

  // The console: the session cookie alone is not enough to change anything.
  const auto login = http_request(server_->port(), "POST", "/console/login",
                                  {{"Content-Type", "application/json"}},
                                  json::serialize(json::object{{"key", kAdminKey}}));
  ASSERT_EQ(login.status, 200) << login.body;
  const auto set = login.headers.at("set-cookie");
  const auto cookie = set.substr(0, set.find(';'));
  const auto csrf = str(object_of(login), "csrfToken");
  ASSERT_FALSE(csrf.empty());
  const auto patch = [&](const std::string& token_header) {
    std::vector<std::pair<std::string, std::string>> h{{"Cookie", cookie},
                                                       {"Content-Type", "application/json"}};
    if (!token_header.empty()) h.emplace_back("X-CSRF-Token", token_header);
    return http_request(server_->port(), "PATCH", "/api/v1/destination/svc", h,
                        R"({"disabled":true,"reason":"from the console"})");
  };
  EXPECT_EQ(patch("").status, 403);
  EXPECT_EQ(patch(std::string(csrf.size(), 'A')).status, 403);
  EXPECT_TRUE(svc().at("enabled").as_bool());
  const auto ok = patch(csrf);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_FALSE(object_of(ok).at("enabled").as_bool());
}

TEST_F(ConsoleOperator, AConfiguredSecretIsRotatedInTheConfigurationFileAndNeverShown) {
  const auto page = call("GET", "/destination");
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(page.body.find(kInlineSigningSecret), std::string::npos);
  EXPECT_EQ(page.body.find("C2FtcGxl"), std::string::npos);  // the file's secret
  std::size_t seen = 0;
  for (const auto& row : arr(object_of(page), "data")) {
    const auto& o = row.as_object();
    if (str(o, "name") == "svc") {
      ++seen;
      EXPECT_EQ(str(o, "secretManagedBy"), "config");
      EXPECT_EQ(str(o, "secretFrom"), "file:signing.secret");
    } else if (str(o, "name") == "inline") {
      ++seen;
      EXPECT_EQ(str(o, "secretManagedBy"), "config");
      EXPECT_EQ(str(o, "secretFrom"), "inline");
    }
  }
  EXPECT_EQ(seen, 2u);
  // No API path rotates it: the configuration is the one source of truth.
  EXPECT_EQ(call("POST", "/destination/svc/secret/rotate", "{}").status, 404);
}

TEST_F(ConsoleOperator, APauseSetOnOneNodeHoldsTheOtherNodesDeliveries) {
  if (!store_.postgres()) GTEST_SKIP() << "one node per SQLite store";
  server2_ = start(2);
  ASSERT_TRUE(server2_->started()) << server2_->stderr_text();
  const auto paused =
      call("PATCH", "/destination/svc", R"({"disabled":true})", kAdminKey, server2_.get());
  ASSERT_EQ(paused.status, 200) << paused.body;
  EXPECT_FALSE(svc().at("enabled").as_bool());  // node 1 reads the same record
  // Node 1 learns of it within its refresh (a second); then its claims skip the destination.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  for (int i = 0; i < 2; ++i)
    ASSERT_EQ(signed_event(R"({"n":)" + std::to_string(i) + "}").status, 200);
  ASSERT_TRUE(eventually([&] { return pending() == 2; }));
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(delivered_to_svc(), 0u);
  ASSERT_EQ(
      call("PATCH", "/destination/svc", R"({"disabled":false})", kAdminKey, server2_.get()).status,
      200);
  EXPECT_TRUE(eventually([&] { return delivered_to_svc() == 2; })) << delivered_to_svc();
}

TEST_F(ConsoleOperator, OneNodesStatsIncludeTheOtherNodesTraffic) {
  if (!store_.postgres()) GTEST_SKIP() << "one node per SQLite store";
  server2_ = start(2);
  ASSERT_TRUE(server2_->started()) << server2_->stderr_text();
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(signed_event(R"({"on":2,"n":)" + std::to_string(i) + "}", server2_.get()).status,
              200);
  ASSERT_EQ(http_request(
                server2_->port(), "POST", "/github",
                {{"Content-Type", "application/json"}, {"X-Hub-Signature-256", "sha256=00"}}, "{}")
                .status,
            401);
  // Node 1 took none of this traffic itself; its stats show node 2's (mirrored every second).
  json::object stats;
  ASSERT_TRUE(eventually([&] {
    stats = object_of(call("GET", "/stats?seconds=300"));
    const auto* series = stats.if_contains("series");
    return series != nullptr && total(arr(series->as_object(), "accepted")) == 3 &&
           total(arr(series->as_object(), "refused")) == 1;
  })) << json::serialize(stats);
  EXPECT_EQ(str(stats, "node"), "node-1");
  bool node2 = false;
  for (const auto& n : arr(stats, "nodes")) {
    const auto& o = n.as_object();
    if (str(o, "node") != "node-2") continue;
    node2 = true;
    EXPECT_EQ(o.at("accepted").to_number<std::int64_t>(), 3);
    EXPECT_EQ(o.at("refused").to_number<std::int64_t>(), 1);
  }
  EXPECT_TRUE(node2) << json::serialize(stats);
  // A stopped node drops out of the sums once it is no longer heard from.
  EXPECT_EQ(server2_->stop(SIGTERM), 0) << server2_->stderr_text();
  server2_.reset();
  EXPECT_TRUE(eventually([&] {
    stats = object_of(call("GET", "/stats?seconds=300"));
    return arr(stats, "nodes").size() == 1;
  })) << json::serialize(stats);
}

}  // namespace
}  // namespace hookgate::e2e
