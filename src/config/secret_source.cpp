// inline / env:NAME / file:PATH secret references.
#include "hookgate/config/secret_source.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace hookgate::config {

Result<std::string> resolve_secret(std::string_view written, const std::filesystem::path& base) {
  if (written.starts_with("env:")) {
    const std::string name(written.substr(4));
    const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') {
      return Error{"environment variable " + name + " is not set or empty"};
    }
    return std::string(value);
  }
  if (written.starts_with("file:")) {
    std::filesystem::path p(written.substr(5));
    if (p.is_relative() && !base.empty()) p = base / p;
    std::ifstream in(p, std::ios::binary);
    if (!in) return Error{"cannot read " + p.string()};
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string value = ss.str();
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r'))
      value.pop_back();
    if (value.empty()) return Error{p.string() + " is empty"};
    return value;
  }
  if (written.empty()) return Error{"the secret is empty"};
  return std::string(written);
}

}  // namespace hookgate::config
