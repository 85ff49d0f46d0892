// RFC 3339 timestamps of /api/v1: the instants written and read, checked against values computed
// independently (date(1) / published examples), not by the code under test.
#include "api/iso8601.hpp"

#include <gtest/gtest.h>

namespace hookgate::api {
namespace {

TEST(Iso8601, WritesUtcWithMilliseconds) {
  EXPECT_EQ(iso8601(0), "1970-01-01T00:00:00.000Z");
  // date -u -d @1796163428 +%FT%T -> 2026-12-01T22:17:08
  EXPECT_EQ(iso8601(1'796'163'428'123), "2026-12-01T22:17:08.123Z");
  EXPECT_EQ(iso8601(-1), "1969-12-31T23:59:59.999Z");
  // 2000-02-29 (a leap day of a year divisible by 400) is day 11 016.
  EXPECT_EQ(iso8601(11'016LL * 86'400'000), "2000-02-29T00:00:00.000Z");
}

TEST(Iso8601, ReadsOffsetsFractionsAndSeparators) {
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601("2026-12-01T22:17:08.123Z"), 1'796'163'428'123);
  EXPECT_EQ(parse_iso8601("2026-12-01t22:17:08.1234567z"), 1'796'163'428'123);
  EXPECT_EQ(parse_iso8601("2026-12-01 22:17:08.1Z"), 1'796'163'428'100);
  // RFC 3339 section 5.8's examples.
  EXPECT_EQ(parse_iso8601("1996-12-19T16:39:57-08:00"), parse_iso8601("1996-12-20T00:39:57Z"));
  EXPECT_EQ(parse_iso8601("1990-12-31T23:59:60Z"), parse_iso8601("1990-12-31T23:59:59.999Z"));
  EXPECT_EQ(parse_iso8601("1970-01-01T05:30:00+05:30"), 0);
}

TEST(Iso8601, RefusesWhatIsNotAnRfc3339DateTime) {
  for (const char* bad :
       {"", "2026-11-30", "2026-11-30T22:17:08", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30T22:60:00Z",
        "2026-11-30T22:17:61Z", "2026-11-30T22:17:08.Z", "2026-11-30T22:17:08.1234567890Z",
        " 2026-11-30T22:17:08Z", "2026-11-30T22:17:08Z ", "2026-11-30T22:17:08+0100",
        "0000-01-01T00:00:00Z", "2026-11-30X22:17:08Z", "+2026-11-30T22:17:08Z", "1700000000000",
        "2026-11-30T22:17:08+24:00"}) {
    EXPECT_FALSE(parse_iso8601(bad).has_value()) << bad;
  }
}

TEST(Iso8601, WhatIsWrittenReadsBackAsTheSameInstant) {
  for (const std::int64_t ms : {0LL, 1LL, -1LL, 951'782'400'000LL, 1'796'163'428'123LL,
                                -62'135'596'800'000LL, 253'402'300'799'999LL}) {
    EXPECT_EQ(parse_iso8601(iso8601(ms)), ms) << ms;
  }
}

}  // namespace
}  // namespace hookgate::api
