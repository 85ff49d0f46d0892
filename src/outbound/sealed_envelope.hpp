// The body an encrypting endpoint receives: a JSON envelope carrying the libsodium sealed box in
// base64. A body of raw box bytes would be signed correctly but would not verify with the
// official Standard Webhooks / Svix verifiers, which decode the body as UTF-8 text before the MAC
// (binary bytes do not survive that); the envelope is ASCII, so what is signed is what they check.
//
// Shape (members in this order, no whitespace; the signature covers these bytes as sent):
//   {"type":"hookgate.sealed","alg":"x25519-sealedbox","contentType":"<payload type>",
//    "sealed":"<standard base64, padded, of crypto_box_seal(payload, endpoint public key)>"}
#pragma once

#include <string>
#include <string_view>

#include "hookgate/result.hpp"

namespace hookgate::outbound {

inline constexpr std::string_view kSealedEnvelopeType = "hookgate.sealed";
inline constexpr std::string_view kSealedAlgorithm = "x25519-sealedbox";

// public_key_b64: base64 of the endpoint's 32-byte X25519 public key. A fresh ephemeral key per
// call, so two envelopes of one payload differ. Errors: a key that is not base64 or not 32 bytes.
Result<std::string> sealed_envelope(std::string_view payload, std::string_view content_type,
                                    std::string_view public_key_b64);

}  // namespace hookgate::outbound
