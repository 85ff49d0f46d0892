// Cryptographically secure random bytes and tokens (OpenSSL's DRBG).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hookgate::crypto {

// n random bytes. A failing system RNG is not recoverable: the process terminates rather than
// hand out a predictable secret.
std::string random_bytes(std::size_t n);

// n characters drawn uniformly (rejection sampling, no modulo bias) from alphabet (2..256 chars).
std::string random_string(std::size_t n, std::string_view alphabet);

// Alphabet of letters and digits, the safest set for secrets pasted into web forms.
inline constexpr std::string_view kAlphanumeric =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

}  // namespace hookgate::crypto
