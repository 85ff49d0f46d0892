// `hookgate serve` on a filesystem that fills up: the gateway answers 503 with Retry-After (never
// a 2xx it cannot keep), keeps serving pulls, and takes events again by itself once space
// returns. The store lives on a small tmpfs the test mounts (as root; skipped where mounting is
// not permitted). SQLite only: a PostgreSQL server's disk is not the gateway's.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "server_process.hpp"

namespace hookgate::e2e {
namespace {

constexpr const char* kSecret = "e2e-full-disk-secret";

class FullDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("hookgate-full-disk-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    mount_ = dir_ / "store";
    std::filesystem::create_directories(mount_);
    if (::mount("tmpfs", mount_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=0700") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs to fill (" << std::strerror(errno)
                   << "): this test needs root (CAP_SYS_ADMIN)";
    }
    mounted_ = true;
    config_ = (dir_ / "hookgate.toml").string();
    std::ofstream(config_) << R"([server]
listen = "127.0.0.1:0"
max_body_bytes = 65536
[store]
url = "sqlite://)" << (mount_ / "hookgate.db").string()
                           << R"("
[[source]]
name = "github"
scheme = "github"
secrets = [")" << kSecret << R"("]
pull_token = "pull-token"
)";
  }
  void TearDown() override {
    if (mounted_) ::umount2(mount_.c_str(), MNT_DETACH);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static HttpResult post(int port, const std::string& body, const std::string& id) {
    return http_request(
        port, "POST", "/in/github",
        {{"X-GitHub-Event", "push"},
         {"X-GitHub-Delivery", id},
         {"X-Hub-Signature-256", "sha256=" + crypto::hex_encode(crypto::hmac(
                                                 crypto::DigestAlgorithm::sha256, kSecret, body))}},
        body);
  }

  // Every event body stored for source github, via the pull API; nullopt-like empty + failure.
  static std::vector<std::string> pull_all(int port) {
    std::vector<std::string> bodies;
    std::int64_t after = 0;
    for (int page = 0; page < 1000; ++page) {
      const auto r =
          http_request(port, "GET", "/pull/github?limit=100&after=" + std::to_string(after),
                       {{"Authorization", "Bearer pull-token"}}, "");
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      const auto json = boost::json::parse(r.body).as_object();
      const auto& events = json.at("events").as_array();
      if (events.empty()) break;
      for (const auto& e : events)
        bodies.push_back(*crypto::base64_decode(e.at("body_base64").as_string()));
      after = json.at("next").as_int64();
    }
    return bodies;
  }

  // Takes every free byte of the store's filesystem.
  void fill() {
    std::ofstream filler(mount_ / "filler", std::ios::binary);
    const std::string chunk(4096, 'f');
    for (int i = 0; i < 4096 && filler.write(chunk.data(), chunk.size()); ++i) {
    }
    filler.close();
  }

  std::filesystem::path dir_;
  std::filesystem::path mount_;
  std::string config_;
  bool mounted_ = false;
};

TEST_F(FullDisk, AnswersBusyKeepsServingReadsAndRecoversWhenSpaceReturns) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  std::vector<std::string> accepted;
  const std::string first = R"({"n":"first"})";
  ASSERT_EQ(post(server.port(), first, "d-first").status, 200);
  accepted.push_back(first);

  fill();
  // Large events until the WAL needs room it cannot get. What is answered 200 must be kept.
  HttpResult refused;
  for (int i = 0; i < 100 && refused.status == 0; ++i) {
    const std::string body =
        R"({"n":")" + std::to_string(i) + "\",\"pad\":\"" + std::string(60'000, 'p') + "\"}";
    const auto r = post(server.port(), body, "d-" + std::to_string(i));
    if (r.status == 200) {
      accepted.push_back(body);
    } else {
      refused = r;
    }
  }
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.headers["retry-after"], "1");
  EXPECT_EQ(refused.body, "busy\n");
  // Still full: still refused, and reads still work and show every accepted event.
  EXPECT_EQ(post(server.port(), std::string(60'000, 'q'), "d-again").status, 503);
  EXPECT_EQ(http_request(server.port(), "GET", "/healthz", {}, "").status, 200);
  EXPECT_EQ(pull_all(server.port()), accepted);

  // Space returns: the very next event is taken, with no restart.
  std::filesystem::remove(mount_ / "filler");
  const std::string after = R"({"n":"after"})";
  const auto back = post(server.port(), after, "d-after");
  EXPECT_EQ(back.status, 200) << back.body;
  accepted.push_back(after);
  EXPECT_EQ(pull_all(server.port()), accepted);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace hookgate::e2e
