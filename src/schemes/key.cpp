// Key parsing per scheme: secrets decoded by the scheme's key format, HMAC keys prepared once.
#include "hookgate/schemes/key.hpp"

#include "hookgate/crypto/encoding.hpp"

namespace hookgate::schemes {
namespace {

constexpr std::string_view kWhsec = "whsec_";
constexpr std::string_view kWhsk = "whsk_";
constexpr std::string_view kWhpk = "whpk_";

std::optional<crypto::DigestAlgorithm> hmac_digest(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::hmac_sha1:
      return crypto::DigestAlgorithm::sha1;
    case Algorithm::hmac_sha256:
      return crypto::DigestAlgorithm::sha256;
    case Algorithm::hmac_sha512:
      return crypto::DigestAlgorithm::sha512;
    default:
      return std::nullopt;
  }
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

std::string_view key_type_name(crypto::KeyType type) {
  switch (type) {
    case crypto::KeyType::ed25519:
      return "ed25519";
    case crypto::KeyType::ec_p256:
      return "ecdsa p-256";
    case crypto::KeyType::rsa:
      return "rsa";
  }
  return "unknown";
}

}  // namespace

Result<Key> Key::parse_secret(const Scheme& scheme, std::string_view text) {
  if (text.starts_with(kWhpk)) return parse_public_key(scheme, text);
  if (text.starts_with(kWhsk)) return parse_private_key(scheme, text);
  if (text.empty()) return Error{"the secret is empty"};
  const auto& rules = scheme.secret;
  if ((rules.min_length != 0 && text.size() < rules.min_length) ||
      (rules.max_length != 0 && text.size() > rules.max_length)) {
    return Error{"the secret is " + std::to_string(text.size()) + " characters; " + scheme.name +
                 " needs " + std::to_string(rules.min_length) + "-" +
                 (rules.max_length != 0 ? std::to_string(rules.max_length) : std::string("any"))};
  }
  Key key;
  key.kind_ = Kind::secret;
  switch (scheme.key_format) {
    case KeyFormat::text:
      key.secret_ = std::string(text);
      break;
    case KeyFormat::whsec: {
      const auto body = text.starts_with(kWhsec) ? text.substr(kWhsec.size()) : text;
      auto bytes = crypto::base64_decode(body);
      if (!bytes || bytes->empty()) {
        return Error{"the secret is not whsec_ followed by base64"};
      }
      key.secret_ = std::move(*bytes);
      break;
    }
    case KeyFormat::hex: {
      auto bytes = crypto::hex_decode(text);
      if (!bytes) return Error{"the secret is not hex"};
      key.secret_ = std::move(*bytes);
      break;
    }
    case KeyFormat::base64: {
      auto bytes = crypto::base64_decode(text);
      if (!bytes) return Error{"the secret is not base64"};
      key.secret_ = std::move(*bytes);
      break;
    }
  }
  for (const auto algorithm : scheme.algorithms()) {
    if (const auto digest = hmac_digest(algorithm)) {
      key.hmacs_.emplace_back(algorithm, crypto::HmacKey(*digest, key.secret_));
    }
  }
  return key;
}

Result<Key> Key::parse_public_key(const Scheme& /*scheme*/, std::string_view text) {
  Result<crypto::PublicKey> parsed = Error{""};
  if (text.starts_with(kWhpk)) {
    const auto raw = crypto::base64_decode(text.substr(kWhpk.size()));
    if (!raw) return Error{"the public key is not whpk_ followed by base64"};
    parsed = crypto::PublicKey::from_raw_ed25519(*raw);
  } else {
    parsed = crypto::PublicKey::parse(text);
  }
  if (!parsed) return Error{parsed.error()};
  Key key;
  key.kind_ = Kind::public_key;
  key.public_ = std::move(parsed.value());
  return key;
}

Result<Key> Key::parse_private_key(const Scheme& /*scheme*/, std::string_view text) {
  const auto body = text.starts_with(kWhsk) ? text.substr(kWhsk.size()) : text;
  auto parsed = crypto::PrivateKey::parse(body);
  if (!parsed) return Error{parsed.error()};
  Key key;
  key.kind_ = Kind::private_key;
  key.public_ = parsed->public_key();
  key.private_ = std::move(parsed.value());
  return key;
}

bool Key::fits(Algorithm algorithm) const {
  if (kind_ == Kind::secret) return is_symmetric(algorithm);
  const auto sig = asymmetric(algorithm);
  return sig && public_ && crypto::key_fits(public_->type(), *sig);
}

std::string Key::describe() const {
  switch (kind_) {
    case Kind::secret:
      return "shared secret";
    case Kind::public_key:
      return std::string(key_type_name(public_->type())) + " public key";
    case Kind::private_key:
      return std::string(key_type_name(private_->type())) + " private key";
  }
  return "key";
}

const crypto::HmacKey* Key::hmac(Algorithm algorithm) const {
  for (const auto& [a, k] : hmacs_) {
    if (a == algorithm) return &k;
  }
  return nullptr;
}

}  // namespace hookgate::schemes
