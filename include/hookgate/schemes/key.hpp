// Key: one secret or key pair member given to a scheme, parsed once into the form the scheme's
// algorithms need (a prepared HMAC key, an Ed25519/ECDSA/RSA key). Several keys = rotation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/crypto/hmac.hpp"
#include "hookgate/crypto/keys.hpp"
#include "hookgate/result.hpp"
#include "hookgate/schemes/scheme.hpp"

namespace hookgate::schemes {

class Key {
 public:
  enum class Kind { secret, public_key, private_key };

  // A shared secret as the user writes it, decoded by the scheme's key format. Standard Webhooks
  // keys are recognised by prefix: whsec_ (secret), whsk_ (Ed25519 private), whpk_ (public).
  // Errors name the problem (bad base64, length outside the scheme's bounds) without echoing it.
  static Result<Key> parse_secret(const Scheme& scheme, std::string_view text);
  // A public key: PEM, base64 DER, raw hex / base64 (Ed25519), whpk_, or a PEM certificate.
  static Result<Key> parse_public_key(const Scheme& scheme, std::string_view text);
  // A private key for signing: PEM, raw Ed25519 seed (hex or base64), or whsk_.
  static Result<Key> parse_private_key(const Scheme& scheme, std::string_view text);

  Kind kind() const { return kind_; }
  // True when this key can check signatures made with algorithm.
  bool fits(Algorithm algorithm) const;
  // Short description for messages: "secret", "ed25519 public key", ... never key material.
  std::string describe() const;

  const std::string& secret_bytes() const { return secret_; }
  // The prepared HMAC key for algorithm; nullptr when not a secret or not an HMAC algorithm.
  const crypto::HmacKey* hmac(Algorithm algorithm) const;
  const std::optional<crypto::PublicKey>& public_key() const { return public_; }
  const std::optional<crypto::PrivateKey>& private_key() const { return private_; }

 private:
  Key() = default;
  Kind kind_ = Kind::secret;
  std::string secret_;
  std::vector<std::pair<Algorithm, crypto::HmacKey>> hmacs_;
  std::optional<crypto::PublicKey> public_;
  std::optional<crypto::PrivateKey> private_;
};

}  // namespace hookgate::schemes
