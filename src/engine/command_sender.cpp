// Command destinations: posix_spawn, stdin fed and output drained with poll, killed at timeout.
#include "command_sender.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

namespace hookgate::engine {

namespace {

struct Fd {
  int fd = -1;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

SendResult CommandSender::send(const store::Delivery& delivery,
                               const config::Destination& destination, int attempt) {
  SendResult result;
  if (destination.command.empty()) {
    result.outcome.error = "no command";
    return result;
  }
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) {
    result.outcome.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  Fd stdin_w{in[1]}, stdout_r{out[0]};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);

  const auto& e = delivery.event;
  std::vector<std::string> env = {
      "HOOKGATE_DELIVERY_ID=" + std::to_string(delivery.id),
      "HOOKGATE_EVENT_SEQ=" + std::to_string(e.seq),
      "HOOKGATE_SOURCE=" + e.source,
      "HOOKGATE_EVENT_TYPE=" + e.event_type,
      "HOOKGATE_RECEIVED_MS=" + std::to_string(e.received_ms),
      "HOOKGATE_ATTEMPT=" + std::to_string(attempt),
      "HOOKGATE_HEADERS=" + e.headers,
  };
  for (const char* keep : {"PATH", "LANG", "TZ"}) {
    if (const char* v = std::getenv(keep)) env.push_back(std::string(keep) + "=" + v);
  }
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (auto& s : env)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = destination.command;
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    result.outcome.error = "spawn " + destination.command.front() + ": " + std::strerror(rc);
    return result;
  }

  const auto deadline = std::chrono::steady_clock::now() + destination.timeout;
  const std::string& body = e.body;
  std::size_t written = 0;
  if (body.empty()) stdin_w.reset();
  bool timed_out = false;
  char buf[4096];
  while (stdout_r.fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2] = {{stdout_r.fd, POLLIN, 0}, {stdin_w.fd, POLLOUT, 0}};
    if (::poll(fds, 2, static_cast<int>(std::min<std::int64_t>(left, 1000))) < 0 &&
        errno != EINTR) {
      break;
    }
    if (stdin_w.fd >= 0 && fds[1].revents != 0) {
      const auto n = ::write(stdin_w.fd, body.data() + written, body.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      // A command that does not read its input gets EPIPE: that is its business.
      if (n < 0 || written == body.size()) stdin_w.reset();
    }
    if (fds[0].revents != 0) {
      const auto n = ::read(stdout_r.fd, buf, sizeof buf);
      if (n <= 0) {
        stdout_r.reset();
      } else if (result.response.size() < kMaxRecordedResponse) {
        result.response.append(
            buf, std::min<std::size_t>(static_cast<std::size_t>(n),
                                       kMaxRecordedResponse - result.response.size()));
      }
    }
  }
  stdin_w.reset();
  int status = 0;
  if (timed_out) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    result.outcome.error = "timeout after " + std::to_string(destination.timeout.count()) + " ms";
    return result;
  }
  // Output closed: the command is exiting; wait for it, still bounded by the deadline.
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      result.outcome.error = "timeout after " + std::to_string(destination.timeout.count()) + " ms";
      return result;
    }
    ::usleep(2000);
  }
  if (WIFEXITED(status)) {
    result.outcome.status = WEXITSTATUS(status);
  } else {
    result.outcome.error = "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return result;
}

}  // namespace hookgate::engine
