// URL variants, query parameters, reserved-escape decoding, sorted forms, JSON fields.
#include "schemes/request_parts.hpp"

#include <gtest/gtest.h>

namespace hookgate::schemes {
namespace {

TEST(RequestParts, PortVariants) {
  EXPECT_EQ(url_port_variants("https://a.com/p?x=1"),
            (std::vector<std::string>{"https://a.com/p?x=1", "https://a.com:443/p?x=1"}));
  EXPECT_EQ(url_port_variants("http://a.com:80/p"),
            (std::vector<std::string>{"http://a.com:80/p", "http://a.com/p"}));
  EXPECT_EQ(url_port_variants("http://a.com:1234/p"),
            (std::vector<std::string>{"http://a.com:1234/p", "http://a.com/p"}));
  EXPECT_EQ(url_port_variants("not a url"), (std::vector<std::string>{"not a url"}));
}

TEST(RequestParts, QueryParam) {
  EXPECT_EQ(url_query_param("https://a.com/p?foo=1&bodySHA256=ab%43", "bodySHA256"), "abC");
  EXPECT_EQ(url_query_param("https://a.com/p?foo=1", "bar"), std::nullopt);
}

TEST(RequestParts, DecodesOnlyReservedEscapes) {
  EXPECT_EQ(decode_reserved_escapes("https://x.com/a%3Fb%2Fc%20d%3a"), "https://x.com/a?b/c%20d:");
}

TEST(RequestParts, SortedFormConcatenation) {
  // Twilio: sorted by name; repeated names contribute each distinct value, sorted.
  EXPECT_EQ(sorted_form_concatenation("To=%2B1&From=a+b&Digits=5678&Digits=1234&Digits=1234"),
            "Digits1234Digits5678Froma bTo+1");
  EXPECT_EQ(sorted_form_concatenation(""), "");
  EXPECT_EQ(sorted_form_concatenation("a=%zz&&b"), "a%zzb");
}

TEST(RequestParts, JsonFields) {
  const JsonBody json(R"({"signature":{"timestamp":"1529006854","n":1676056940508},"s":"x"})");
  ASSERT_TRUE(json.valid());
  EXPECT_EQ(json.field("signature.timestamp"), "1529006854");
  EXPECT_EQ(json.field("signature.n"), "1676056940508");
  EXPECT_EQ(json.field("signature"), std::nullopt);  // not a scalar
  EXPECT_EQ(json.field("missing.path"), std::nullopt);
  EXPECT_FALSE(JsonBody("[1,2]").valid());
  EXPECT_FALSE(JsonBody("not json").valid());
}

}  // namespace
}  // namespace hookgate::schemes
