// The ids the API gives messages and attempts: they reveal nothing across tenants (no global
// counter, no count of anyone's traffic) and are the ids receivers see (webhook-id).
//
// A message id is "msg_" + 30 base62 digits of 22 bytes: 48 bits of unix milliseconds, then
// 128 random bits (KSUID-like). The digits are fixed width over an alphabet in ASCII order, so
// ids sort by creation time (to the millisecond; random within one).
//
// An attempt id is "atmpt_" + 22 base62 digits of the first 16 bytes of SHA-256 over the message
// id, the endpoint id and the attempt number. It says nothing its answer does not already carry
// (msgId, endpointId), and is found again by recomputing it over a message's attempts, so no
// table of attempt ids is kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hookgate::outbound {

inline constexpr std::string_view kMessageIdPrefix = "msg_";
inline constexpr std::string_view kAttemptIdPrefix = "atmpt_";

std::string new_message_id(std::int64_t now_ms);
// Whether text has the shape of a message id (cheap refusal before a look-up).
bool is_message_id(std::string_view text);

std::string attempt_id(std::string_view message_id, std::string_view endpoint_id, int number);

// Fixed-width base62 (0-9A-Za-z) of big-endian bytes: width digits, most significant first.
std::string base62(std::string_view bytes, std::size_t width);

}  // namespace hookgate::outbound
