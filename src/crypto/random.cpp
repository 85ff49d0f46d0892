// Secure random bytes and strings from OpenSSL's DRBG.
#include "hookgate/crypto/random.hpp"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace hookgate::crypto {

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    // A predictable secret is worse than no process at all.
    std::fputs("hookgate: the system random number generator failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string random_string(std::size_t n, std::string_view alphabet) {
  if (alphabet.size() < 2 || alphabet.size() > 256) std::abort();
  // Rejection sampling: only bytes below the largest multiple of the alphabet size are used.
  const unsigned limit = 256 - (256 % static_cast<unsigned>(alphabet.size()));
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    for (const unsigned char c : random_bytes(n - out.size() + 16)) {
      if (c >= limit) continue;
      out += alphabet[c % alphabet.size()];
      if (out.size() == n) break;
    }
  }
  return out;
}

}  // namespace hookgate::crypto
