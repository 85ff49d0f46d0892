// GET /metrics on the real binary under hostile input: requests to made-up pull paths add no
// series, a path built to break the exposition format does not, and promtool (when installed;
// scripts/setup-debian.sh installs it) accepts the whole output, process_* series included.
// Who may read it: loopback peers by default, never a request that came through a proxy, and a
// scraper with the [metrics] token from anywhere; /healthz and /metrics answer GET and HEAD only.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "run_process.hpp"
#include "server_process.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"

namespace hookgate::e2e {
namespace {

class MetricsEndpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    dir_ = fresh_test_dir("hookgate-metrics");
    config_ = (dir_ / "hookgate.toml").string();
    std::ofstream(config_) << R"([server]
listen = "127.0.0.1:0"
[store]
url = ")" << store_.url() << R"("
[[source]]
name = "github"
scheme = "github"
secrets = ["s"]
pull_token = "pull-token"
)";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The config with a [metrics] table appended.
  std::string with_metrics(const std::string& table) {
    std::ifstream in(config_);
    std::stringstream text;
    text << in.rdbuf() << "[metrics]\n" << table;
    const auto path = (dir_ / "metrics.toml").string();
    std::ofstream(path) << text.str();
    return path;
  }

  // Sample lines (not comments) of the labelled hookgate_ families.
  static std::size_t series(const std::string& text) {
    std::istringstream in(text);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with("hookgate_inbound_requests_total") ||
          line.starts_with("hookgate_http_responses_total")) {
        ++n;
      }
    }
    return n;
  }

  std::filesystem::path dir_;
  std::string config_;
  TestStore store_;
};

TEST_F(MetricsEndpoint, RandomPullPathsDoNotGrowTheSeries) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  std::mt19937 rng(11);
  const auto random_path = [&] {
    std::string s = "/pull/";
    for (int i = 0; i < 12; ++i)
      s += static_cast<char>('a' + rng() % 26);
    return s;
  };
  ASSERT_EQ(http_request(server.port(), "GET", random_path(), {}, "").status, 404);
  const auto before = series(http_request(server.port(), "GET", "/metrics", {}, "").body);
  for (int i = 0; i < 500; ++i) {
    ASSERT_EQ(http_request(server.port(), "GET", random_path(), {}, "").status, 404) << i;
  }
  const auto text = http_request(server.port(), "GET", "/metrics", {}, "").body;
  EXPECT_EQ(series(text), before) << text;
  EXPECT_NE(
      text.find(
          R"(hookgate_inbound_requests_total{source="unmatched",verdict="unknown_path"} 501)"),
      std::string::npos)
      << text;
}

TEST_F(MetricsEndpoint, AHostilePathLeavesAValidExposition) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  (void)http_request(server.port(), "GET", R"(/pull/x"}_1_fake{a=")", {}, "");
  (void)http_request(server.port(), "GET", R"(/pull/a\"b)", {}, "");
  const auto metrics = http_request(server.port(), "GET", "/metrics", {}, "");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.body.find("fake"), std::string::npos) << metrics.body;
  for (const char* family :
       {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
        "process_max_fds", "process_start_time_seconds", "process_virtual_memory_bytes"}) {
    EXPECT_NE(metrics.body.find(std::string("\n") + family + " "), std::string::npos) << family;
  }
  if (!std::filesystem::exists("/usr/bin/promtool")) GTEST_SKIP() << "promtool not installed";
  const auto checked = run_process({"/usr/bin/promtool", "check", "metrics"}, metrics.body);
  EXPECT_EQ(checked.exit_code, 0) << checked.out << checked.err << "\n" << metrics.body;
}

TEST_F(MetricsEndpoint, ARequestThatCameThroughAProxyIsNotLetInByItsLoopbackPeer) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  EXPECT_EQ(http_request(server.port(), "GET", "/metrics", {}, "").status, 200);
  for (const char* header : {"X-Forwarded-For", "Forwarded", "X-Real-IP"}) {
    const auto r = http_request(server.port(), "GET", "/metrics", {{header, "203.0.113.7"}}, "");
    EXPECT_EQ(r.status, 403) << header;
    EXPECT_EQ(r.body.find("hookgate_"), std::string::npos) << header;
  }
}

TEST_F(MetricsEndpoint, AnAddressOutsideAllowIsRefused) {
  ServerProcess server(with_metrics("allow = [\"192.0.2.0/24\"]\n"));
  ASSERT_TRUE(server.started()) << server.stderr_text();
  const auto r = http_request(server.port(), "GET", "/metrics", {}, "");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("[metrics] allow"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("hookgate_"), std::string::npos);
}

TEST_F(MetricsEndpoint, TheTokenLetsAScraperInFromAnyAddress) {
  const std::string token = "metrics-token-0123456789abcdef";
  ServerProcess server(with_metrics("allow = []\ntoken = \"" + token + "\"\n"));
  ASSERT_TRUE(server.started()) << server.stderr_text();
  const auto none = http_request(server.port(), "GET", "/metrics", {}, "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers.at("www-authenticate"), "Bearer");
  const auto wrong = http_request(server.port(), "GET", "/metrics",
                                  {{"Authorization", "Bearer metrics-token-0123456789abcdeX"}}, "");
  EXPECT_EQ(wrong.status, 401);
  const auto right =
      http_request(server.port(), "GET", "/metrics",
                   {{"Authorization", "Bearer " + token}, {"X-Forwarded-For", "203.0.113.7"}}, "");
  EXPECT_EQ(right.status, 200);
  EXPECT_NE(right.body.find("hookgate_events_stored"), std::string::npos);
  EXPECT_EQ(server.stderr_text().find(token), std::string::npos);
}

TEST_F(MetricsEndpoint, HealthAndMetricsAnswerOnlyGetAndHead) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  for (const char* path : {"/healthz", "/metrics"}) {
    EXPECT_EQ(http_request(server.port(), "HEAD", path, {}, "").status, 200) << path;
    for (const char* method : {"POST", "DELETE", "TRACE"}) {
      const auto r = http_request(server.port(), method, path, {}, "");
      EXPECT_EQ(r.status, 405) << method << " " << path;
      EXPECT_EQ(r.headers.at("allow"), "GET, HEAD") << method << " " << path;
    }
  }
}

}  // namespace
}  // namespace hookgate::e2e
