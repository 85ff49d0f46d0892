// Cutting a member's raw bytes out of a JSON object: exact bytes, escapes in keys, nesting, and
// refusal of malformed or over-deep input.
#include "api/json_member.hpp"

#include <gtest/gtest.h>

namespace hookgate::api {
namespace {

TEST(JsonMember, ReturnsTheValueExactlyAsSent) {
  const std::string body =
      R"({"event_type":"a.b", "payload" :  {"z":1.50, "a":[1,2,{"k":"\u00e9"}]} , "x":null})";
  EXPECT_EQ(json_member(body, "payload"), R"({"z":1.50, "a":[1,2,{"k":"\u00e9"}]})");
  EXPECT_EQ(json_member(body, "event_type"), R"("a.b")");
  EXPECT_EQ(json_member(body, "x"), "null");
  EXPECT_EQ(json_member(body, "missing"), std::nullopt);
  EXPECT_EQ(json_member(R"({"pay\u006coad":[]})", "payload"), "[]");
  EXPECT_EQ(json_member(R"({"payload":"first","payload":"second"})", "payload"), R"("first")");
  EXPECT_EQ(json_member(R"({"payload":-0.5e+3})", "payload"), "-0.5e+3");
}

TEST(JsonMember, RefusesMalformedInput) {
  for (const char* bad :
       {"", "[]", "{", R"({"payload":})", R"({"payload":1,})", R"({"payload":01})",
        R"({"payload":tru})", R"({"payload":"a)", R"({"payload":1} trailing)",
        "{\"payload\":\"\x01\"}", R"({"payload":"\x"})", R"({payload:1})"}) {
    EXPECT_EQ(json_member(bad, "payload"), std::nullopt) << bad;
  }
  std::string deep = R"({"payload":)";
  for (int i = 0; i < 100; ++i)
    deep += "[";
  for (int i = 0; i < 100; ++i)
    deep += "]";
  deep += "}";
  EXPECT_EQ(json_member(deep, "payload"), std::nullopt);
}

}  // namespace
}  // namespace hookgate::api
