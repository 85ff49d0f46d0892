// Command destinations: posix_spawn into a process group of its own, stdin fed non-blocking and
// output drained with poll under the destination's timeout, the group killed and reaped at the
// deadline. Whatever the child does (exits at once, never reads, forks and leaves), the result is
// an outcome for the dispatcher, never a signal or a blocked worker for the gateway.
#include "command_sender.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace hookgate::engine {

namespace {

struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// Writing to a pipe whose reader has gone raises SIGPIPE in the writing thread. The sender must
// not depend on the process having ignored it (the gateway does, a test binary or another host
// may not): SIGPIPE is blocked on this thread while the child runs, and one raised by our own
// writes is taken off the pending set before the mask is restored.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &previous_);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;
  ~SigpipeGuard() {
    if (sigismember(&previous_, SIGPIPE) == 0) {
      sigset_t pending;
      sigemptyset(&pending);
      if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{0, 0};
        ::sigtimedwait(&pipe_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }

 private:
  sigset_t pipe_{};
  sigset_t previous_{};
};

// Owns the spawn attributes: the child leads a new process group (so a timeout kills everything
// it started), runs with no signal blocked (the gateway's threads block SIGINT/SIGTERM) and with
// SIGPIPE back at its default (an ignored signal would otherwise survive exec).
class SpawnAttributes {
 public:
  SpawnAttributes() {
    posix_spawnattr_init(&attr_);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigmask(&attr_, &none);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setpgroup(&attr_, 0);
    posix_spawnattr_setflags(
        &attr_,
        static_cast<short>(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
  ~SpawnAttributes() { posix_spawnattr_destroy(&attr_); }
  const posix_spawnattr_t* get() const { return &attr_; }

 private:
  posix_spawnattr_t attr_{};
};

class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_{};
};

std::int64_t millis_left(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                               std::chrono::steady_clock::now())
      .count();
}

// Kills the child's whole group and reaps the child: after a timeout nothing it started may keep
// running, holding the pipes or the destination's resources.
void kill_and_reap(pid_t pid, int& status) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

std::string timeout_error(const config::Destination& destination) {
  return "timeout after " + std::to_string(destination.timeout.count()) + " ms";
}

}  // namespace

SendResult CommandSender::send(const store::Delivery& delivery,
                               const config::Destination& destination, int attempt) {
  SendResult result;
  if (destination.command.empty()) {
    result.outcome.error = "no command";
    return result;
  }
  int in[2] = {-1, -1};
  int out[2] = {-1, -1};
  if (::pipe2(in, O_CLOEXEC) != 0) {
    result.outcome.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  Fd stdin_r(in[0]);
  Fd stdin_w(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) {
    result.outcome.error = std::string("pipe: ") + std::strerror(errno);
    return result;
  }
  Fd stdout_r(out[0]);
  Fd stdout_w(out[1]);
  // Our ends never block: a child that stops reading must not hold this worker past the timeout.
  if (::fcntl(stdin_w.fd, F_SETFL, O_NONBLOCK) != 0 ||
      ::fcntl(stdout_r.fd, F_SETFL, O_NONBLOCK) != 0) {
    result.outcome.error = std::string("fcntl: ") + std::strerror(errno);
    return result;
  }
  FileActions actions;
  posix_spawn_file_actions_adddup2(actions.get(), stdin_r.fd, 0);
  posix_spawn_file_actions_adddup2(actions.get(), stdout_w.fd, 1);
  posix_spawn_file_actions_adddup2(actions.get(), stdout_w.fd, 2);
  const SpawnAttributes attributes;

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

  const SigpipeGuard sigpipe;
  pid_t pid = 0;
  const int rc =
      ::posix_spawnp(&pid, argv[0], actions.get(), attributes.get(), argv.data(), envp.data());
  // The child's ends: closed here so EOF and EPIPE reach us when the child closes or exits.
  stdin_r.reset();
  stdout_w.reset();
  if (rc != 0) {
    result.outcome.error = "spawn " + destination.command.front() + ": " + std::strerror(rc);
    return result;
  }

  const auto deadline = std::chrono::steady_clock::now() + destination.timeout;
  const std::string& body = e.body;
  std::size_t written = 0;
  if (body.empty()) stdin_w.reset();
  char buf[4096];
  // Bounded per call: a child (or what it left running) that writes without end cannot hold us.
  const auto take_output = [&]() {
    for (int reads = 0; reads < 64; ++reads) {
      const auto n = ::read(stdout_r.fd, buf, sizeof buf);
      if (n > 0) {
        if (result.response.size() < kMaxRecordedResponse) {
          result.response.append(
              buf, std::min<std::size_t>(static_cast<std::size_t>(n),
                                         kMaxRecordedResponse - result.response.size()));
        }
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) stdout_r.reset();
      return;
    }
  };
  int status = 0;
  for (;;) {
    // The leader's exit is seen without reaping it, so its pid (and group id) cannot be reused
    // before the group is killed below.
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 &&
        errno != EINTR) {
      kill_and_reap(pid, status);
      result.outcome.error = std::string("waitid: ") + std::strerror(errno);
      return result;
    }
    if (info.si_pid == pid) break;
    const auto left = millis_left(deadline);
    if (left <= 0) {
      kill_and_reap(pid, status);
      result.outcome.error = timeout_error(destination);
      return result;
    }
    pollfd fds[2] = {{stdout_r.fd, POLLIN, 0}, {stdin_w.fd, POLLOUT, 0}};
    // Short slices: the child's exit is noticed by waitid, not by an fd (a grandchild may hold
    // its output open).
    if (::poll(fds, 2, static_cast<int>(std::min<std::int64_t>(left, 20))) < 0 && errno != EINTR) {
      kill_and_reap(pid, status);
      result.outcome.error = std::string("poll: ") + std::strerror(errno);
      return result;
    }
    if (stdin_w.fd >= 0 && fds[1].revents != 0) {
      const auto n = ::write(stdin_w.fd, body.data() + written, body.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      // EPIPE: the command closed its input or exited without reading; its exit status decides.
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == body.size()) stdin_w.reset();
    }
    if (stdout_r.fd >= 0 && fds[0].revents != 0) take_output();
  }
  if (stdout_r.fd >= 0) take_output();
  // What the command left running in its group ends with the attempt.
  kill_and_reap(pid, status);
  if (WIFEXITED(status)) {
    result.outcome.status = WEXITSTATUS(status);
  } else {
    result.outcome.error = "killed by signal " + std::to_string(WTERMSIG(status));
  }
  return result;
}

}  // namespace hookgate::engine
