// verify(): checks one received request against a scheme and a set of keys. Pure: no I/O, time
// comes from the caller, the raw body is what is checked. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hookgate/schemes/header_list.hpp"
#include "hookgate/schemes/key.hpp"
#include "hookgate/schemes/scheme.hpp"

namespace hookgate::schemes {

// The request as it arrived. url is the full URL the provider addressed
// (scheme://host[:port]/path?query); schemes that do not sign the URL ignore it.
struct RequestView {
  std::string_view method = "POST";
  std::string_view url;
  const HeaderList& headers;
  std::string_view body;
};

// Why a verification failed. The codes (to_string) are stable: logs, metrics and the HTTP
// reason of a refused request use them.
enum class Reason {
  ok,
  missing_signature,     // no signature header / field
  malformed_signature,   // present but not parseable, or no item decodes
  duplicate_header,      // a header the scheme reads occurs more than once
  header_too_large,      // a header the scheme reads exceeds kMaxHeaderBytes
  no_supported_version,  // a list header without any item of a version the scheme accepts
  missing_timestamp,
  malformed_timestamp,
  timestamp_too_old,
  timestamp_in_future,
  missing_id,
  missing_field,            // a JSON body field or header the content template needs
  malformed_body,           // the scheme needs a JSON body and this is not one
  unexpected_header_value,  // an expect_headers entry differs (Box algorithm/version)
  body_hash_mismatch,       // Twilio bodySHA256 does not match the body
  no_key,                   // no key was given
  wrong_key_type,           // keys given, but none fits the signature's algorithm
  no_match,                 // well-formed, but no signature matched any key
  certificate_refused,      // AWS SNS: SigningCertURL is not an AWS SNS https .pem URL
};
std::string_view to_string(Reason reason);

inline constexpr std::size_t kMaxHeaderBytes = 8192;
inline constexpr std::size_t kMaxSignatureItems = 64;

struct VerifyOptions {
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  // When set, replaces the scheme's tolerance in both directions.
  std::optional<std::chrono::seconds> tolerance;
};

struct Verdict {
  Reason reason = Reason::no_match;
  std::string detail;  // one human sentence; never contains a signature or key
  int key_index = -1;  // which key matched
  std::string id;      // the message id, when the scheme carries one
  // Hex SHA-256 of the signed content that verified (scheme name first, secret segments left
  // out): the same for every valid variant of one signed message (signatures reordered or
  // dropped, other key, other encoding), so it is a replay key when there is no signed id.
  std::string content_digest;
  std::optional<std::int64_t> timestamp;  // unix seconds, when the scheme carries one
  bool ok() const { return reason == Reason::ok; }
};

Verdict verify(const Scheme& scheme, const RequestView& request, std::span<const Key> keys,
               const VerifyOptions& options = {});

}  // namespace hookgate::schemes
