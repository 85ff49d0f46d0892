// AWS SNS message signatures: the procedural part of the aws-sns scheme. The signed content is a
// canonical "Key\nValue\n" string over fields chosen by message type, and the key is the X.509
// certificate at SigningCertURL, which must be an AWS SNS https URL.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hookgate/result.hpp"
#include "hookgate/schemes/scheme.hpp"
#include "request_parts.hpp"

namespace hookgate::schemes {

struct SnsSigned {
  std::string canonical;  // the bytes AWS signed
  Algorithm algorithm;    // rsa_sha1 (SignatureVersion 1) or rsa_sha256 (2)
  std::string signature;  // base64, as in the message
  std::string certificate_url;
};

// nullopt fields are reported by the caller; errors name the field that is missing or wrong.
Result<SnsSigned> sns_signed_content(const JsonBody& message);

// https, a path ending in .pem, and a host sns.<region>.amazonaws.com(.cn).
bool sns_certificate_url_allowed(std::string_view url);
// https and a host sns.<region>.amazonaws.com(.cn): the only SubscribeURL the gateway visits, so
// a forged confirmation cannot make it fetch an address of the attacker's choosing.
bool sns_subscribe_url_allowed(std::string_view url);

}  // namespace hookgate::schemes
