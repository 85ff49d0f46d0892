// Timestamps as /api/v1 writes and reads them: RFC 3339 (the ISO 8601 profile Svix's API and
// clients use). Written in UTC with milliseconds; read with any offset, so a client's local time
// means the instant it names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hookgate::api {

// "2026-11-30T22:17:08.123Z" for unix milliseconds (years 0001..9999; clamped outside).
std::string iso8601(std::int64_t unix_ms);

// Unix milliseconds of an RFC 3339 date-time ("T" or "t" or one space between date and time,
// 0..9 fraction digits (beyond milliseconds truncated), "Z"/"z" or "+hh:mm"/"-hh:mm"). Field
// ranges are checked (month 1..12, day within the month, hour < 24, minute < 60, second <= 60,
// where a leap second 60 reads as 59.999). nullopt for anything else, including surrounding
// whitespace.
std::optional<std::int64_t> parse_iso8601(std::string_view text);

}  // namespace hookgate::api
