// Several nodes on one PostgreSQL, as a user who outgrew one machine runs them: three `hookgate
// serve` processes share a database; events arrive through all three sources and messages are
// published through all three APIs; one node is killed with SIGKILL while deliveries are in
// flight. Every event that was answered 2xx must reach its receiver at least once; duplicates
// (the price of at-least-once after a crash) are counted and reported. Needs a PostgreSQL server:
// HOOKGATE_TEST_POSTGRES_URL (scripts/start-postgres.sh); skipped without it.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "loopback_receiver.hpp"
#include "run_process.hpp"
#include "server_process.hpp"

namespace hookgate::e2e {
namespace {

constexpr const char* kSecret = "multinode-github-secret";
constexpr const char* kAdminKey = "multinode-admin-key-0123456789";

class MultiNode : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("HOOKGATE_TEST_POSTGRES_URL");
    if (url == nullptr || *url == '\0') {
      GTEST_SKIP() << "HOOKGATE_TEST_POSTGRES_URL is not set (scripts/start-postgres.sh)";
    }
    // A database of its own, so the test starts from an empty store.
    std::string base(url);
    const auto slash = base.rfind('/');
    ASSERT_NE(slash, std::string::npos) << base;
    database_ = "hookgate_multinode_" + std::to_string(getpid());
    admin_url_ = base;
    (void)run_process({"/usr/bin/psql", admin_url_, "-qc", "DROP DATABASE IF EXISTS " + database_},
                      "");
    const auto created =
        run_process({"/usr/bin/psql", admin_url_, "-qc", "CREATE DATABASE " + database_}, "");
    ASSERT_EQ(created.exit_code, 0) << created.err;
    store_url_ = base.substr(0, slash + 1) + database_;
    dir_ =
        std::filesystem::temp_directory_path() / ("hookgate-multinode-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!database_.empty()) {
      (void)run_process({"/usr/bin/psql", admin_url_, "-qc",
                         "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)"},
                        "");
    }
    std::filesystem::remove_all(dir_);
  }

  std::string write_config(int node, int receiver_port) {
    const auto path = (dir_ / ("node" + std::to_string(node) + ".toml")).string();
    std::ofstream(path) << R"([server]
listen = "127.0.0.1:0"
[store]
url = ")" << store_url_ << R"("
[delivery]
schedule = [1, 1, 1, 1, 1, 1, 1, 1]
jitter = 0
lease_seconds = 3
node_id = "node-)" << node
                        << R"("
[api]
enabled = true
admin_keys = [")" << kAdminKey
                        << R"("]
[outbound]
allow_cidrs = ["127.0.0.1/32"]
require_https = false
timeout_ms = 1500
secret_key = "c2VhbGluZy1rZXktZm9yLW11bHRpbm9kZS1lMmUtdHM="
[[source]]
name = "github"
scheme = "github"
secrets = [")" << kSecret
                        << R"("]
[[destination]]
name = "svc"
url = "http://127.0.0.1:)"
                        << receiver_port << R"(/forwarded"
sign = "none"
timeout_ms = 1500
[[route]]
from = "github"
to = ["svc"]
)";
    return path;
  }

  std::filesystem::path dir_;
  std::string database_, admin_url_, store_url_;
};

std::string json_field(const std::string& body, const char* key) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object() || !v.as_object().contains(key)) return "";
  return std::string(v.at(key).as_string());
}

TEST_F(MultiNode, ThreeNodesOnePostgresNothingLostWhenOneIsKilled) {
  std::mutex m;
  std::multiset<std::string> received;
  LoopbackReceiver receiver([&](const ReceivedRequest& r) {
    const auto id =
        r.target == "/forwarded" ? json_field(r.body, "event") : json_field(r.body, "message");
    {
      const std::lock_guard lock(m);
      received.insert(id);
    }
    // Slow enough that a kill lands while attempts are in flight.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return ReceiverAnswer{200, {}, "ok"};
  });
  ASSERT_NE(receiver.port(), 0);
  std::vector<std::unique_ptr<ServerProcess>> nodes;
  for (int n = 0; n < 3; ++n) {
    nodes.push_back(std::make_unique<ServerProcess>(write_config(n, receiver.port())));
    ASSERT_TRUE(nodes.back()->started()) << nodes.back()->stderr_text();
  }
  const auto port = [&](int n) { return nodes[static_cast<std::size_t>(n)]->port(); };
  const std::vector<std::pair<std::string, std::string>> admin = {
      {"Authorization", std::string("Bearer ") + kAdminKey}};
  const auto app = http_request(port(0), "POST", "/api/v1/app", admin, R"({"name":"mn"})");
  ASSERT_EQ(app.status, 201) << app.body;
  const auto app_id = json_field(app.body, "id");
  const auto endpoint =
      http_request(port(1), "POST", "/api/v1/app/" + app_id + "/endpoint", admin,
                   R"({"url":"http://127.0.0.1:)" + std::to_string(receiver.port()) + R"(/out"})");
  ASSERT_EQ(endpoint.status, 201) << endpoint.body;

  std::set<std::string> acknowledged;
  std::atomic<bool> killed{false};
  std::atomic<int> sent{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 6; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < 60; ++i) {
        const int node = (c + i) % 3;
        if (node == 2 && killed) continue;
        const std::string id = "c" + std::to_string(c) + "-" + std::to_string(i);
        HttpResult r;
        if (i % 2 == 0) {
          const std::string body = R"({"event":"e-)" + id + R"("})";
          const auto sig = "sha256=" + crypto::hex_encode(crypto::hmac(
                                           crypto::DigestAlgorithm::sha256, kSecret, body));
          r = http_request(port(node), "POST", "/in/github",
                           {{"X-Hub-Signature-256", sig}, {"X-GitHub-Delivery", "d-" + id}}, body);
          if (r.status == 200) {
            const std::lock_guard lock(m);
            acknowledged.insert("e-" + id);
          }
        } else {
          r = http_request(port(node), "POST", "/api/v1/app/" + app_id + "/msg", admin,
                           R"({"eventType":"mn.test","payload":{"message":"m-)" + id + R"("}})");
          if (r.status == 202) {
            const std::lock_guard lock(m);
            acknowledged.insert("m-" + id);
          }
        }
        ++sent;
      }
    });
  }
  // Kill node 2 mid-run, while its dispatcher holds leases on in-flight deliveries.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (sent < 150 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(nodes[2]->stop(SIGKILL), 128 + SIGKILL);
  killed = true;
  for (auto& t : clients)
    t.join();
  ASSERT_GT(acknowledged.size(), 200U);

  const auto missing = [&] {
    const std::lock_guard lock(m);
    std::size_t n = 0;
    for (const auto& id : acknowledged)
      n += received.count(id) == 0 ? 1 : 0;
    return n;
  };
  const auto wait_until = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (missing() > 0 && std::chrono::steady_clock::now() < wait_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::size_t lost = missing();
  std::size_t duplicates = 0;
  {
    const std::lock_guard lock(m);
    for (const auto& id : acknowledged) {
      const auto n = received.count(id);
      duplicates += n > 1 ? n - 1 : 0;
    }
  }
  EXPECT_EQ(lost, 0U) << "of " << acknowledged.size() << " acknowledged";
  std::cout << "[ multinode ] acknowledged " << acknowledged.size() << ", delivered "
            << acknowledged.size() - lost << ", lost " << lost << ", duplicates " << duplicates
            << "\n";
  for (int n : {0, 1}) {
    EXPECT_EQ(nodes[static_cast<std::size_t>(n)]->stop(SIGTERM), 0);
  }
}

}  // namespace
}  // namespace hookgate::e2e
