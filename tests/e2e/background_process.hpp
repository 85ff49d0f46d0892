// A long-running `hookgate` child (listen, tail) for end-to-end tests: started with its
// arguments and extra environment, stdout and stderr written to files the test reads while it
// runs, stopped with the signal the test chooses (SIGKILL: a crash).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace hookgate::e2e {

class BackgroundProcess {
 public:
  // argv[0] is the program; output goes to <out_prefix>.out and <out_prefix>.err (truncated).
  BackgroundProcess(const std::vector<std::string>& argv,
                    const std::map<std::string, std::string>& env,
                    const std::filesystem::path& out_prefix);
  ~BackgroundProcess();  // SIGKILL if still running
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  bool started() const { return pid_ > 0 || exited_; }
  std::string out() const;
  std::string err() const;
  // Sends signal and waits; returns the exit status (128+signal when killed).
  int stop(int signal);
  // The exit status once the process has ended by itself within limit; -1 while running.
  int wait_exit(int limit_seconds);

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = -1;
  std::filesystem::path out_;
  std::filesystem::path err_;
};

}  // namespace hookgate::e2e
