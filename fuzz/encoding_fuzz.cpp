// Fuzzes the strict decoders: whatever decodes must re-encode to the same canonical text, so no
// two texts ever stand for the same signature bytes.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hookgate/crypto/encoding.hpp"

using namespace hookgate::crypto;

namespace {

std::string_view strip_padding(std::string_view s) {
  while (!s.empty() && s.back() == '=')
    s.remove_suffix(1);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto bytes = hex_decode(text)) {
    std::string lower(text);
    for (auto& c : lower)
      c = static_cast<char>(c >= 'A' && c <= 'F' ? c + 32 : c);
    if (hex_encode(*bytes) != lower) std::abort();
  }
  if (const auto bytes = base64_decode(text)) {
    if (strip_padding(base64_encode(*bytes)) != strip_padding(text)) std::abort();
  }
  if (const auto bytes = base64url_decode(text)) {
    if (base64url_encode(*bytes) != strip_padding(text)) std::abort();
  }
  return 0;
}
