// Fuzzes the config loader: hookgate.toml is written by users, and a malformed one must produce
// an error, never a crash.
#include <cstdint>
#include <string>
#include <string_view>

#include "hookgate/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = hookgate::config::parse_config(text, "/nonexistent/fuzz.toml");
  if (config) (void)config->sources.size();
  return 0;
}
