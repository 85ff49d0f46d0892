// Sealed boxes (libsodium crypto_box_seal): a payload encrypted to a receiver's X25519 public key
// with a fresh ephemeral key, so only the receiver can open it and nothing on the path (a TLS-
// terminating proxy, a hijacked DNS name) can read it. Used for optional payload encryption of
// outbound deliveries.
#pragma once

#include <string>
#include <string_view>

#include "hookgate/result.hpp"

namespace hookgate::crypto {

inline constexpr std::size_t kX25519KeyBytes = 32;

struct X25519KeyPair {
  std::string public_key;  // 32 raw bytes
  std::string secret_key;  // 32 raw bytes
};

X25519KeyPair x25519_keypair();
// Errors: a public key that is not 32 bytes.
Result<std::string> seal(std::string_view message, std::string_view public_key);
// Errors: wrong key sizes, or a box that does not open (tampered, or for another key).
Result<std::string> open_sealed(std::string_view box, std::string_view public_key,
                                std::string_view secret_key);

}  // namespace hookgate::crypto
