// verify(): locate signatures, timestamp and id; assemble the signed content from the raw
// request; compare in constant time against every fitting key.
#include "hookgate/schemes/verify.hpp"

#include <deque>

#include "aws_sns.hpp"
#include "content.hpp"
#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "signature_header.hpp"
#include "signing.hpp"
#include "timestamp.hpp"

namespace hookgate::schemes {

std::string_view to_string(Reason reason) {
  switch (reason) {
    case Reason::ok:
      return "ok";
    case Reason::missing_signature:
      return "missing_signature";
    case Reason::malformed_signature:
      return "malformed_signature";
    case Reason::duplicate_header:
      return "duplicate_header";
    case Reason::header_too_large:
      return "header_too_large";
    case Reason::no_supported_version:
      return "no_supported_version";
    case Reason::missing_timestamp:
      return "missing_timestamp";
    case Reason::malformed_timestamp:
      return "malformed_timestamp";
    case Reason::timestamp_too_old:
      return "timestamp_too_old";
    case Reason::timestamp_in_future:
      return "timestamp_in_future";
    case Reason::missing_id:
      return "missing_id";
    case Reason::missing_field:
      return "missing_field";
    case Reason::malformed_body:
      return "malformed_body";
    case Reason::unexpected_header_value:
      return "unexpected_header_value";
    case Reason::body_hash_mismatch:
      return "body_hash_mismatch";
    case Reason::no_key:
      return "no_key";
    case Reason::wrong_key_type:
      return "wrong_key_type";
    case Reason::no_match:
      return "no_match";
    case Reason::certificate_refused:
      return "certificate_refused";
  }
  return "unknown";
}

namespace {

Verdict fail(Reason reason, std::string detail) {
  Verdict v;
  v.reason = reason;
  v.detail = std::move(detail);
  return v;
}

// A header the scheme reads: absent, present once (bounded), or a reason to refuse.
struct HeaderRead {
  std::optional<std::string_view> value;
  std::optional<Verdict> failure;
};

HeaderRead read_header(const HeaderList& headers, const std::string& name) {
  const auto count = headers.count(name);
  if (count == 0) return {};
  if (count > 1) {
    return {std::nullopt,
            fail(Reason::duplicate_header, name + " occurs " + std::to_string(count) + " times")};
  }
  const auto value = *headers.get(name);
  if (value.size() > kMaxHeaderBytes) {
    return {std::nullopt, fail(Reason::header_too_large,
                               name + " exceeds " + std::to_string(kMaxHeaderBytes) + " bytes")};
  }
  return {value, std::nullopt};
}

// Reads a located value (timestamp or id). storage keeps JSON / query values alive.
HeaderRead read_location(const Location& loc, const RequestView& request, const JsonBody* json,
                         std::optional<std::string_view> list_value,
                         std::deque<std::string>& storage) {
  switch (loc.kind) {
    case Location::Kind::none:
      return {};
    case Location::Kind::header:
      return read_header(request.headers, loc.name);
    case Location::Kind::list_field:
      return {list_value, std::nullopt};
    case Location::Kind::json_field: {
      auto value = json != nullptr ? json->field(loc.name) : std::nullopt;
      if (!value) return {};
      return {storage.emplace_back(std::move(*value)), std::nullopt};
    }
    case Location::Kind::url_query: {
      auto value = url_query_param(request.url, loc.name);
      if (!value) return {};
      return {storage.emplace_back(std::move(*value)), std::nullopt};
    }
  }
  return {};
}

std::optional<std::string> decode(Encoding encoding, std::string_view text) {
  switch (encoding) {
    case Encoding::hex:
      return crypto::hex_decode(text);
    case Encoding::base64:
      return crypto::base64_decode(text);
    case Encoding::base64url:
      return crypto::base64url_decode(text);
    case Encoding::text:
      return std::string(text);
  }
  return std::nullopt;
}

std::string describe(const Location& loc) {
  switch (loc.kind) {
    case Location::Kind::header:
      return "header " + loc.name;
    case Location::Kind::list_field:
      return "signature item " + loc.name;
    case Location::Kind::json_field:
      return "JSON body field " + loc.name;
    case Location::Kind::url_query:
      return "query parameter " + loc.name;
    case Location::Kind::none:
      break;
  }
  return "field";
}

// What a replay key is made of when there is no signed id: the bytes the signature covers,
// which every valid variant of one signed message shares. Not the signature itself: a resend may
// reorder or drop one of several signatures, re-encode one, or (ECDSA) present another valid
// signature of the same bytes, and each of those would change a digest of the header.
std::string replay_digest(const Scheme& scheme, std::span<const std::string_view> content) {
  std::vector<std::string_view> pieces;
  pieces.reserve(content.size() + 2);
  pieces.emplace_back("hookgate-replay-v1\n");
  pieces.emplace_back(scheme.name.c_str(), scheme.name.size() + 1);  // with its NUL: a separator
  pieces.insert(pieces.end(), content.begin(), content.end());
  return crypto::hex_encode(crypto::digest(crypto::DigestAlgorithm::sha256, pieces));
}

bool needs_json(const Scheme& scheme) {
  return !scheme.signature_json_field.empty() || !scheme.procedure.empty() ||
         scheme.timestamp.kind == Location::Kind::json_field ||
         scheme.id.kind == Location::Kind::json_field || scheme.uses(Segment::Kind::json);
}

}  // namespace

Verdict verify(const Scheme& scheme, const RequestView& request, std::span<const Key> keys,
               const VerifyOptions& options) {
  // Only parsed when the scheme reads the body as JSON: most schemes never pay for it.
  std::optional<JsonBody> json;
  if (needs_json(scheme)) json.emplace(request.body);
  std::deque<std::string> storage;

  for (const auto& [name, expected] : scheme.expect_headers) {
    const auto read = read_header(request.headers, name);
    if (read.failure) return *read.failure;
    if (read.value && *read.value != expected) {
      std::string detail = name;
      detail.append(" is not ").append(expected);
      return fail(Reason::unexpected_header_value, std::move(detail));
    }
  }

  // 1. Signatures.
  ParsedSignatureHeader parsed;
  std::vector<std::string_view> sns_content;
  if (scheme.procedure == "aws-sns") {
    if (!json->valid()) return fail(Reason::malformed_body, "the body is not a JSON object");
    auto sns = sns_signed_content(*json);
    if (!sns) {
      const bool missing_sig = sns.error() == "field Signature is missing";
      return fail(missing_sig ? Reason::missing_signature : Reason::malformed_body, sns.error());
    }
    if (!sns_certificate_url_allowed(sns->certificate_url)) {
      return fail(Reason::certificate_refused,
                  "SigningCertURL is not an https .pem URL on an sns.*.amazonaws.com host");
    }
    const auto& sig = storage.emplace_back(std::move(sns->signature));
    parsed.candidates.push_back({sns->algorithm, sig});
    sns_content.emplace_back(storage.emplace_back(std::move(sns->canonical)));
  } else if (!scheme.signature_json_field.empty()) {
    if (!json->valid()) return fail(Reason::malformed_body, "the body is not a JSON object");
    auto value = json->field(scheme.signature_json_field);
    if (!value) {
      return fail(Reason::missing_signature,
                  "JSON body field " + scheme.signature_json_field + " is missing");
    }
    const auto& stored = storage.emplace_back(std::move(*value));
    if (parse_signature_header(scheme, stored, parsed) != HeaderParseError::none) {
      return fail(Reason::malformed_signature, scheme.signature_json_field + " is malformed");
    }
  } else {
    bool any = false;
    for (const auto& name : scheme.signature_headers) {
      const auto read = read_header(request.headers, name);
      if (read.failure) return *read.failure;
      if (!read.value) continue;
      any = true;
      switch (parse_signature_header(scheme, *read.value, parsed)) {
        case HeaderParseError::none:
          break;
        case HeaderParseError::malformed:
          return fail(Reason::malformed_signature,
                      name + (scheme.prefix.empty() ? std::string(" is malformed")
                                                    : " does not start with " + scheme.prefix));
        case HeaderParseError::too_many_items:
          return fail(Reason::header_too_large,
                      name + " holds more than " + std::to_string(kMaxSignatureItems) + " items");
        case HeaderParseError::duplicate_timestamp:
          return fail(Reason::malformed_signature,
                      name + " carries " + scheme.timestamp.name + " twice");
      }
    }
    if (!any)
      return fail(Reason::missing_signature, "no " + scheme.signature_headers.front() + " header");
  }
  if (parsed.candidates.empty()) {
    if (!parsed.had_items) return fail(Reason::malformed_signature, "the signature is empty");
    return fail(Reason::no_supported_version, "no signature of a version this scheme accepts");
  }

  // 2. Timestamp and id.
  const auto ts_read = read_location(scheme.timestamp, request, json ? &*json : nullptr,
                                     parsed.list_timestamp, storage);
  if (ts_read.failure) return *ts_read.failure;
  std::optional<std::int64_t> timestamp;
  if (scheme.timestamp.present()) {
    if (!ts_read.value || ts_read.value->empty()) {
      return fail(Reason::missing_timestamp, "no " + describe(scheme.timestamp));
    }
    timestamp = parse_timestamp(*ts_read.value, scheme.timestamp_format);
    if (!timestamp) {
      return fail(Reason::malformed_timestamp,
                  describe(scheme.timestamp) + " is not a valid timestamp");
    }
  }
  const auto id_read =
      read_location(scheme.id, request, json ? &*json : nullptr, std::nullopt, storage);
  if (id_read.failure) return *id_read.failure;
  if (scheme.uses(Segment::Kind::id) && (!id_read.value || id_read.value->empty())) {
    return fail(Reason::missing_id, "no " + describe(scheme.id));
  }
  if (scheme.uses(Segment::Kind::json) && !json->valid()) {
    return fail(Reason::malformed_body, "the body is not a JSON object");
  }

  // 3. Keys and signatures.
  if (keys.empty()) return fail(Reason::no_key, "no secret or key was given");
  bool any_fit = false;
  for (const auto& key : keys) {
    for (const auto& c : parsed.candidates)
      any_fit = any_fit || key.fits(c.algorithm);
  }
  if (!any_fit) {
    return fail(Reason::wrong_key_type,
                "the " + keys.front().describe() + " cannot check " +
                    std::string(to_string(parsed.candidates.front().algorithm)) + " signatures");
  }
  std::vector<std::optional<std::string>> decoded;
  decoded.reserve(parsed.candidates.size());
  bool any_decoded = false;
  for (const auto& c : parsed.candidates) {
    // SNS signatures are base64 whatever the scheme file says.
    decoded.push_back(decode(sns_content.empty() ? scheme.encoding : Encoding::base64, c.encoded));
    any_decoded = any_decoded || decoded.back().has_value();
  }
  if (!any_decoded) {
    return fail(Reason::malformed_signature,
                "no signature is valid " + std::string(to_string(scheme.encoding)));
  }

  const std::vector<std::string> urls = scheme.url_port_variants
                                            ? url_port_variants(request.url)
                                            : std::vector<std::string>{std::string(request.url)};
  const bool per_key_content = scheme.uses(Segment::Kind::secret);
  int matched = -1;
  std::string content_digest;
  for (const auto& url : urls) {
    std::vector<std::string_view> pieces;
    std::deque<std::string> content_storage;
    for (std::size_t k = 0; k < keys.size() && matched < 0; ++k) {
      if (sns_content.empty() && (pieces.empty() || per_key_content)) {
        pieces.clear();
        const ContentInputs in{
            request.method,
            url,
            request.body,
            request.headers,
            ts_read.value.value_or(std::string_view{}),
            id_read.value.value_or(std::string_view{}),
            keys[k].kind() == Key::Kind::secret ? keys[k].secret_bytes() : std::string_view{},
            json ? &*json : nullptr};
        if (auto missing = build_content(scheme, in, pieces, content_storage)) {
          return fail(Reason::missing_field, "the request has no " + *missing);
        }
      }
      const auto& content = sns_content.empty() ? pieces : sns_content;
      for (std::size_t c = 0; c < parsed.candidates.size(); ++c) {
        if (!decoded[c] || !keys[k].fits(parsed.candidates[c].algorithm)) continue;
        if (signature_matches(parsed.candidates[c].algorithm, keys[k], content, *decoded[c])) {
          matched = static_cast<int>(k);
          break;
        }
      }
      if (matched >= 0) {
        if (!per_key_content) {
          content_digest = replay_digest(scheme, content);
        } else {
          // The secret is not part of what identifies the message (and must not be hashed
          // into a stored key): the same content without it.
          std::vector<std::string_view> public_pieces;
          const ContentInputs in{request.method,
                                 url,
                                 request.body,
                                 request.headers,
                                 ts_read.value.value_or(std::string_view{}),
                                 id_read.value.value_or(std::string_view{}),
                                 std::string_view{},
                                 json ? &*json : nullptr};
          (void)build_content(scheme, in, public_pieces, content_storage);
          content_digest = replay_digest(scheme, public_pieces);
        }
      }
    }
    if (matched >= 0) break;
  }
  if (matched < 0) {
    return fail(Reason::no_match,
                "no signature matched any of the " + std::to_string(keys.size()) + " key(s)");
  }

  // 4. Checks that only mean something once the request is known to be authentic.
  if (!scheme.body_hash_param.empty()) {
    if (const auto expected = url_query_param(request.url, scheme.body_hash_param)) {
      const auto actual =
          crypto::hex_encode(crypto::digest(crypto::DigestAlgorithm::sha256, request.body));
      std::string lowered = *expected;
      for (auto& ch : lowered)
        ch = static_cast<char>(ch >= 'A' && ch <= 'F' ? ch + 32 : ch);
      if (!crypto::constant_time_equal(actual, lowered)) {
        return fail(Reason::body_hash_mismatch,
                    scheme.body_hash_param + " does not match the body");
      }
    }
  }
  if (timestamp) {
    const auto now =
        std::chrono::duration_cast<std::chrono::seconds>(options.now.time_since_epoch()).count();
    const auto past = options.tolerance ? options.tolerance : scheme.tolerance_past;
    const auto future = options.tolerance ? options.tolerance : scheme.tolerance_future;
    if (past && now - *timestamp > past->count()) {
      return fail(Reason::timestamp_too_old,
                  "the timestamp is " + std::to_string(now - *timestamp) + " s old; at most " +
                      std::to_string(past->count()) + " s is accepted");
    }
    if (future && *timestamp - now > future->count()) {
      return fail(Reason::timestamp_in_future,
                  "the timestamp is " + std::to_string(*timestamp - now) +
                      " s in the future; at most " + std::to_string(future->count()) +
                      " s is accepted");
    }
  }

  Verdict v;
  v.reason = Reason::ok;
  v.key_index = matched;
  v.timestamp = timestamp;
  v.content_digest = std::move(content_digest);
  if (id_read.value) v.id = std::string(*id_read.value);
  return v;
}

}  // namespace hookgate::schemes
