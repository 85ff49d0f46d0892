// RFC 3339 date-times to and from unix milliseconds, by civil-calendar arithmetic (no time zone
// database, no locale, no C library state).
#include "api/iso8601.hpp"

#include "hookgate/civil_date.hpp"

namespace hookgate::api {

namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

// Reads exactly n digits at text[pos]; advances pos.
std::optional<unsigned> digits(std::string_view text, std::size_t& pos, std::size_t n) {
  if (text.size() < pos + n) return std::nullopt;
  unsigned value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  pos += n;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

}  // namespace

std::string iso8601(std::int64_t unix_ms) {
  return rfc3339_ms(unix_ms);
}

std::optional<std::int64_t> parse_iso8601(std::string_view text) {
  std::size_t pos = 0;
  const auto year = digits(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return std::nullopt;
  const auto month = digits(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return std::nullopt;
  const auto day = digits(text, pos, 2);
  if (!day || pos >= text.size()) return std::nullopt;
  if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
  ++pos;
  const auto hour = digits(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return std::nullopt;
  const auto minute = digits(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) return std::nullopt;
  auto second = digits(text, pos, 2);
  if (!second) return std::nullopt;
  unsigned millis = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (n < 3) millis = millis * 10 + static_cast<unsigned>(text[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0 || n > 9) return std::nullopt;
    for (std::size_t i = n; i < 3; ++i)
      millis *= 10;
  }
  if (*year == 0 || *month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month) ||
      *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  if (*second == 60) {  // a leap second: the last instant of the minute it extends
    second = 59;
    millis = 999;
  }
  if (pos >= text.size()) return std::nullopt;
  std::int64_t offset_minutes = 0;
  const char zone = text[pos++];
  if (zone == '+' || zone == '-') {
    const auto oh = digits(text, pos, 2);
    if (!oh || !expect(text, pos, ':')) return std::nullopt;
    const auto om = digits(text, pos, 2);
    if (!om || *oh > 23 || *om > 59) return std::nullopt;
    offset_minutes = (zone == '+' ? 1 : -1) * static_cast<std::int64_t>(*oh * 60 + *om);
  } else if (zone != 'Z' && zone != 'z') {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  const std::int64_t ms =
      days_from_civil(*year, *month, *day) * kMsPerDay +
      static_cast<std::int64_t>(*hour) * 3'600'000 + static_cast<std::int64_t>(*minute) * 60'000 +
      static_cast<std::int64_t>(*second) * 1000 + millis - offset_minutes * 60'000;
  return ms;
}

}  // namespace hookgate::api
