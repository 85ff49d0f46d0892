// Timestamp parsing/formatting without locale or time-zone database dependencies.
#include "timestamp.hpp"

#include <cstdio>

#include "hookgate/civil_date.hpp"

namespace hookgate::schemes {
namespace {

std::optional<std::int64_t> parse_digits(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// RFC 3339 date-time: YYYY-MM-DD('T'|'t'|' ')hh:mm:ss[.frac]('Z'|'z'|(+|-)hh:mm).
std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  if (s.size() < 20 || s.size() > 64) return std::nullopt;
  const auto num = [&](std::size_t pos, std::size_t len) {
    return parse_digits(s.substr(pos, len), len);
  };
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  const auto year = num(0, 4), month = num(5, 2), day = num(8, 2);
  const auto hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 ||
      *day > days_in_month(*year, static_cast<unsigned>(*month)) || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9')
      ++pos;
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  std::int64_t offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    if (s.size() - pos != 6 || s[pos + 3] != ':') return std::nullopt;
    const auto oh = num(pos + 1, 2), om = num(pos + 4, 2);
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset = (*oh * 60 + *om) * 60 * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t days =
      days_from_civil(*year, static_cast<unsigned>(*month), static_cast<unsigned>(*day));
  // A leap second (:60) counts as the next second, as POSIX time does.
  return days * 86400 + *hour * 3600 + *minute * 60 + *second - offset;
}

}  // namespace

std::optional<std::int64_t> parse_timestamp(std::string_view text, TimestampFormat format) {
  switch (format) {
    case TimestampFormat::unix_seconds:
      return parse_digits(text, 18);
    case TimestampFormat::unix_millis: {
      const auto ms = parse_digits(text, 18);
      if (!ms) return std::nullopt;
      return *ms / 1000;
    }
    case TimestampFormat::rfc3339:
      return parse_rfc3339(text);
  }
  return std::nullopt;
}

std::string format_timestamp(std::int64_t unix_millis, TimestampFormat format) {
  switch (format) {
    case TimestampFormat::unix_seconds:
      return std::to_string(unix_millis >= 0 ? unix_millis / 1000 : (unix_millis - 999) / 1000);
    case TimestampFormat::unix_millis:
      return std::to_string(unix_millis);
    case TimestampFormat::rfc3339:
      break;
  }
  std::int64_t secs = unix_millis >= 0 ? unix_millis / 1000 : (unix_millis - 999) / 1000;
  std::int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  const std::int64_t rem = secs - days * 86400;
  const CivilDate c = civil_from_days(days);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                static_cast<long long>(c.year), c.month, c.day, static_cast<long long>(rem / 3600),
                static_cast<long long>(rem / 60 % 60), static_cast<long long>(rem % 60));
  return buf;
}

}  // namespace hookgate::schemes
