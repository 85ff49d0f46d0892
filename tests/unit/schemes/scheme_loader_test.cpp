// Scheme files: what loads, and the FILE:LINE: key messages for what does not.
#include <gtest/gtest.h>

#include "hookgate/schemes/scheme.hpp"

namespace hookgate::schemes {
namespace {

constexpr std::string_view kStripeLike = R"(name = "acme"
description = "Acme: t=..,v1=.. over {t}.{body}"
content = "{timestamp}.{body}"
[signature]
header = "Acme-Signature"
list = ","
versions = { v1 = "hmac-sha256", v2 = "hmac-sha512" }
[timestamp]
field = "t"
tolerance_past = 300
[key]
min_length = 8
)";

TEST(SchemeLoader, LoadsAListScheme) {
  auto s = load_scheme(kStripeLike, "acme.toml");
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->name, "acme");
  EXPECT_EQ(s->list_separator, ',');
  EXPECT_EQ(s->pair_separator, '=');
  ASSERT_EQ(s->versions.size(), 2u);
  EXPECT_EQ(s->timestamp.kind, Location::Kind::list_field);
  EXPECT_EQ(s->tolerance_past, std::chrono::seconds(300));
  EXPECT_FALSE(s->tolerance_future);
  EXPECT_EQ(s->secret.min_length, 8u);
  EXPECT_EQ(s->algorithms().size(), 2u);
}

struct BadCase {
  const char* text;
  const char* message;  // expected substring, file:line: key '...': ...
};

TEST(SchemeLoader, ErrorsNameFileLineAndKey) {
  const BadCase cases[] = {
      {"name = \"x\"\ncontent = \"{body}\"\n[signature]\nheader = \"X\"\nalgorithm = \"md5\"\n",
       "bad.toml:5: key 'signature.algorithm': unknown algorithm 'md5'"},
      {"name = \"x\"\ncontent = \"{body}\"\n[signature]\nheader = \"X\"\nalgorithm = "
       "\"hmac-sha256\"\nencodng = \"hex\"\n",
       "bad.toml:6: key 'signature.encodng': unknown key"},
      {"name = \"X Y\"\n", "bad.toml:1: key 'name': use 1-64 lowercase"},
      {"name = \"x\"\ncontent = \"{nope}\"\n", "bad.toml:2: key 'content': unknown placeholder"},
      {"name = \"x\"\ncontent = \"{timestamp}{body}\"\n[signature]\nheader = \"X\"\nalgorithm = "
       "\"hmac-sha256\"\n",
       "key 'content': uses {timestamp}"},
      {"name = \"x\"\ncontent = \"{body}\"\n[signature]\nheader = \"X\"\nalgorithm = "
       "\"sha256\"\n",
       "the sha256 algorithm needs {secret}"},
      {"name = \"x\"\ncontent = \"{body}\"\n[signature]\nheader = \"X\"\njson_field = \"s\"\n",
       "give exactly one of header, headers or json_field"},
      {"name = \"x\"\ncontent = \"{body}\"\n[signature]\nheader = \"X\"\nlist = \",\"\n",
       "a list header needs versions"},
      {"name = \"x\"\ncontent = \"{body}\"\n[signature]\nheader = \"X\"\nalgorithm = "
       "\"hmac-sha256\"\n[timestamp]\nheader = \"T\"\ntolerance = -5\n",
       "bad.toml:8: key 'timestamp.tolerance': must be between"},
      {"name = \"x\"\ncontent = \"{body}\"\n[signature]\nheader = \"X\"\nalgorithm = "
       "\"token\"\n",
       "the token algorithm needs encoding = \"text\""},
      {"name = \"x\"\ncontent = = \"{body}\"\n", "bad.toml:2:"},
      {"content = \"{body}\"\n", "key 'name': required"},
  };
  for (const auto& c : cases) {
    auto s = load_scheme(c.text, "bad.toml");
    ASSERT_FALSE(s) << c.text;
    EXPECT_NE(s.error().find(c.message), std::string::npos)
        << "got: " << s.error() << "\nwant: " << c.message;
  }
}

}  // namespace
}  // namespace hookgate::schemes
