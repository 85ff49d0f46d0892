// Shared helpers for the asymmetric key classes: EVP_PKEY ownership, type detection, signing and
// verification through EVP_DigestSign/Verify.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hookgate/crypto/keys.hpp"

namespace hookgate::crypto::detail {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// ed25519, ec_p256 or rsa; nullopt for other key types and EC curves.
std::optional<KeyType> key_type_of(EVP_PKEY* key);
std::string_view describe_unsupported(EVP_PKEY* key);

bool looks_like_pem(std::string_view text, std::string_view label);
// Decodes text as hex or standard base64 (whichever fits), for raw keys written as text.
std::optional<std::string> decode_hex_or_base64(std::string_view text);

}  // namespace hookgate::crypto::detail
