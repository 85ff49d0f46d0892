// SecretSeal: endpoint signing secrets sealed at rest (libsodium crypto_secretbox, XSalsa20-
// Poly1305) under the [outbound] secret_key, so a copy of the database (a backup, a replica, a
// read-only SQL account) holds no key that signs deliveries. A sealed value names its format,
// "sealed:v1:<base64 of nonce and box>", and is bound to its endpoint: one endpoint's sealed
// secret copied into another's row does not open there.
#pragma once

#include <string>
#include <string_view>

#include "hookgate/result.hpp"

namespace hookgate::outbound {

inline constexpr std::size_t kSecretKeyBytes = 32;
inline constexpr std::string_view kSealedPrefix = "sealed:v1:";

class SecretSeal {
 public:
  // key_base64: base64 of exactly 32 bytes. Errors never contain the key.
  static Result<SecretSeal> from_base64(std::string_view key_base64);
  // A fresh random key, base64 (for a generated key file, and tests).
  static std::string generate_base64();

  static bool is_sealed(std::string_view stored) { return stored.starts_with(kSealedPrefix); }

  std::string seal(std::string_view endpoint_id, std::string_view secret) const;
  // Errors: not a sealed value, or one that does not open under this key for this endpoint
  // (sealed under another key, tampered with, or moved from another endpoint).
  Result<std::string> open(std::string_view endpoint_id, std::string_view sealed) const;

 private:
  explicit SecretSeal(std::string key) : key_(std::move(key)) {}
  std::string key_;  // 32 raw bytes
};

}  // namespace hookgate::outbound
