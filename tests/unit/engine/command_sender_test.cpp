// CommandSender against real processes: bodies up to the default source limit to a command that
// exits at once, one that never reads, one that reads everything; what each attempt reports, and
// that the sending process survives (SIGPIPE at its default disposition), keeps no child, zombie
// or descriptor, and kills what a command leaves running.
#include "engine/command_sender.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace hookgate::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string random_bytes(std::size_t n) {
  std::mt19937 gen(static_cast<unsigned>(n));
  std::string s(n, '\0');
  for (auto& c : s)
    c = static_cast<char>(gen() & 0xff);
  return s;
}

store::Delivery delivery_with(std::string body) {
  store::Delivery d;
  d.id = 7;
  d.event.seq = 42;
  d.event.source = "github";
  d.event.body = std::move(body);
  return d;
}

config::Destination command(std::vector<std::string> argv, milliseconds timeout) {
  config::Destination d;
  d.name = "cmd";
  d.kind = config::Destination::Kind::command;
  d.command = std::move(argv);
  d.timeout = timeout;
  return d;
}

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

// No child of this process is left, running or zombie.
bool no_children() {
  int status = 0;
  return ::waitpid(-1, &status, WNOHANG) < 0 && errno == ECHILD;
}

// Gone, or a zombie waiting for a reaper that is not us.
bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string line;
  std::getline(stat, line);
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

class CommandSenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The default disposition: a SIGPIPE raised by the sender would end this test binary.
    previous_ = std::signal(SIGPIPE, SIG_DFL);
    dir_ = std::filesystem::temp_directory_path() /
           ("hookgate-command-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::signal(SIGPIPE, previous_);
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  void (*previous_)(int) = nullptr;
  CommandSender sender_;
};

TEST_F(CommandSenderTest, CommandThatExitsAtOnceIsAResultForEveryBodySize) {
  const std::size_t fds = open_fds();
  for (const std::size_t size :
       {std::size_t{0}, std::size_t{1}, std::size_t{65535}, std::size_t{65536},
        std::size_t{256} << 10, std::size_t{1} << 20}) {
    SCOPED_TRACE(size);
    const auto r = sender_.send(delivery_with(random_bytes(size)),
                                command({"/bin/true"}, milliseconds(10'000)), 1);
    EXPECT_EQ(r.outcome.error, "");
    EXPECT_EQ(r.outcome.status, 0);
    const auto f = sender_.send(delivery_with(random_bytes(size)),
                                command({"/bin/false"}, milliseconds(10'000)), 1);
    EXPECT_EQ(f.outcome.error, "");
    EXPECT_EQ(f.outcome.status, 1);  // retried by the dispatcher, not a crash
  }
  EXPECT_TRUE(no_children());
  EXPECT_EQ(open_fds(), fds);
}

TEST_F(CommandSenderTest, CommandThatNeverReadsIsKilledAtItsTimeout) {
  const std::size_t fds = open_fds();
  const auto started = steady_clock::now();
  const auto r = sender_.send(delivery_with(random_bytes(std::size_t{1} << 20)),
                              command({"/bin/sleep", "30"}, milliseconds(300)), 1);
  const auto took = steady_clock::now() - started;
  EXPECT_EQ(r.outcome.error, "timeout after 300 ms");
  EXPECT_EQ(r.outcome.status, 0);
  // Bounded, far below the 30 s the command wanted (and the blocking write it got before).
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_TRUE(no_children());
  EXPECT_EQ(open_fds(), fds);
}

TEST_F(CommandSenderTest, CommandThatReadsEverythingGetsTheExactBytes) {
  const auto body = random_bytes(std::size_t{1} << 20);
  const auto file = (dir_ / "body.bin").string();
  const auto r =
      sender_.send(delivery_with(body),
                   command({"/bin/sh", "-c", "cat > \"$0\"", file}, milliseconds(10'000)), 1);
  ASSERT_EQ(r.outcome.error, "");
  EXPECT_EQ(r.outcome.status, 0);
  std::ifstream in(file, std::ios::binary);
  std::stringstream got;
  got << in.rdbuf();
  EXPECT_TRUE(got.str() == body) << "got " << got.str().size() << " bytes";
  EXPECT_TRUE(no_children());
}

TEST_F(CommandSenderTest, CommandOutputAndEnvironmentAreRecorded) {
  const auto r =
      sender_.send(delivery_with("hello"),
                   command({"/bin/sh", "-c",
                            "printf '%s/%s/' \"$HOOKGATE_SOURCE\" \"$HOOKGATE_EVENT_SEQ\"; cat; "
                            "exit 3"},
                           milliseconds(10'000)),
                   2);
  EXPECT_EQ(r.outcome.status, 3);
  EXPECT_EQ(r.response, "github/42/hello");
}

TEST_F(CommandSenderTest, WhatACommandLeavesRunningEndsWithTheAttempt) {
  const auto pidfile = (dir_ / "pid").string();
  const auto r =
      sender_.send(delivery_with(random_bytes(std::size_t{256} << 10)),
                   command({"/bin/sh", "-c", "sleep 30 & echo $! > \"$0\"; exit 0", pidfile},
                           milliseconds(10'000)),
                   1);
  EXPECT_EQ(r.outcome.error, "");
  EXPECT_EQ(r.outcome.status, 0);
  std::ifstream in(pidfile);
  pid_t left = 0;
  ASSERT_TRUE(in >> left);
  // SIGKILL is delivered before the sender returns; the reparented process may need a moment
  // to be marked dead.
  const auto until = steady_clock::now() + std::chrono::seconds(10);
  while (!process_gone(left) && steady_clock::now() < until)
    ::usleep(10'000);
  EXPECT_TRUE(process_gone(left));
  EXPECT_TRUE(no_children());
}

TEST_F(CommandSenderTest, CommandThatCannotStartIsAnError) {
  const auto r =
      sender_.send(delivery_with("x"), command({"/nonexistent/hook"}, milliseconds(1000)), 1);
  EXPECT_NE(r.outcome.error, "");
  EXPECT_TRUE(no_children());
}

}  // namespace
}  // namespace hookgate::engine
