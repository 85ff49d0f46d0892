// libsodium's sealed boxes behind Result-returning functions.
#include "hookgate/crypto/sealed_box.hpp"

#include <sodium.h>

#include <stdexcept>

namespace hookgate::crypto {

namespace {

// sodium_init() is idempotent and thread-safe; it picks the fastest implementations and seeds
// the generator. A failure means no usable randomness: nothing may be sealed then.
void ensure_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not be initialised");
}

std::string_view as_view(const unsigned char* p, std::size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

X25519KeyPair x25519_keypair() {
  ensure_sodium();
  unsigned char pk[crypto_box_PUBLICKEYBYTES];
  unsigned char sk[crypto_box_SECRETKEYBYTES];
  crypto_box_keypair(pk, sk);
  X25519KeyPair pair{std::string(as_view(pk, sizeof pk)), std::string(as_view(sk, sizeof sk))};
  sodium_memzero(sk, sizeof sk);
  return pair;
}

Result<std::string> seal(std::string_view message, std::string_view public_key) {
  ensure_sodium();
  if (public_key.size() != crypto_box_PUBLICKEYBYTES) {
    return Error{"an X25519 public key is 32 bytes"};
  }
  std::string box(message.size() + crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal(reinterpret_cast<unsigned char*>(box.data()), bytes(message), message.size(),
                      bytes(public_key)) != 0) {
    return Error{"sealing failed"};
  }
  return box;
}

Result<std::string> open_sealed(std::string_view box, std::string_view public_key,
                                std::string_view secret_key) {
  ensure_sodium();
  if (public_key.size() != crypto_box_PUBLICKEYBYTES ||
      secret_key.size() != crypto_box_SECRETKEYBYTES) {
    return Error{"X25519 keys are 32 bytes"};
  }
  if (box.size() < crypto_box_SEALBYTES) return Error{"sealed box too short"};
  std::string message(box.size() - crypto_box_SEALBYTES, '\0');
  if (crypto_box_seal_open(reinterpret_cast<unsigned char*>(message.data()), bytes(box), box.size(),
                           bytes(public_key), bytes(secret_key)) != 0) {
    return Error{"the box does not open with this key"};
  }
  return message;
}

}  // namespace hookgate::crypto
