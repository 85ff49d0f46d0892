// Secret comparison: both sides are reduced to a keyed digest of one fixed size, then compared
// with OpenSSL's CRYPTO_memcmp, so neither the contents nor the lengths of the inputs steer the
// comparison.
#include "hookgate/crypto/compare.hpp"

#include <openssl/crypto.h>

#include "hookgate/crypto/hmac.hpp"
#include "hookgate/crypto/random.hpp"

namespace hookgate::crypto {

namespace {

// Keyed with a per-process random key: an attacker who knows an input cannot predict its
// digest, so even a (theoretical) digest collision could not be aimed.
const HmacKey& comparison_key() {
  static const HmacKey key(DigestAlgorithm::sha256, random_bytes(32));
  return key;
}

}  // namespace

std::string comparison_digest(std::string_view value) {
  return comparison_key().mac(value);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Both digests are always computed: no early return on length or on the first digest.
  const std::string da = comparison_digest(a);
  const std::string db = comparison_digest(b);
  return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

}  // namespace hookgate::crypto
