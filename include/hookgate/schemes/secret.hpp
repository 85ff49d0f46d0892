// Generation of new secrets and key pairs in a scheme's own format (`hookgate secret`).
#pragma once

#include <string>
#include <string_view>

#include "hookgate/result.hpp"
#include "hookgate/schemes/scheme.hpp"

namespace hookgate::schemes {

struct GeneratedSecret {
  std::string secret;      // the shared secret, or the private key for asymmetric schemes
  std::string public_key;  // empty for shared secrets
};

// kind overrides the scheme's own ("ed25519" for Standard Webhooks' asymmetric keys).
Result<GeneratedSecret> generate_secret(const Scheme& scheme, std::string_view kind = {});

}  // namespace hookgate::schemes
