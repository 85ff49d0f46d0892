// crypto_secretbox over "<endpoint id>\n<secret>" with a random nonce per seal.
#include "outbound/secret_seal.hpp"

#include <sodium.h>

#include <stdexcept>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/random.hpp"

namespace hookgate::outbound {

namespace {

void ensure_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string bound(std::string_view endpoint_id, std::string_view secret) {
  std::string text;
  text.reserve(endpoint_id.size() + 1 + secret.size());
  text.append(endpoint_id).append("\n").append(secret);
  return text;
}

}  // namespace

Result<SecretSeal> SecretSeal::from_base64(std::string_view key_base64) {
  static_assert(kSecretKeyBytes == crypto_secretbox_KEYBYTES);
  ensure_sodium();
  auto raw = crypto::base64_decode(key_base64);
  if (!raw || raw->size() != kSecretKeyBytes) {
    return Error{"must be base64 of 32 random bytes (make one with: openssl rand -base64 32)"};
  }
  return SecretSeal(std::move(raw.value()));
}

std::string SecretSeal::generate_base64() {
  return crypto::base64_encode(crypto::random_bytes(kSecretKeyBytes));
}

std::string SecretSeal::seal(std::string_view endpoint_id, std::string_view secret) const {
  std::string plain = bound(endpoint_id, secret);
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, bytes(plain), plain.size(), nonce,
                        bytes(key_));
  sodium_memzero(plain.data(), plain.size());
  return std::string(kSealedPrefix) + crypto::base64_encode(out);
}

Result<std::string> SecretSeal::open(std::string_view endpoint_id, std::string_view sealed) const {
  if (!is_sealed(sealed)) return Error{"not a sealed secret"};
  const auto box = crypto::base64_decode(sealed.substr(kSealedPrefix.size()));
  if (!box || box->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Error{"a sealed secret is malformed"};
  }
  const auto* nonce = bytes(*box);
  const std::size_t cipher_size = box->size() - crypto_secretbox_NONCEBYTES;
  std::string plain(cipher_size - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 nonce + crypto_secretbox_NONCEBYTES, cipher_size, nonce,
                                 bytes(key_)) != 0) {
    return Error{"a sealed secret does not open under [outbound] secret_key"};
  }
  const std::string prefix = std::string(endpoint_id) + "\n";
  if (!plain.starts_with(prefix)) {
    sodium_memzero(plain.data(), plain.size());
    return Error{"a sealed secret belongs to another endpoint"};
  }
  std::string secret = plain.substr(prefix.size());
  sodium_memzero(plain.data(), plain.size());
  return secret;
}

}  // namespace hookgate::outbound
