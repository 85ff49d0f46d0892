// A `hookgate serve` child process for end-to-end tests: started with a config, its port read
// from the "listening on" line, stopped with a signal of the test's choosing. Plus a minimal
// HTTP/1.1 client over a loopback socket.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace hookgate::e2e {

class ServerProcess {
 public:
  // Starts `hookgate serve --config config_path`; waits (bounded) for the listening line.
  explicit ServerProcess(const std::string& config_path);
  // The same, run through a command that execs the rest of its arguments (the process is still
  // the server's): e.g. {"/usr/bin/prlimit", "--nofile=128:128"}.
  ServerProcess(const std::string& config_path, const std::vector<std::string>& prefix);
  ~ServerProcess();  // SIGKILL if still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  bool started() const { return port_ != 0; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& stderr_text() const { return err_; }
  // Sends signal and waits for the exit; returns the exit status (128+signal when killed).
  int stop(int signal);

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  int err_fd_ = -1;
  std::string err_;
};

struct HttpResult {
  int status = 0;                              // 0: no answer (connection refused or reset)
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
};

HttpResult http_request(int port, const std::string& method, const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& body);

}  // namespace hookgate::e2e
