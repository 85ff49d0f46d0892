// Constant-time comparison of secrets and MACs.
#pragma once

#include <string_view>

namespace hookgate::crypto {

// True when a and b hold the same bytes. The time taken depends only on the lengths, never on
// where the contents differ (OpenSSL CRYPTO_memcmp underneath). Lengths are not secret.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace hookgate::crypto
