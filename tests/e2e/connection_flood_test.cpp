// `hookgate serve` flooded with more connections than the process may open files, black-box: each
// connection is served or closed at once (none left unanswered in the listen backlog), the
// gateway keeps descriptors for its own work, does not spin while out of them, and serves again
// when the flood is gone.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../unit/net/raw_client.hpp"
#include "server_process.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"
#include "wait.hpp"

namespace hookgate::e2e {
namespace {

using net::testing::count_responses;
using net::testing::raw_connect;
using net::testing::raw_send;

constexpr std::string_view kHealth = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";

class ConnectionFlood : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    dir_ = fresh_test_dir("hookgate-flood");
    config_ = (dir_ / "hookgate.toml").string();
    // The per-address bound is lifted: the flood comes from one address, and what is tested is
    // the bound of the process as a whole.
    std::ofstream(config_)
        << "[server]\nlisten = \"127.0.0.1:0\"\nmax_connections_per_ip = 100000\n"
        << "[store]\nurl = \"" << store_.url() << "\"\n";
  }
  void TearDown() override {
    for (const int fd : flood_)
      ::close(fd);
    std::filesystem::remove_all(dir_);
  }

  // Opens n connections and sends a health check on each.
  void flood(int port, int n) {
    for (int i = 0; i < n; ++i) {
      const int fd = raw_connect("127.0.0.1", static_cast<std::uint16_t>(port));
      ASSERT_GE(fd, 0) << "connection " << i;
      flood_.push_back(fd);
      raw_send(fd, kHealth);
    }
  }

  // The server's CPU time so far (user + system), from /proc.
  static std::chrono::milliseconds cpu_time(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the command name, which ends at the last ')'; utime and stime are the 12th
    // and 13th of them.
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    long long ticks = 0;
    for (int i = 1; i <= 13 && rest >> field; ++i) {
      if (i >= 12) ticks += std::stoll(field);
    }
    return std::chrono::milliseconds(ticks * 1000 / ::sysconf(_SC_CLK_TCK));
  }

  bool healthy(int port) { return http_request(port, "GET", "/healthz", {}, "").status == 200; }

  TestStore store_;
  std::filesystem::path dir_;
  std::string config_;
  std::vector<int> flood_;
};

// The process may open 128 files: connections get half of them, and each connection over that
// is closed at once. Before, the server accepted until it ran out of descriptors and left the
// rest of the flood waiting in the backlog, unanswered and open, with the accept loop spinning.
TEST_F(ConnectionFlood, EveryConnectionIsServedOrClosedWhenTheProcessCannotOpenThemAll) {
  ServerProcess server(config_, {"/usr/bin/prlimit", "--nofile=128:128"});
  ASSERT_TRUE(server.started()) << server.stderr_text();
  EXPECT_NE(server.stderr_text().find("max_connections lowered to 64"), std::string::npos)
      << server.stderr_text();
  flood(server.port(), 300);

  // Every connection ends up answered (and kept alive) or closed; none is left waiting.
  std::vector<std::string> received(flood_.size());
  std::vector<bool> closed(flood_.size(), false);
  const auto settled = [&](std::size_t i) {
    return closed[i] || count_responses(received[i]) == 1;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  for (;;) {
    std::vector<pollfd> waiting;
    for (std::size_t i = 0; i < flood_.size(); ++i) {
      if (!settled(i)) waiting.push_back({flood_[i], POLLIN, 0});
    }
    if (waiting.empty() || std::chrono::steady_clock::now() > deadline) break;
    if (::poll(waiting.data(), waiting.size(), 200) <= 0) continue;
    for (std::size_t i = 0, w = 0; i < flood_.size(); ++i) {
      if (settled(i)) continue;
      if (waiting[w++].revents == 0) continue;
      char buf[4096];
      const auto n = ::recv(flood_[i], buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        received[i].append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        closed[i] = true;
      }
    }
  }
  int answered = 0;
  int refused = 0;
  int left_waiting = 0;
  for (std::size_t i = 0; i < flood_.size(); ++i) {
    // 200, or 503 when the health lane's queue is full: either is an answer.
    if (count_responses(received[i]) == 1) {
      ++answered;
    } else if (closed[i]) {
      ++refused;
    } else {
      ++left_waiting;
    }
  }
  EXPECT_EQ(left_waiting, 0) << answered << " answered, " << refused << " closed";
  EXPECT_GE(answered, 1);
  EXPECT_LE(answered, 64);

  // Gone the flood, a client is served again.
  for (const int fd : flood_)
    ::close(fd);
  flood_.clear();
  EXPECT_TRUE(eventually([&] { return healthy(server.port()); }, std::chrono::seconds(10)));
}

// Descriptors can still run out (taken by something else than connections): the accept loop
// then pauses instead of retrying at full speed while the backlog holds a connection.
TEST_F(ConnectionFlood, RunningOutOfDescriptorsDoesNotSpinTheAcceptLoop) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  ASSERT_TRUE(healthy(server.port()));
  // Lowered under the server's feet: it keeps the bound it computed at start, but may open only
  // a few more files than it has open now.
  rlimit started{};
  ASSERT_EQ(::prlimit(server.pid(), RLIMIT_NOFILE, nullptr, &started), 0);
  rlimit few{64, started.rlim_max};
  ASSERT_EQ(::prlimit(server.pid(), RLIMIT_NOFILE, &few, nullptr), 0);
  flood(server.port(), 150);
  // Let the server run out: connections beyond its descriptors wait in the backlog.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto before = cpu_time(server.pid());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const auto used = cpu_time(server.pid()) - before;
  // Spinning takes a core (about 2 s here); pausing takes next to nothing.
  EXPECT_LT(used.count(), 500) << "CPU time over 2 s while out of descriptors";

  for (const int fd : flood_)
    ::close(fd);
  flood_.clear();
  ASSERT_EQ(::prlimit(server.pid(), RLIMIT_NOFILE, &started, nullptr), 0);
  EXPECT_TRUE(eventually([&] { return healthy(server.port()); }, std::chrono::seconds(10)));
}

}  // namespace
}  // namespace hookgate::e2e
