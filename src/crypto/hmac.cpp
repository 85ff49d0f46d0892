// HMAC (RFC 2104) with the key schedule done once: the digest states after absorbing K^ipad and
// K^opad are kept, and each MAC starts from copies of them. This is what lets verification cost
// no more than a bare HMAC of the message.
#include "hookgate/crypto/hmac.hpp"

#include <openssl/evp.h>

#include <cstdlib>

#include "hookgate/crypto/compare.hpp"

namespace hookgate::crypto {
namespace {

const EVP_MD* md(DigestAlgorithm a) {
  switch (a) {
    case DigestAlgorithm::sha1:
      return EVP_sha1();
    case DigestAlgorithm::sha256:
      return EVP_sha256();
    case DigestAlgorithm::sha512:
      return EVP_sha512();
  }
  return EVP_sha256();
}

using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;
MdCtx new_ctx() {
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx) std::abort();
  return ctx;
}

}  // namespace

struct HmacKey::State {
  MdCtx inner = new_ctx();
  MdCtx outer = new_ctx();
};

HmacKey::HmacKey(DigestAlgorithm algorithm, std::string_view key)
    : algorithm_(algorithm), state_(std::make_unique<State>()) {
  const EVP_MD* digest = md(algorithm);
  const auto block = static_cast<std::size_t>(EVP_MD_get_block_size(digest));
  std::string k(key);
  if (k.size() > block) k = crypto::digest(algorithm, std::string_view(k));
  k.resize(block, '\0');
  std::string ipad(block, '\0'), opad(block, '\0');
  for (std::size_t i = 0; i < block; ++i) {
    ipad[i] = static_cast<char>(k[i] ^ 0x36);
    opad[i] = static_cast<char>(k[i] ^ 0x5c);
  }
  if (EVP_DigestInit_ex(state_->inner.get(), digest, nullptr) != 1 ||
      EVP_DigestUpdate(state_->inner.get(), ipad.data(), block) != 1 ||
      EVP_DigestInit_ex(state_->outer.get(), digest, nullptr) != 1 ||
      EVP_DigestUpdate(state_->outer.get(), opad.data(), block) != 1) {
    std::abort();
  }
  OPENSSL_cleanse(k.data(), k.size());
  OPENSSL_cleanse(ipad.data(), ipad.size());
  OPENSSL_cleanse(opad.data(), opad.size());
}

HmacKey::~HmacKey() = default;

HmacKey::HmacKey(const HmacKey& other)
    : algorithm_(other.algorithm_), state_(std::make_unique<State>()) {
  if (EVP_MD_CTX_copy_ex(state_->inner.get(), other.state_->inner.get()) != 1 ||
      EVP_MD_CTX_copy_ex(state_->outer.get(), other.state_->outer.get()) != 1) {
    std::abort();
  }
}

HmacKey& HmacKey::operator=(const HmacKey& other) {
  if (this != &other) *this = HmacKey(other);
  return *this;
}

HmacKey::HmacKey(HmacKey&& other) noexcept = default;
HmacKey& HmacKey::operator=(HmacKey&& other) noexcept = default;

std::string HmacKey::mac(std::span<const std::string_view> pieces) const {
  const MdCtx ctx = new_ctx();
  unsigned char inner[EVP_MAX_MD_SIZE];
  unsigned int inner_len = 0;
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int out_len = 0;
  if (EVP_MD_CTX_copy_ex(ctx.get(), state_->inner.get()) != 1) std::abort();
  for (const auto piece : pieces)
    EVP_DigestUpdate(ctx.get(), piece.data(), piece.size());
  EVP_DigestFinal_ex(ctx.get(), inner, &inner_len);
  if (EVP_MD_CTX_copy_ex(ctx.get(), state_->outer.get()) != 1) std::abort();
  EVP_DigestUpdate(ctx.get(), inner, inner_len);
  EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &out_len);
  out.resize(out_len);
  return out;
}

bool HmacKey::verify(std::span<const std::string_view> pieces, std::string_view candidate) const {
  return constant_time_equal(mac(pieces), candidate);
}

std::string hmac(DigestAlgorithm algorithm, std::string_view key, std::string_view message) {
  return HmacKey(algorithm, key).mac(message);
}

}  // namespace hookgate::crypto
