// Long polls against the real binary: parked polls hold no thread (health and the API answer
// while hundreds wait), a poll is woken by an event of its own source, their number is bounded,
// SIGTERM answers every parked poll with an empty page, and on a shared PostgreSQL store a poll
// on one node sees an event accepted by another.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "server_process.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"
#include "wait.hpp"

namespace hookgate::e2e {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "pull-github-secret";
constexpr const char* kAdminKey = "pull-admin-key-0123456789abcdef";

// A request sent now and read later: how a test holds many long polls open at once.
class OpenRequest {
 public:
  OpenRequest(int port, const std::string& target, const std::string& token) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    const std::string request = "GET " + target +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                "Authorization: Bearer " +
                                token + "\r\n\r\n";
    sent_ = send(fd_, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size());
  }
  ~OpenRequest() {
    if (fd_ >= 0) close(fd_);
  }
  OpenRequest(const OpenRequest&) = delete;
  OpenRequest& operator=(const OpenRequest&) = delete;

  bool sent() const { return sent_; }
  // True once the whole answer is in (the server closes after it), within limit.
  bool answered(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!closed_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[65536];
      const auto n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed_ = true;
      } else {
        response_.append(buf, static_cast<std::size_t>(n));
      }
    }
    return true;
  }
  int status() const {
    return response_.starts_with("HTTP/1.1 ") ? std::stoi(response_.substr(9, 3)) : 0;
  }
  std::string body() const {
    const auto end = response_.find("\r\n\r\n");
    return end == std::string::npos ? "" : response_.substr(end + 4);
  }
  std::size_t events() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(body(), ec);
    if (ec || !v.is_object()) return 999;
    return v.as_object().at("events").as_array().size();
  }

 private:
  int fd_ = -1;
  bool sent_ = false;
  bool closed_ = false;
  std::string response_;
};

class Pull : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    dir_ = fresh_test_dir("hookgate-pull");
    config_ = (dir_ / "hookgate.toml").string();
    write_config("");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_config(const std::string& server_extra) {
    std::ofstream(config_) << "[server]\nlisten = \"127.0.0.1:0\"\n"
                           << server_extra << "[store]\nurl = \"" << store_.url() << R"("
[api]
enabled = true
admin_keys = [")" << kAdminKey
                           << R"("]
[outbound]
# Nodes sharing PostgreSQL must share the key sealing endpoint secrets.
secret_key = "cHVsbC1lMmUtc2VhbGluZy1rZXktMzItYnl0ZXMhISE="
[[source]]
name = "github"
scheme = "github"
secrets = [")" << kSecret << R"("]
pull_token = "pull-token"
[[source]]
name = "other"
path = "/in/other"
scheme = "github"
secrets = [")" << kSecret << R"("]
pull_token = "other-token"
)";
  }

  static HttpResult post_event(int port, const std::string& path, const std::string& body,
                               const std::string& id) {
    return http_request(
        port, "POST", path,
        {{"X-GitHub-Event", "push"},
         {"X-GitHub-Delivery", id},
         {"X-Hub-Signature-256", "sha256=" + crypto::hex_encode(crypto::hmac(
                                                 crypto::DigestAlgorithm::sha256, kSecret, body))}},
        body);
  }

  static double parked(int port) {
    const auto m = http_request(port, "GET", "/metrics", {}, "");
    const auto at = m.body.find("\nhookgate_pull_parked ");
    if (at == std::string::npos) return -1;
    return std::stod(m.body.substr(at + 22));
  }

  std::filesystem::path dir_;
  std::string config_;
  TestStore store_;
};

TEST_F(Pull, ParkedPollsHoldNoThreadHealthAndApiStillAnswer) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  std::vector<std::unique_ptr<OpenRequest>> polls;
  for (int i = 0; i < 200; ++i) {
    polls.push_back(
        std::make_unique<OpenRequest>(server.port(), "/pull/github?wait=30", "pull-token"));
    ASSERT_TRUE(polls.back()->sent()) << i;
  }
  ASSERT_TRUE(eventually([&] { return parked(server.port()) == 200; }, 20s))
      << parked(server.port());
  // The polls wait 30 s; http_request gives up after 10 s: an answer at all means these did not
  // queue behind the polls (on a pool of 64 threads, 200 polls held every one of them).
  const auto started = std::chrono::steady_clock::now();
  const auto health = http_request(server.port(), "GET", "/healthz", {}, "");
  EXPECT_EQ(health.status, 200) << health.body;
  const auto api = http_request(server.port(), "GET", "/api/v1/app",
                                {{"Authorization", std::string("Bearer ") + kAdminKey}}, "");
  EXPECT_EQ(api.status, 200) << api.body;
  const auto pulled = http_request(server.port(), "GET", "/pull/github",
                                   {{"Authorization", "Bearer pull-token"}}, "");
  EXPECT_EQ(pulled.status, 200) << pulled.body;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 25s);
  for (const auto& p : polls)
    EXPECT_FALSE(p->answered(0ms));  // still parked: nothing was answered early to make room
}

TEST_F(Pull, APollIsWokenByAnEventOfItsOwnSource) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  OpenRequest mine(server.port(), "/pull/github?wait=30", "pull-token");
  OpenRequest theirs(server.port(), "/pull/other?wait=30", "other-token");
  ASSERT_TRUE(eventually([&] { return parked(server.port()) == 2; }, 20s));
  const std::string body = R"({"ref":"refs/heads/main"})";
  ASSERT_EQ(post_event(server.port(), "/in/github", body, "d-1").status, 200);
  // Well before the 30 s wait: woken by the event, not by the deadline.
  ASSERT_TRUE(mine.answered(20s));
  EXPECT_EQ(mine.status(), 200);
  EXPECT_EQ(mine.events(), 1U) << mine.body();
  EXPECT_NE(mine.body().find(crypto::base64_encode(body)), std::string::npos) << mine.body();
  // The other source's poll has nothing to say and is still parked.
  EXPECT_EQ(parked(server.port()), 1);
  EXPECT_FALSE(theirs.answered(0ms));
}

TEST_F(Pull, TheNumberOfParkedPollsIsBounded) {
  write_config("max_parked_polls = 3\n");
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  std::vector<std::unique_ptr<OpenRequest>> polls;
  for (int i = 0; i < 3; ++i) {
    polls.push_back(
        std::make_unique<OpenRequest>(server.port(), "/pull/github?wait=30", "pull-token"));
  }
  ASSERT_TRUE(eventually([&] { return parked(server.port()) == 3; }, 20s));
  OpenRequest fourth(server.port(), "/pull/github?wait=30", "pull-token");
  ASSERT_TRUE(fourth.answered(20s));
  EXPECT_EQ(fourth.status(), 503);
  EXPECT_EQ(fourth.body(), "too_many_polls\n");
  // A poll that does not wait is still served.
  EXPECT_EQ(http_request(server.port(), "GET", "/pull/github",
                         {{"Authorization", "Bearer pull-token"}}, "")
                .status,
            200);
}

TEST_F(Pull, SigtermAnswersParkedPollsWithAnEmptyPage) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  OpenRequest first(server.port(), "/pull/github?wait=30", "pull-token");
  OpenRequest second(server.port(), "/pull/other?wait=30&after=7", "other-token");
  ASSERT_TRUE(eventually([&] { return parked(server.port()) == 2; }, 20s));
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(server.stop(SIGTERM), 0);
  // Within the shutdown window (5 s; generous here for a loaded machine), not the 30 s wait.
  EXPECT_LT(std::chrono::steady_clock::now() - started, 20s);
  ASSERT_TRUE(first.answered(1s));
  ASSERT_TRUE(second.answered(1s));
  EXPECT_EQ(first.status(), 200);
  EXPECT_EQ(first.body(), R"({"events":[],"next":0})");
  EXPECT_EQ(second.status(), 200);
  EXPECT_EQ(second.body(), R"({"events":[],"next":7})");
}

TEST_F(Pull, APollOnOneNodeSeesAnEventAcceptedByAnother) {
  if (!store_.postgres()) GTEST_SKIP() << "needs a shared PostgreSQL store";
  ServerProcess one(config_);
  ASSERT_TRUE(one.started()) << one.stderr_text();
  ServerProcess two(config_);
  ASSERT_TRUE(two.started()) << two.stderr_text();
  OpenRequest poll(one.port(), "/pull/github?wait=30", "pull-token");
  ASSERT_TRUE(eventually([&] { return parked(one.port()) == 1; }, 20s));
  ASSERT_EQ(post_event(two.port(), "/in/github", R"({"n":1})", "d-2").status, 200);
  // Node one hears of it through LISTEN/NOTIFY (or, had the notice been lost, at its parked
  // polls' look of every second).
  ASSERT_TRUE(poll.answered(20s));
  EXPECT_EQ(poll.status(), 200);
  EXPECT_EQ(poll.events(), 1U) << poll.body();
}

}  // namespace
}  // namespace hookgate::e2e
