// The text/event-stream decoder: every line ending, splits at every byte, the BOM, field rules
// and the bounds on lines and messages.
#include "hookgate/net/sse_parser.hpp"

#include <gtest/gtest.h>

namespace hookgate::net {
namespace {

std::vector<SseMessage> parse_all(std::string_view text, std::size_t max = 1024) {
  SseParser p(max);
  std::vector<SseMessage> out;
  EXPECT_FALSE(p.feed(text, out));
  return out;
}

TEST(SseParser, ReadsTheGatewaysMessagesWithIdsEventsAndRetry) {
  const auto m = parse_all(
      "retry: 3000\nevent: ready\ndata: {\"after\":4}\n\n: ping\n\nid: 5\ndata: {\"a\":1}\n\n");
  ASSERT_EQ(m.size(), 2U);
  EXPECT_EQ(m[0].event, "ready");
  EXPECT_EQ(m[0].data, "{\"after\":4}");
  EXPECT_EQ(m[0].retry_ms, 3000);
  EXPECT_EQ(m[1].event, "message");
  EXPECT_EQ(m[1].last_event_id, "5");
  EXPECT_EQ(m[1].data, "{\"a\":1}");
  EXPECT_FALSE(m[1].retry_ms);
}

TEST(SseParser, EveryLineEndingAndEverySplitGiveTheSameMessages) {
  for (const std::string eol : {"\n", "\r\n", "\r"}) {
    const std::string text = "\xEF\xBB\xBFid: 7" + eol + "data: one" + eol + "data:two" + eol +
                             eol + "data: three" + eol + eol;
    for (std::size_t split = 0; split <= text.size(); ++split) {
      SseParser p(1024);
      std::vector<SseMessage> out;
      ASSERT_FALSE(p.feed(text.substr(0, split), out));
      ASSERT_FALSE(p.feed(text.substr(split), out));
      ASSERT_EQ(out.size(), 2U) << "split " << split;
      EXPECT_EQ(out[0].data, "one\ntwo");
      EXPECT_EQ(out[0].last_event_id, "7");
      EXPECT_EQ(out[1].data, "three");
      EXPECT_EQ(out[1].last_event_id, "7");  // the id persists
    }
  }
}

TEST(SseParser, FieldRules) {
  // No data: nothing dispatched; an id with NUL is ignored; a bad retry is ignored; unknown
  // fields and comments are counted.
  SseParser p(1024);
  std::vector<SseMessage> out;
  using namespace std::string_literals;
  ASSERT_FALSE(p.feed("id: 1\nevent: x\n\nid: 2\0x\nretry: 1e3\nfoo: bar\n:c\ndata\n\n"s, out));
  ASSERT_EQ(out.size(), 1U);
  EXPECT_EQ(out[0].data, "");
  EXPECT_EQ(out[0].event, "message");  // the event type reset with the empty message
  EXPECT_EQ(out[0].last_event_id, "1");
  EXPECT_FALSE(out[0].retry_ms);
  EXPECT_EQ(p.comments(), 2U);
}

TEST(SseParser, ALineOrAMessageBeyondTheLimitFailsAndStaysFailed) {
  SseParser p(16);
  std::vector<SseMessage> out;
  EXPECT_TRUE(p.feed(std::string(17, 'a'), out));
  EXPECT_TRUE(p.failed());
  EXPECT_TRUE(p.feed("data: x\n\n", out));
  EXPECT_TRUE(out.empty());

  SseParser q(16);
  EXPECT_TRUE(q.feed("data: 12345678\ndata: 12345678\n", out));  // 17 bytes of data with the LF
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace hookgate::net
