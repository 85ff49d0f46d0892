// Fuzzes the scheme-file loader: user-written TOML reaches it from the config and --scheme-file.
#include <cstdint>
#include <string_view>

#include "hookgate/schemes/scheme.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto scheme = hookgate::schemes::load_scheme(text, "fuzz.toml");
  if (scheme) (void)scheme->algorithms();
  return 0;
}
