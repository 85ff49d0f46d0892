// Timestamp parsing and formatting: unix seconds, milliseconds, RFC 3339.
#include "schemes/timestamp.hpp"

#include <gtest/gtest.h>

namespace hookgate::schemes {
namespace {

TEST(Timestamp, UnixSeconds) {
  EXPECT_EQ(parse_timestamp("1614265330", TimestampFormat::unix_seconds), 1614265330);
  EXPECT_EQ(parse_timestamp("0", TimestampFormat::unix_seconds), 0);
  for (const char* bad : {"", " 1", "1 ", "-1", "+1", "1.5", "abc", "1234567890123456789"}) {
    EXPECT_FALSE(parse_timestamp(bad, TimestampFormat::unix_seconds)) << bad;
  }
}

TEST(Timestamp, UnixMillisTruncatesToSeconds) {
  EXPECT_EQ(parse_timestamp("15000000", TimestampFormat::unix_millis), 15000);
  EXPECT_EQ(parse_timestamp("1676056940508", TimestampFormat::unix_millis), 1676056940);
}

TEST(Timestamp, Rfc3339WithOffsetsAndFractions) {
  // 2020-01-01T07:00:00Z = 1577862000.
  EXPECT_EQ(parse_timestamp("2020-01-01T00:00:00-07:00", TimestampFormat::rfc3339), 1577862000);
  EXPECT_EQ(parse_timestamp("2020-01-01T07:00:00Z", TimestampFormat::rfc3339), 1577862000);
  EXPECT_EQ(parse_timestamp("2022-07-28T21:23:58.317Z", TimestampFormat::rfc3339), 1659043438);
  EXPECT_EQ(parse_timestamp("2019-11-16T10:11:12.634234626Z", TimestampFormat::rfc3339),
            1573899072);
  EXPECT_EQ(parse_timestamp("2024-02-29T00:00:00+00:00", TimestampFormat::rfc3339), 1709164800);
}

TEST(Timestamp, Rfc3339RejectsMalformed) {
  for (const char* bad :
       {"2020-01-01", "2020-01-01T00:00:00", "2020-13-01T00:00:00Z", "2023-02-29T00:00:00Z",
        "2020-01-01T24:00:00Z", "2020-01-01T00:00:00.Z", "2020-01-01T00:00:00+0700",
        "2020-01-01T00:00:00Zjunk", "2020/01/01T00:00:00Z"}) {
    EXPECT_FALSE(parse_timestamp(bad, TimestampFormat::rfc3339)) << bad;
  }
}

TEST(Timestamp, FormatRoundTrips) {
  EXPECT_EQ(format_timestamp(1614265330123, TimestampFormat::unix_seconds), "1614265330");
  EXPECT_EQ(format_timestamp(1614265330123, TimestampFormat::unix_millis), "1614265330123");
  EXPECT_EQ(format_timestamp(1577862000000, TimestampFormat::rfc3339), "2020-01-01T07:00:00Z");
  EXPECT_EQ(format_timestamp(1709164800000, TimestampFormat::rfc3339), "2024-02-29T00:00:00Z");
}

}  // namespace
}  // namespace hookgate::schemes
