// The checks on an endpoint's answer to a verification handshake, as pure functions of bytes (so
// they can be fuzzed): whether the answer reflects the request, and whether it is exactly the
// answer a mode asks for. See outbound/verification.hpp for the modes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hookgate/schemes/header_list.hpp"

namespace hookgate::outbound {

// What the message of an hmac_challenge answer starts with, the challenge value following. The
// value is 40 letters and digits, so the message never has the "id.timestamp.body" form of a
// signed delivery: a receiver answering it cannot be made to sign an event.
inline constexpr std::string_view kVerificationMacPrefix = "hookgate-endpoint-verification:";

// The parts of the handshake request only the request carried.
struct HandshakeRequest {
  std::string_view body;
  std::string_view webhook_id;
  std::string_view signature;
};

// Whether the answer (headers or body) carries the request's webhook-id, signature or whole
// body: a mirror (a logger, an echo service) shows nothing about intent.
bool reflects_request(std::string_view answer_body, const schemes::HeaderList& answer_headers,
                      const HandshakeRequest& request);

// challenge: the body is exactly token (trailing CR/LF/space aside), or exactly the JSON object
// {"challenge": token} with no other member.
bool is_challenge_answer(std::string_view answer_body, std::string_view token);

// hmac_challenge: the body is exactly {"challenge_hmac": base64(HMAC-SHA256(key,
// kVerificationMacPrefix + token))} for the key of one of secrets (whsec_ secrets; others are
// skipped). Every secret is checked, in constant time each.
bool is_hmac_answer(std::string_view answer_body, std::string_view token,
                    const std::vector<std::string>& secrets);

}  // namespace hookgate::outbound
