// SHA-1/256/512 over pieces with EVP.
#include "hookgate/crypto/digest.hpp"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

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
}  // namespace

std::size_t digest_size(DigestAlgorithm algorithm) {
  return static_cast<std::size_t>(EVP_MD_get_size(md(algorithm)));
}

std::string digest(DigestAlgorithm algorithm, std::span<const std::string_view> pieces) {
  const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md(algorithm), nullptr) != 1) std::abort();
  for (const auto piece : pieces)
    EVP_DigestUpdate(ctx.get(), piece.data(), piece.size());
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len);
  out.resize(len);
  return out;
}

}  // namespace hookgate::crypto
