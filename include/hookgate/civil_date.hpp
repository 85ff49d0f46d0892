// Proleptic Gregorian calendar arithmetic (Howard Hinnant's civil algorithms), so every place
// that reads or writes dates (signature timestamps, /api/v1 times, `hookgate listen` lines) agrees
// without a time-zone database, a locale or C library state.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

namespace hookgate {

// Days since 1970-01-01 of year-month-day (month 1..12).
inline std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

inline CivilDate civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

inline bool leap_year(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Days of month m (1..12) of year y.
inline unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr std::array<unsigned, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap_year(y) ? 29 : kDays[m - 1];
}

// RFC 3339 UTC with milliseconds ("1970-01-01T00:00:00.000Z"), clamped to years 0001..9999 so
// the text always has the fixed 24-character shape.
inline std::string rfc3339_ms(std::int64_t unix_ms) {
  constexpr std::int64_t kMsPerDay = 86'400'000;
  unix_ms = std::clamp<std::int64_t>(unix_ms, -62'135'596'800'000, 253'402'300'799'999);
  std::int64_t days = unix_ms / kMsPerDay;
  std::int64_t in_day = unix_ms % kMsPerDay;
  if (in_day < 0) {
    in_day += kMsPerDay;
    --days;
  }
  const auto date = civil_from_days(days);
  // Room for any int64 year GCC cannot rule out (-Wformat-truncation); real output is 24 chars.
  std::array<char, 96> out{};
  std::snprintf(out.data(), out.size(), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(date.year), date.month, date.day,
                static_cast<long long>(in_day / 3'600'000),
                static_cast<long long>(in_day / 60'000 % 60),
                static_cast<long long>(in_day / 1000 % 60), static_cast<long long>(in_day % 1000));
  return out.data();
}

}  // namespace hookgate
