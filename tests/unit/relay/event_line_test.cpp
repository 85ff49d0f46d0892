// The per-event line of `hookgate listen`: its fields, and network text that cannot inject
// terminal sequences (text) or break the one-object-per-line form (JSON).
#include "hookgate/relay/event_line.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace hookgate::relay {
namespace {

TEST(EventLine, TextAndJsonCarryTheFieldsAndEscapeNetworkText) {
  StreamEvent e;
  e.seq = 17;
  e.source = "github";
  e.event_type = "push\x1b]0;x\x07\xC2\x9B";
  e.verdict = "accepted";
  ForwardOutcome o;
  o.accepted = true;
  o.status = 200;
  o.attempts = 2;
  o.latency = std::chrono::milliseconds(12);
  const auto text = event_line_text(1764540000123, e, o);
  EXPECT_EQ(text,
            "2025-11-30T22:00:00.123Z  github  #17  push\\e]0;x\\x07\\u{009B}  accepted  -> 200  "
            "12 ms  (2 attempts)");
  const auto json = event_line_json(1764540000123, e, o);
  EXPECT_EQ(json.find('\x1b'), std::string::npos);
  EXPECT_EQ(json.find("\xC2\x9B"), std::string::npos);
  const auto parsed = boost::json::parse(json).as_object();
  EXPECT_EQ(parsed.at("event_type").as_string(), e.event_type);  // escaped, not altered
  EXPECT_EQ(parsed.at("result").as_string(), "delivered");
  EXPECT_EQ(parsed.at("seq").as_int64(), 17);
  EXPECT_EQ(parsed.at("attempts").as_int64(), 2);

  ForwardOutcome failed;
  failed.attempts = 1;
  failed.error = "connect: connection refused";
  EXPECT_NE(event_line_text(0, e, failed).find("-> connect: connection refused"),
            std::string::npos);
  EXPECT_EQ(boost::json::parse(event_line_json(0, e, failed)).at("result").as_string(), "failed");
  EXPECT_NE(event_line_text(0, e, ForwardOutcome{}).find("skipped (--events)"), std::string::npos);
  EXPECT_EQ(utc_time(0), "1970-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace hookgate::relay
