// Asymmetric keys: parsing the forms providers publish them in, signing and verifying.
// Ed25519 (Discord, Standard Webhooks v1a), ECDSA P-256 with SHA-256 (SendGrid), RSA PKCS#1 v1.5
// with SHA-1/SHA-256 (AWS SNS certificates).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "hookgate/result.hpp"

namespace hookgate::crypto {

enum class KeyType { ed25519, ec_p256, rsa };

enum class SignatureAlgorithm {
  ed25519,            // message signed as is
  ecdsa_p256_sha256,  // signature DER-encoded, or raw r||s (64 bytes), both accepted by verify
  rsa_sha1,           // PKCS#1 v1.5
  rsa_sha256,         // PKCS#1 v1.5
};

// True when keys of type can make or check signatures of algorithm.
bool key_fits(KeyType type, SignatureAlgorithm algorithm);

class PublicKey {
 public:
  // Accepts: PEM "PUBLIC KEY" (SubjectPublicKeyInfo), PEM "CERTIFICATE" (its key is used),
  // base64 of a DER SubjectPublicKeyInfo, and hex or base64 of a raw 32-byte Ed25519 key.
  // Keys of other types or curves (e.g. EC other than P-256) are refused with a reason.
  static Result<PublicKey> parse(std::string_view text);
  static Result<PublicKey> from_raw_ed25519(std::string_view raw32);

  KeyType type() const { return type_; }
  // Raw 32 bytes for Ed25519 keys, SubjectPublicKeyInfo DER for the others.
  std::string raw() const;
  // PEM SubjectPublicKeyInfo.
  std::string pem() const;

  // False for a wrong signature, a malformed one, or an algorithm the key does not fit.
  // Thread-safe.
  bool verify(SignatureAlgorithm algorithm, std::string_view message,
              std::string_view signature) const;

  ~PublicKey();
  PublicKey(const PublicKey& other);
  PublicKey& operator=(const PublicKey& other);
  PublicKey(PublicKey&& other) noexcept;
  PublicKey& operator=(PublicKey&& other) noexcept;

 private:
  struct Impl;
  PublicKey(KeyType type, std::shared_ptr<Impl> impl);
  KeyType type_;
  std::shared_ptr<Impl> impl_;  // immutable once built, so shared by copies
};

class PrivateKey {
 public:
  // Accepts PEM "PRIVATE KEY" (PKCS#8) and "EC PRIVATE KEY"; hex or base64 of a raw 32-byte
  // Ed25519 seed; and base64 of seed||public (64 bytes, the whsk_ form).
  static Result<PrivateKey> parse(std::string_view text);
  static Result<PrivateKey> from_raw_ed25519(std::string_view seed32);
  static PrivateKey generate(KeyType type);  // ed25519 or ec_p256

  KeyType type() const { return type_; }
  PublicKey public_key() const;
  // Raw 32-byte seed for Ed25519 keys, PKCS#8 DER for the others.
  std::string raw() const;
  std::string pem() const;

  // Ed25519: 64 bytes. ECDSA: DER. RSA: PKCS#1 v1.5. Error if the key does not fit algorithm.
  Result<std::string> sign(SignatureAlgorithm algorithm, std::string_view message) const;

  ~PrivateKey();
  PrivateKey(const PrivateKey& other);
  PrivateKey& operator=(const PrivateKey& other);
  PrivateKey(PrivateKey&& other) noexcept;
  PrivateKey& operator=(PrivateKey&& other) noexcept;

 private:
  struct Impl;
  PrivateKey(KeyType type, std::shared_ptr<Impl> impl);
  KeyType type_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace hookgate::crypto
