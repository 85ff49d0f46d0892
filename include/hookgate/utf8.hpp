// Decoding one UTF-8 sequence strictly (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF), shared by what checks network text for validity (stream envelopes) and what escapes
// it for a terminal (`hookgate listen`/`tail`), so both agree on what is well formed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hookgate {

// The length of the UTF-8 sequence at s[i] (i < s.size()) and its code point in cp; 0 when the
// bytes there are not a well-formed sequence.
inline std::size_t utf8_at(std::string_view s, std::size_t i, std::uint32_t& cp) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    n = 1;
    cp = c & 0x1FU;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 2;
    cp = c & 0x0FU;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 3;
    cp = c & 0x07U;
  } else {
    return 0;
  }
  if (s.size() - i <= n) return 0;
  for (std::size_t k = 1; k <= n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0U) != 0x80U) return 0;
    cp = (cp << 6U) | (cc & 0x3FU);
  }
  if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n + 1;
}

inline bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  std::uint32_t cp = 0;
  while (i < s.size()) {
    const std::size_t n = utf8_at(s, i, cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

}  // namespace hookgate
