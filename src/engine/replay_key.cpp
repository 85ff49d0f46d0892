// Replay keys: which one an accepted event gets, and its window (docs/gateway.md "Replays").
#include "replay_key.hpp"

#include <algorithm>

#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/encoding.hpp"

namespace hookgate::engine {

namespace {

// The hex digits of the content digest a key keeps.
constexpr std::size_t kContentKeyHexDigits = 32;

// The end of the time in which a copy of this request still passes the timestamp check, when the
// scheme bounds the age at all. The check compares whole seconds, so a request stamped ts is
// accepted while now < (ts + past + 1) s; the margin absorbs a clock step during the request.
std::optional<std::int64_t> tolerance_end_ms(const schemes::Scheme& scheme,
                                             const schemes::Verdict& verdict,
                                             const config::Source& source) {
  constexpr std::int64_t kMarginMs = 60'000;
  const auto past = source.tolerance ? source.tolerance : scheme.tolerance_past;
  if (!verdict.timestamp || !past) return std::nullopt;
  return (*verdict.timestamp + past->count() + 1) * 1000 + kMarginMs;
}

}  // namespace

ReplayKey replay_key(const schemes::Scheme& scheme, const schemes::Verdict& verdict,
                     const config::Source& source, std::int64_t received_ms) {
  const auto tolerance_end = tolerance_end_ms(scheme, verdict, source);
  ReplayKey out;
  if (scheme.id_signed && !verdict.id.empty()) {
    // The provider's own event id: its redeliveries (re-signed, fresh timestamp) are one event
    // too. Kept for dedupe_ttl, and at least as long as a copy could pass the timestamp check.
    out.key = verdict.id.size() <= kMaxIdKeyBytes
                  ? verdict.id
                  : "id-sha256:" + crypto::hex_encode(
                                       crypto::digest(crypto::DigestAlgorithm::sha256, verdict.id));
    out.until_ms = received_ms + std::chrono::milliseconds(source.dedupe_ttl).count();
    if (tolerance_end) out.until_ms = std::max(out.until_ms, *tolerance_end);
    return out;
  }
  // No signed id (an unsigned id header such as X-GitHub-Delivery may be replaced on a resend):
  // the signed content identifies the message. Its prefix cannot be a provider id of the same
  // source that an attacker controls, as ids come from signed bytes only.
  // 128 bits of the digest: collisions stay out of reach (2^64 events), and a key as short as a
  // UUID keeps the de-duplication B-tree small, where every random key dirties a page of its own.
  out.key = "sha256:" + verdict.content_digest.substr(0, kContentKeyHexDigits);
  if (tolerance_end) {
    out.until_ms = *tolerance_end;
  } else {
    const auto window = source.dedupe_window   ? *source.dedupe_window
                        : scheme.dedupe_window ? *scheme.dedupe_window
                                               : source.dedupe_ttl;
    out.until_ms = received_ms + std::chrono::milliseconds(window).count();
  }
  return out;
}

}  // namespace hookgate::engine
