// PublicKey: parsing the forms providers publish (PEM, certificates, base64 DER, raw Ed25519) and
// verification. ECDSA signatures are accepted DER-encoded or as raw r||s.
#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "hookgate/crypto/encoding.hpp"
#include "pkey_util.hpp"

namespace hookgate::crypto {

using detail::Pkey;

struct PublicKey::Impl {
  Pkey key;
};

bool key_fits(KeyType type, SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case SignatureAlgorithm::ed25519:
      return type == KeyType::ed25519;
    case SignatureAlgorithm::ecdsa_p256_sha256:
      return type == KeyType::ec_p256;
    case SignatureAlgorithm::rsa_sha1:
    case SignatureAlgorithm::rsa_sha256:
      return type == KeyType::rsa;
  }
  return false;
}

namespace {

// ECDSA raw r||s (64 bytes for P-256) -> DER, as OpenSSL verifies DER.
std::optional<std::string> raw_ecdsa_to_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

const EVP_MD* digest_for(SignatureAlgorithm a) {
  switch (a) {
    case SignatureAlgorithm::ed25519:
      return nullptr;
    case SignatureAlgorithm::ecdsa_p256_sha256:
      return EVP_sha256();
    case SignatureAlgorithm::rsa_sha1:
      return EVP_sha1();
    case SignatureAlgorithm::rsa_sha256:
      return EVP_sha256();
  }
  return nullptr;
}

}  // namespace

PublicKey::PublicKey(KeyType type, std::shared_ptr<Impl> impl)
    : type_(type), impl_(std::move(impl)) {}
PublicKey::~PublicKey() = default;
PublicKey::PublicKey(const PublicKey&) = default;
PublicKey& PublicKey::operator=(const PublicKey&) = default;
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;

Result<PublicKey> PublicKey::from_raw_ed25519(std::string_view raw32) {
  if (raw32.size() != 32) return Error{"an Ed25519 public key is 32 bytes"};
  Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                       reinterpret_cast<const unsigned char*>(raw32.data()), 32));
  if (!key) return Error{"not a valid Ed25519 public key"};
  return PublicKey(KeyType::ed25519, std::make_shared<Impl>(Impl{std::move(key)}));
}

Result<PublicKey> PublicKey::parse(std::string_view text) {
  // A lambda inside the member function may use the private constructor.
  const auto wrap = [](Pkey key) -> Result<PublicKey> {
    const auto type = detail::key_type_of(key.get());
    if (!type) return Error{std::string(detail::describe_unsupported(key.get()))};
    return PublicKey(*type, std::make_shared<Impl>(Impl{std::move(key)}));
  };
  if (detail::looks_like_pem(text, "CERTIFICATE")) {
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
    const std::unique_ptr<X509, decltype(&X509_free)> cert(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
    if (!cert) return Error{"the certificate PEM does not parse"};
    Pkey key(X509_get_pubkey(cert.get()));
    if (!key) return Error{"the certificate holds no usable public key"};
    return wrap(std::move(key));
  }
  if (detail::looks_like_pem(text, "PUBLIC KEY")) {
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
    Pkey key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) return Error{"the public key PEM does not parse"};
    return wrap(std::move(key));
  }
  if (text.find("-----BEGIN") != std::string_view::npos) {
    return Error{"expected a PUBLIC KEY or CERTIFICATE PEM block"};
  }
  const auto bytes = detail::decode_hex_or_base64(text);
  if (!bytes) return Error{"the public key is neither PEM, base64 DER nor hex"};
  if (bytes->size() == 32) return from_raw_ed25519(*bytes);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes->data());
  Pkey key(d2i_PUBKEY(nullptr, &p, static_cast<long>(bytes->size())));
  if (!key) return Error{"the public key is not a DER SubjectPublicKeyInfo"};
  return wrap(std::move(key));
}

std::string PublicKey::raw() const {
  if (type_ == KeyType::ed25519) {
    std::string out(32, '\0');
    size_t len = 32;
    EVP_PKEY_get_raw_public_key(impl_->key.get(), reinterpret_cast<unsigned char*>(out.data()),
                                &len);
    out.resize(len);
    return out;
  }
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(impl_->key.get(), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string PublicKey::pem() const {
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), impl_->key.get());
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

bool PublicKey::verify(SignatureAlgorithm algorithm, std::string_view message,
                       std::string_view signature) const {
  if (!key_fits(type_, algorithm)) return false;
  std::string der;
  if (algorithm == SignatureAlgorithm::ecdsa_p256_sha256 && signature.size() == 64) {
    auto converted = raw_ecdsa_to_der(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, digest_for(algorithm), nullptr,
                                   impl_->key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

}  // namespace hookgate::crypto
