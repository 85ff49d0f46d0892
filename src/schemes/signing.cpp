// One signature, one key: HMAC, plain SHA-256, token, Ed25519, ECDSA, RSA.
#include "signing.hpp"

#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/digest.hpp"

namespace hookgate::schemes {
namespace {

std::string concatenate(std::span<const std::string_view> content) {
  std::size_t size = 0;
  for (const auto piece : content)
    size += piece.size();
  std::string out;
  out.reserve(size);
  for (const auto piece : content)
    out.append(piece);
  return out;
}

std::optional<crypto::SignatureAlgorithm> asymmetric(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::ed25519:
      return crypto::SignatureAlgorithm::ed25519;
    case Algorithm::ecdsa_p256_sha256:
      return crypto::SignatureAlgorithm::ecdsa_p256_sha256;
    case Algorithm::rsa_sha1:
      return crypto::SignatureAlgorithm::rsa_sha1;
    case Algorithm::rsa_sha256:
      return crypto::SignatureAlgorithm::rsa_sha256;
    default:
      return std::nullopt;
  }
}

}  // namespace

bool signature_matches(Algorithm algorithm, const Key& key,
                       std::span<const std::string_view> content, std::string_view signature) {
  switch (algorithm) {
    case Algorithm::hmac_sha1:
    case Algorithm::hmac_sha256:
    case Algorithm::hmac_sha512: {
      const auto* hmac = key.hmac(algorithm);
      return hmac != nullptr && hmac->verify(content, signature);
    }
    case Algorithm::sha256:
      return crypto::constant_time_equal(crypto::digest(crypto::DigestAlgorithm::sha256, content),
                                         signature);
    case Algorithm::token:
      return key.kind() == Key::Kind::secret &&
             crypto::constant_time_equal(key.secret_bytes(), signature);
    default:
      break;
  }
  const auto sig = asymmetric(algorithm);
  if (!sig || !key.public_key()) return false;
  return key.public_key()->verify(*sig, concatenate(content), signature);
}

Result<std::string> make_signature(Algorithm algorithm, const Key& key,
                                   std::span<const std::string_view> content) {
  if (!key.fits(algorithm)) {
    return Error{"a " + key.describe() + " cannot make " + std::string(to_string(algorithm)) +
                 " signatures"};
  }
  switch (algorithm) {
    case Algorithm::hmac_sha1:
    case Algorithm::hmac_sha256:
    case Algorithm::hmac_sha512: {
      const auto* hmac = key.hmac(algorithm);
      if (hmac == nullptr) return Error{"the secret was not prepared for this scheme"};
      return hmac->mac(content);
    }
    case Algorithm::sha256:
      return crypto::digest(crypto::DigestAlgorithm::sha256, content);
    case Algorithm::token:
      return key.secret_bytes();
    default:
      break;
  }
  if (!key.private_key()) {
    return Error{"signing needs a private key; a " + key.describe() + " can only verify"};
  }
  return key.private_key()->sign(*asymmetric(algorithm), concatenate(content));
}

}  // namespace hookgate::schemes
