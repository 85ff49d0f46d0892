// Helpers shared by public_key.cpp and private_key.cpp.
#include "pkey_util.hpp"

#include <openssl/core_names.h>

#include "hookgate/crypto/encoding.hpp"

namespace hookgate::crypto::detail {

std::optional<KeyType> key_type_of(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "ED25519")) return KeyType::ed25519;
  if (EVP_PKEY_is_a(key, "RSA")) return KeyType::rsa;
  if (EVP_PKEY_is_a(key, "EC")) {
    char curve[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, curve, sizeof curve,
                                       &len) == 1 &&
        std::string_view(curve, len) == "prime256v1") {
      return KeyType::ec_p256;
    }
  }
  return std::nullopt;
}

std::string_view describe_unsupported(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC")) return "EC keys on curves other than P-256 are not supported";
  return "this key type is not supported (use Ed25519, ECDSA P-256 or RSA)";
}

bool looks_like_pem(std::string_view text, std::string_view label) {
  return text.find("-----BEGIN " + std::string(label) + "-----") != std::string_view::npos;
}

std::optional<std::string> decode_hex_or_base64(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  if (auto hex = hex_decode(text)) return hex;
  return base64_decode(text);
}

}  // namespace hookgate::crypto::detail
