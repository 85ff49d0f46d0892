// The ids the API gives messages and attempts: they reveal nothing across tenants (no global
// counter, no count of anyone's traffic) and are the ids receivers see (webhook-id).
//
// A message id is "msg_" + 36 base62 digits of 26 bytes: 48 bits of unix milliseconds, a 64-bit
// tag of its application (the first 8 bytes of a SHA-256 of the application id), then 96 random
// bits (KSUID-like). The digits are fixed width over an alphabet in ASCII order, so ids sort by
// creation time (to the millisecond). The tag binds the application into what Standard Webhooks
// signs (webhook-id), so a receiver that expects one application can refuse a genuine delivery
// of another one replayed at it, without trusting an unsigned header; it names no application
// (a hash) and tells a tenant nothing it does not know (it only ever sees its own messages).
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

std::string new_message_id(std::int64_t now_ms, std::string_view app_id);
// Whether message id names app_id by its tag. nullopt when the id carries no tag (ids given to
// messages stored before ids had one: 32 digits).
std::optional<bool> message_id_names_app(std::string_view message_id, std::string_view app_id);
// Whether text has the shape of a message id (cheap refusal before a look-up).
bool is_message_id(std::string_view text);

std::string attempt_id(std::string_view message_id, std::string_view endpoint_id, int number);

// Fixed-width base62 (0-9A-Za-z) of big-endian bytes: width digits, most significant first.
std::string base62(std::string_view bytes, std::size_t width);
// The count big-endian bytes that base62() wrote as digits; nullopt for a character outside the
// alphabet or a value that does not fit in count bytes.
std::optional<std::string> base62_decode(std::string_view digits, std::size_t count);

}  // namespace hookgate::outbound
