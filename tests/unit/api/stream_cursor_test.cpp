// Stream cursors: one spelling per seq, Last-Event-ID before ?after=, clear errors.
#include "api/stream_cursor.hpp"

#include <gtest/gtest.h>

namespace hookgate::api {
namespace {

TEST(StreamCursor, SeqsAreCanonicalDecimalWithinInt64) {
  EXPECT_EQ(parse_seq("0"), 0);
  EXPECT_EQ(parse_seq("42"), 42);
  EXPECT_EQ(parse_seq("9223372036854775807"), INT64_MAX);
  for (const auto* bad : {"", "-1", "+1", "01", "00", " 1", "1 ", "1.0", "1e3", "0x10", "abc",
                          "9223372036854775808", "18446744073709551616", "99999999999999999999"}) {
    EXPECT_FALSE(parse_seq(bad)) << bad;
  }
}

TEST(StreamCursor, LastEventIdWinsOverAfterAndEmptyMeansNone) {
  auto c = stream_cursor("7", "3");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->after, 7);
  EXPECT_TRUE(c->from_last_event_id);
  c = stream_cursor("", "3");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->after, 3);
  EXPECT_FALSE(c->from_last_event_id);
  c = stream_cursor(std::nullopt, std::nullopt);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->after);
}

TEST(StreamCursor, BadInputIsNamed) {
  EXPECT_EQ(stream_cursor("x", "3").error(), "bad_last_event_id");
  EXPECT_EQ(stream_cursor(std::nullopt, "-5").error(), "bad_after");
  // A bad ?after= does not matter when Last-Event-ID names the cursor.
  EXPECT_TRUE(stream_cursor("5", "bogus"));
}

}  // namespace
}  // namespace hookgate::api
