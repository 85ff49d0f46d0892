// Names of the scheme enums and queries over a Scheme description.
#include "hookgate/schemes/scheme.hpp"

#include <algorithm>

namespace hookgate::schemes {

std::string_view to_string(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::hmac_sha1:
      return "hmac-sha1";
    case Algorithm::hmac_sha256:
      return "hmac-sha256";
    case Algorithm::hmac_sha512:
      return "hmac-sha512";
    case Algorithm::sha256:
      return "sha256";
    case Algorithm::ed25519:
      return "ed25519";
    case Algorithm::ecdsa_p256_sha256:
      return "ecdsa-p256-sha256";
    case Algorithm::rsa_sha1:
      return "rsa-sha1";
    case Algorithm::rsa_sha256:
      return "rsa-sha256";
    case Algorithm::token:
      return "token";
  }
  return "unknown";
}

bool is_symmetric(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::hmac_sha1:
    case Algorithm::hmac_sha256:
    case Algorithm::hmac_sha512:
    case Algorithm::sha256:
    case Algorithm::token:
      return true;
    default:
      return false;
  }
}

std::string_view to_string(Encoding encoding) {
  switch (encoding) {
    case Encoding::hex:
      return "hex";
    case Encoding::base64:
      return "base64";
    case Encoding::base64url:
      return "base64url";
    case Encoding::text:
      return "text";
  }
  return "unknown";
}

std::vector<Algorithm> Scheme::algorithms() const {
  std::vector<Algorithm> out;
  const auto add = [&](Algorithm a) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  };
  if (list_separator != 0) {
    for (const auto& v : versions)
      add(v.algorithm);
  } else {
    add(algorithm);
  }
  // AWS SNS chooses SHA-1 or SHA-256 per message (SignatureVersion 1 or 2).
  if (procedure == "aws-sns") {
    add(Algorithm::rsa_sha1);
    add(Algorithm::rsa_sha256);
  }
  return out;
}

bool Scheme::uses(Segment::Kind kind) const {
  return std::any_of(content.begin(), content.end(),
                     [&](const Segment& s) { return s.kind == kind; });
}

}  // namespace hookgate::schemes
