// Parsing of signature headers: a single prefixed signature, or a list of "name<pair>value"
// items (Stripe "t=..,v1=..", Standard Webhooks "v1,sig v1a,sig", Paddle "ts=..;h1=..").
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "hookgate/schemes/scheme.hpp"

namespace hookgate::schemes {

struct SignatureCandidate {
  Algorithm algorithm;
  std::string_view encoded;  // the signature text, prefix and item name removed
};

struct ParsedSignatureHeader {
  std::vector<SignatureCandidate> candidates;
  std::optional<std::string_view> list_timestamp;  // the item named by a list_field timestamp
  bool had_items = false;                          // any well-formed item at all
};

enum class HeaderParseError { none, malformed, too_many_items, duplicate_timestamp };

// Appends to out. Views point into value.
HeaderParseError parse_signature_header(const Scheme& scheme, std::string_view value,
                                        ParsedSignatureHeader& out);

}  // namespace hookgate::schemes
