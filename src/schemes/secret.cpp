// New secrets in each scheme's own format.
#include "hookgate/schemes/secret.hpp"

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/keys.hpp"
#include "hookgate/crypto/random.hpp"

namespace hookgate::schemes {

Result<GeneratedSecret> generate_secret(const Scheme& scheme, std::string_view kind) {
  const std::string_view what = kind.empty() ? std::string_view(scheme.secret.generate) : kind;
  const auto& rules = scheme.secret;
  GeneratedSecret out;
  if (what == "whsec") {
    out.secret = "whsec_" + crypto::base64_encode(crypto::random_bytes(rules.generate_bytes));
  } else if (what == "hex") {
    out.secret = crypto::hex_encode(crypto::random_bytes(rules.generate_bytes));
  } else if (what == "alphanumeric") {
    out.secret = crypto::random_string(rules.generate_length, crypto::kAlphanumeric);
  } else if (what == "ed25519") {
    const auto key = crypto::PrivateKey::generate(crypto::KeyType::ed25519);
    const auto pub = key.public_key().raw();
    if (scheme.key_format == KeyFormat::whsec) {
      // Standard Webhooks: whsk_ = base64(seed || public), whpk_ = base64(public).
      out.secret = "whsk_" + crypto::base64_encode(key.raw() + pub);
      out.public_key = "whpk_" + crypto::base64_encode(pub);
    } else {
      out.secret = crypto::hex_encode(key.raw());
      out.public_key = crypto::hex_encode(pub);
    }
  } else if (what == "ecdsa-p256") {
    const auto key = crypto::PrivateKey::generate(crypto::KeyType::ec_p256);
    out.secret = key.pem();
    out.public_key = crypto::base64_encode(key.public_key().raw());
  } else if (what.empty()) {
    return Error{"scheme " + scheme.name + " has no secret format to generate"};
  } else {
    return Error{"unknown kind '" + std::string(what) +
                 "' (expected whsec, hex, alphanumeric, ed25519 or ecdsa-p256)"};
  }
  return out;
}

}  // namespace hookgate::schemes
