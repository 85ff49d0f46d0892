// Helpers shared by the CLI verbs: catalogue loading with --scheme-file, stdin, numbers, errors.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.hpp"

namespace hookgate::cli {

int usage_error(const std::string& message) {
  std::cerr << "hookgate: " << message << "\n";
  return kExitUsage;
}

Result<schemes::Catalogue> load_catalogue(const std::vector<std::string>& scheme_files) {
  auto catalogue = schemes::Catalogue::with_builtins();
  if (!catalogue) return Error{catalogue.error()};
  for (const auto& path : scheme_files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Error{path + ": cannot read the scheme file"};
    std::ostringstream text;
    text << in.rdbuf();
    auto scheme = schemes::load_scheme(text.str(), path);
    if (!scheme) return Error{scheme.error()};
    if (auto added = catalogue->add(std::move(scheme.value())); !added) {
      return Error{added.error()};
    }
  }
  return catalogue;
}

Result<const schemes::Scheme*> find_scheme(const schemes::Catalogue& catalogue,
                                           const std::string& name) {
  const schemes::Scheme* scheme = catalogue.find(name);
  if (scheme == nullptr) {
    return Error{"unknown scheme '" + name + "' (`hookgate schemes` lists them)"};
  }
  return scheme;
}

Result<std::string> read_stdin(std::size_t cap) {
  std::string body;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error{"cannot read standard input"};
    }
    body.append(buf, static_cast<std::size_t>(n));
    if (body.size() > cap) {
      return Error{"the body on standard input exceeds " + std::to_string(cap >> 20) + " MiB"};
    }
  }
  return body;
}

Result<std::int64_t> parse_unix(const std::string& text, const std::string& flag) {
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return Error{flag + " expects a whole number of seconds"};
  }
  return std::stoll(text);
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace hookgate::cli
