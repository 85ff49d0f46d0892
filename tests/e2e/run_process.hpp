// Runs a program (no shell) with bytes on stdin, capturing stdout, stderr and the exit code.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace hookgate::e2e {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// env entries are added to (or replace) the inherited environment.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& input,
                          const std::map<std::string, std::string>& env = {});

}  // namespace hookgate::e2e
