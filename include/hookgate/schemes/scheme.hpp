// Scheme: the description of one signature scheme, as data. A provider's scheme says which bytes
// are signed (a content template), with which algorithm and encoding, where the signature(s),
// timestamp and id travel, and how old or new a timestamp may be. docs/schemes.md is the file
// format; providers/*.toml are the built-in entries; users add their own in the same format.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hookgate/crypto/digest.hpp"
#include "hookgate/result.hpp"

namespace hookgate::schemes {

enum class Algorithm {
  hmac_sha1,
  hmac_sha256,
  hmac_sha512,
  sha256,  // plain SHA-256 of the content; the secret appears in the template ({secret})
  ed25519,
  ecdsa_p256_sha256,
  rsa_sha1,
  rsa_sha256,
  token,  // the header carries the secret itself (GitLab X-Gitlab-Token, Okta, bearer)
};
std::string_view to_string(Algorithm algorithm);
bool is_symmetric(Algorithm algorithm);  // HMAC, sha256, token: keyed by a shared secret

enum class Encoding { hex, base64, base64url, text };
std::string_view to_string(Encoding encoding);

// How a secret written by a user becomes key bytes.
enum class KeyFormat {
  text,    // the UTF-8 bytes as written (most providers)
  whsec,   // "whsec_" + base64 (Standard Webhooks, Svix); the prefix is optional on input
  hex,     // hex-decoded
  base64,  // base64-decoded
};

enum class TimestampFormat { unix_seconds, unix_millis, rfc3339 };

// Where a value travels in a request.
struct Location {
  enum class Kind {
    none,
    header,      // name: header name
    list_field,  // name: key inside the signature header's k=v list (Stripe "t", Paddle "ts")
    json_field,  // name: dotted path into a JSON object body ("signature.timestamp")
    url_query,   // name: query parameter of the request URL
  };
  Kind kind = Kind::none;
  std::string name;
  bool present() const { return kind != Kind::none; }
};

// One piece of the signed content. Values are used byte for byte as received.
struct Segment {
  enum class Kind {
    literal,      // text
    body,         // the raw body
    timestamp,    // the timestamp exactly as it was carried (not re-formatted)
    id,           // the message id
    method,       // the HTTP method
    url,          // the full request URL (see Scheme::url_port_variants)
    url_decoded,  // the URL with %XX of reserved characters decoded (HubSpot v3)
    form,         // POST form parameters, sorted by name then value, as name+value (Twilio)
    header,       // text: header name
    json,         // text: dotted path into the JSON body; numbers as written
    secret,       // the secret itself (HubSpot v1/v2 plain-hash schemes)
  };
  Kind kind = Kind::literal;
  std::string text;
};

// A signature item inside a list header, such as "v1" in Stripe's "t=..,v1=..".
struct SignatureVersion {
  std::string name;
  Algorithm algorithm = Algorithm::hmac_sha256;
};

struct SecretRules {
  std::size_t min_length = 0;  // of the secret as written; 0 = no bound
  std::size_t max_length = 0;
  // What `hookgate secret` makes: "whsec" (whsec_ + base64 of bytes), "hex" (hex of bytes),
  // "alphanumeric" (length characters), "ed25519", "ecdsa-p256", or "" (cannot generate).
  std::string generate;
  std::size_t generate_bytes = 32;
  std::size_t generate_length = 32;
};

struct Scheme {
  std::string name;
  std::string description;
  std::string origin;  // file the scheme came from, for messages

  std::vector<Segment> content;

  // Signature: one or more headers (any may match; Box sends primary and secondary), or a JSON
  // body field. A header is either one signature (with an optional prefix such as "sha256=") or,
  // when list_separator is set, a list of items "name<pair_separator>value".
  std::vector<std::string> signature_headers;
  std::string signature_json_field;
  std::string prefix;
  char list_separator = 0;
  char pair_separator = '=';
  std::vector<SignatureVersion> versions;  // list items that carry signatures; others are ignored
  Algorithm algorithm = Algorithm::hmac_sha256;  // when not a list
  Encoding encoding = Encoding::hex;
  KeyFormat key_format = KeyFormat::text;

  Location timestamp;
  TimestampFormat timestamp_format = TimestampFormat::unix_seconds;
  // Accepted age of the timestamp; nullopt = not checked in that direction.
  std::optional<std::chrono::seconds> tolerance_past;
  std::optional<std::chrono::seconds> tolerance_future;

  Location id;
  // Whether the signature covers the id (the template signs it, or signs the body it is a field
  // of). Only a signed id is a replay key; an unsigned one (X-GitHub-Delivery) could be replaced
  // on a resent request, so the replay key is then the content digest (Verdict::content_digest).
  bool id_signed = false;
  // The file said so explicitly ([id] signed = ...): every built-in scheme does.
  bool id_declared = false;
  // The de-duplication window of the content digest when the scheme checks no timestamp age, for
  // providers whose distinct events can be byte-identical (Dropbox); nullopt: the source's.
  std::optional<std::chrono::seconds> dedupe_window;

  // Twilio: validators try the URL with and without the scheme's default port.
  bool url_port_variants = false;
  // Twilio JSON bodies: the URL carries hex SHA-256 of the body in this query parameter.
  std::string body_hash_param;
  // Headers that, when present, must hold exactly this value (Box's algorithm and version).
  std::vector<std::pair<std::string, std::string>> expect_headers;

  // Procedural schemes whose signed content is not a template ("aws-sns"); empty otherwise.
  std::string procedure;

  // The URL-verification handshake this provider performs (handshakes::parse_kind), or empty.
  std::string handshake;

  SecretRules secret;

  // Every algorithm this scheme can verify with.
  std::vector<Algorithm> algorithms() const;
  bool uses(Segment::Kind kind) const;
};

// Parses a scheme file (docs/schemes.md). Errors read "ORIGIN:LINE: key 'a.b': what is wrong".
Result<Scheme> load_scheme(std::string_view toml_text, std::string_view origin);

}  // namespace hookgate::schemes
