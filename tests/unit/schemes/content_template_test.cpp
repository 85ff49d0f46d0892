// Content template parsing.
#include "schemes/content_template.hpp"

#include <gtest/gtest.h>

namespace hookgate::schemes {
namespace {

TEST(ContentTemplate, SplitsLiteralsAndPlaceholders) {
  auto segments = parse_content_template("v0:{timestamp}:{body}");
  ASSERT_TRUE(segments) << segments.error();
  ASSERT_EQ(segments->size(), 4u);
  EXPECT_EQ((*segments)[0].kind, Segment::Kind::literal);
  EXPECT_EQ((*segments)[0].text, "v0:");
  EXPECT_EQ((*segments)[1].kind, Segment::Kind::timestamp);
  EXPECT_EQ((*segments)[2].text, ":");
  EXPECT_EQ((*segments)[3].kind, Segment::Kind::body);
}

TEST(ContentTemplate, HeaderAndJsonPlaceholdersCarryTheirName) {
  auto segments = parse_content_template("{header:X-Id}{json:a.b}");
  ASSERT_TRUE(segments);
  EXPECT_EQ((*segments)[0].kind, Segment::Kind::header);
  EXPECT_EQ((*segments)[0].text, "X-Id");
  EXPECT_EQ((*segments)[1].kind, Segment::Kind::json);
  EXPECT_EQ((*segments)[1].text, "a.b");
}

TEST(ContentTemplate, DoubledBracesAreLiteral) {
  auto segments = parse_content_template("{{{body}}}");
  ASSERT_TRUE(segments);
  ASSERT_EQ(segments->size(), 3u);
  EXPECT_EQ((*segments)[0].text, "{");
  EXPECT_EQ((*segments)[2].text, "}");
}

TEST(ContentTemplate, RejectsMistakes) {
  for (const char* bad : {"", "{body", "body}", "{nope}", "{header:}", "{json:}"}) {
    EXPECT_FALSE(parse_content_template(bad)) << bad;
  }
  EXPECT_NE(parse_content_template("{nope}").error().find("unknown placeholder {nope}"),
            std::string::npos);
}

}  // namespace
}  // namespace hookgate::schemes
