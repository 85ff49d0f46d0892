// sign(): the same content assembly as verify(), then one signature per key.
#include "hookgate/schemes/sign.hpp"

#include <deque>

#include "content.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/random.hpp"
#include "signing.hpp"
#include "timestamp.hpp"

namespace hookgate::schemes {
namespace {

std::string encode(Encoding encoding, std::string_view bytes) {
  switch (encoding) {
    case Encoding::hex:
      return crypto::hex_encode(bytes);
    case Encoding::base64:
      return crypto::base64_encode(bytes);
    case Encoding::base64url:
      return crypto::base64url_encode(bytes);
    case Encoding::text:
      return std::string(bytes);
  }
  return {};
}

bool can_sign(const Key& key, Algorithm algorithm) {
  return key.fits(algorithm) && (is_symmetric(algorithm) || key.private_key().has_value());
}

}  // namespace

Result<HeaderList> sign(const Scheme& scheme, const SignInput& input, std::span<const Key> keys) {
  if (!scheme.procedure.empty() || !scheme.signature_json_field.empty()) {
    return Error{"scheme " + scheme.name +
                 " carries its signature inside the body; it can be verified, not signed here"};
  }
  if (keys.empty()) return Error{"no secret or key was given"};

  HeaderList headers;
  std::string id = input.id;
  if (scheme.id.kind == Location::Kind::header) {
    if (id.empty()) id = "msg_" + crypto::random_string(27, crypto::kAlphanumeric);
    headers.add(scheme.id.name, id);
  } else if (scheme.uses(Segment::Kind::id) && id.empty()) {
    return Error{"scheme " + scheme.name + " signs a message id: give one"};
  }
  std::string timestamp;
  if (scheme.timestamp.present()) {
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(input.timestamp.time_since_epoch())
            .count();
    timestamp = format_timestamp(millis, scheme.timestamp_format);
    if (scheme.timestamp.kind == Location::Kind::header)
      headers.add(scheme.timestamp.name, timestamp);
  }

  // Headers the template reads ({header:X}) must come from the caller; sign cannot invent them.
  std::vector<std::string> signatures;
  for (const Key& key : keys) {
    std::optional<Algorithm> algorithm;
    std::string version;
    if (scheme.list_separator != 0) {
      for (const auto& v : scheme.versions) {
        if (can_sign(key, v.algorithm)) {
          algorithm = v.algorithm;
          version = v.name;
          break;
        }
      }
    } else if (can_sign(key, scheme.algorithm)) {
      algorithm = scheme.algorithm;
    }
    if (!algorithm) {
      return Error{"a " + key.describe() + " cannot sign for scheme " + scheme.name};
    }
    std::vector<std::string_view> pieces;
    std::deque<std::string> storage;
    const ContentInputs in{
        input.method,
        input.url,
        input.body,
        headers,
        timestamp,
        id,
        key.kind() == Key::Kind::secret ? key.secret_bytes() : std::string_view{},
        nullptr};
    if (auto missing = build_content(scheme, in, pieces, storage)) {
      return Error{"scheme " + scheme.name + " signs " + *missing + ", which sign cannot supply"};
    }
    auto raw = make_signature(*algorithm, key, pieces);
    if (!raw) return Error{raw.error()};
    const auto encoded = encode(scheme.encoding, *raw);
    std::string item = scheme.list_separator != 0 ? version + scheme.pair_separator : scheme.prefix;
    item += encoded;
    signatures.push_back(std::move(item));
  }

  if (scheme.list_separator != 0) {
    std::string value;
    if (scheme.timestamp.kind == Location::Kind::list_field) {
      value = scheme.timestamp.name + scheme.pair_separator + timestamp;
    }
    for (const auto& s : signatures) {
      if (!value.empty()) value += scheme.list_separator;
      value += s;
    }
    headers.add(scheme.signature_headers.front(), std::move(value));
  } else {
    // One signature per header: Box's primary and secondary take the first two keys.
    const auto n = std::min(signatures.size(), scheme.signature_headers.size());
    for (std::size_t i = 0; i < n; ++i)
      headers.add(scheme.signature_headers[i], signatures[i]);
  }
  return headers;
}

}  // namespace hookgate::schemes
