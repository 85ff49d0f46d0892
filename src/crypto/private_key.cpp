// PrivateKey: parsing (PEM PKCS#8 / SEC1, raw Ed25519 seeds, whsk_ seed||public), generation and
// signing. Used by `hookgate sign`, `hookgate secret` and the outbound signer.
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "pkey_util.hpp"

namespace hookgate::crypto {

using detail::Pkey;

struct PrivateKey::Impl {
  Pkey key;
};

PrivateKey::PrivateKey(KeyType type, std::shared_ptr<Impl> impl)
    : type_(type), impl_(std::move(impl)) {}
PrivateKey::~PrivateKey() = default;
PrivateKey::PrivateKey(const PrivateKey&) = default;
PrivateKey& PrivateKey::operator=(const PrivateKey&) = default;
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;

Result<PrivateKey> PrivateKey::from_raw_ed25519(std::string_view seed32) {
  if (seed32.size() != 32) return Error{"an Ed25519 private key (seed) is 32 bytes"};
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                        reinterpret_cast<const unsigned char*>(seed32.data()), 32));
  if (!key) return Error{"not a valid Ed25519 private key"};
  return PrivateKey(KeyType::ed25519, std::make_shared<Impl>(Impl{std::move(key)}));
}

Result<PrivateKey> PrivateKey::parse(std::string_view text) {
  if (text.find("-----BEGIN") != std::string_view::npos) {
    if (!detail::looks_like_pem(text, "PRIVATE KEY") &&
        !detail::looks_like_pem(text, "EC PRIVATE KEY")) {
      return Error{"expected a PRIVATE KEY or EC PRIVATE KEY PEM block"};
    }
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
    Pkey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) return Error{"the private key PEM does not parse (encrypted keys are not supported)"};
    const auto type = detail::key_type_of(key.get());
    if (!type) return Error{std::string(detail::describe_unsupported(key.get()))};
    return PrivateKey(*type, std::make_shared<Impl>(Impl{std::move(key)}));
  }
  const auto bytes = detail::decode_hex_or_base64(text);
  if (!bytes) return Error{"the private key is neither PEM, hex nor base64"};
  if (bytes->size() == 32) return from_raw_ed25519(*bytes);
  if (bytes->size() == 64) {
    // seed || public (the whsk_ form): the halves must belong together.
    auto key = from_raw_ed25519(bytes->substr(0, 32));
    if (!key) return key;
    if (!constant_time_equal(key->public_key().raw(), std::string_view(*bytes).substr(32))) {
      return Error{"the public half of the Ed25519 key does not match its seed"};
    }
    return key;
  }
  return Error{"a raw Ed25519 private key is 32 bytes (or 64: seed and public key)"};
}

PrivateKey PrivateKey::generate(KeyType type) {
  EVP_PKEY* raw = nullptr;
  if (type == KeyType::ec_p256) {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  } else if (type == KeyType::rsa) {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  } else {
    raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  }
  if (raw == nullptr) std::abort();  // key generation only fails on a broken OpenSSL
  return PrivateKey(type, std::make_shared<Impl>(Impl{Pkey(raw)}));
}

PublicKey PrivateKey::public_key() const {
  if (type_ == KeyType::ed25519) {
    std::string raw(32, '\0');
    size_t len = 32;
    EVP_PKEY_get_raw_public_key(impl_->key.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                &len);
    return PublicKey::from_raw_ed25519(raw).value();
  }
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(impl_->key.get(), &der);
  const std::string spki(reinterpret_cast<char*>(der), static_cast<std::size_t>(len > 0 ? len : 0));
  OPENSSL_free(der);
  return PublicKey::parse(base64_encode(spki)).value();
}

std::string PrivateKey::raw() const {
  if (type_ == KeyType::ed25519) {
    std::string out(32, '\0');
    size_t len = 32;
    EVP_PKEY_get_raw_private_key(impl_->key.get(), reinterpret_cast<unsigned char*>(out.data()),
                                 &len);
    out.resize(len);
    return out;
  }
  unsigned char* der = nullptr;
  const int len = i2d_PrivateKey(impl_->key.get(), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string PrivateKey::pem() const {
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

Result<std::string> PrivateKey::sign(SignatureAlgorithm algorithm, std::string_view message) const {
  if (!key_fits(type_, algorithm)) return Error{"this key cannot make that kind of signature"};
  const EVP_MD* md = nullptr;
  if (algorithm == SignatureAlgorithm::ecdsa_p256_sha256 ||
      algorithm == SignatureAlgorithm::rsa_sha256) {
    md = EVP_sha256();
  } else if (algorithm == SignatureAlgorithm::rsa_sha1) {
    md = EVP_sha1();
  }
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
  size_t len = 0;
  const auto* msg = reinterpret_cast<const unsigned char*>(message.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, impl_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, msg, message.size()) != 1) {
    return Error{"signing failed"};
  }
  std::string out(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, msg,
                     message.size()) != 1) {
    return Error{"signing failed"};
  }
  out.resize(len);
  return out;
}

}  // namespace hookgate::crypto
