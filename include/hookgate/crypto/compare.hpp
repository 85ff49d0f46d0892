// Constant-time comparison of secrets and MACs.
#pragma once

#include <string>
#include <string_view>

namespace hookgate::crypto {

// The fixed-size (32-byte) digest constant_time_equal compares: HMAC-SHA256 under a key drawn at
// random once per process. Equal inputs give equal digests; anything else differs except with
// negligible probability.
std::string comparison_digest(std::string_view value);

// True when a and b hold the same bytes. Both are first reduced to comparison_digest and the
// digests compared with OpenSSL CRYPTO_memcmp: the time taken depends on neither where the
// contents differ nor whether the lengths do (a length mismatch does not return early), so a
// guess cannot learn a token's length or prefix.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace hookgate::crypto
