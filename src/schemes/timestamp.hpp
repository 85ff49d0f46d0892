// Parsing and formatting of the timestamps providers send: unix seconds, unix milliseconds and
// RFC 3339 (Box, Twitch, AWS SNS).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hookgate/schemes/scheme.hpp"

namespace hookgate::schemes {

// Unix seconds (milliseconds truncated toward negative infinity); nullopt when text is not a
// well-formed timestamp of format. Digits only for the unix forms: no sign, no spaces, at most
// 18 digits, so no overflow is possible.
std::optional<std::int64_t> parse_timestamp(std::string_view text, TimestampFormat format);

// Formats unix milliseconds in format ("2024-03-20T10:07:35Z" for RFC 3339, UTC).
std::string format_timestamp(std::int64_t unix_millis, TimestampFormat format);

}  // namespace hookgate::schemes
