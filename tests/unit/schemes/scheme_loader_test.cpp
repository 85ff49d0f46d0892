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

// The [id] table must say whether the signature covers the id, and the claim is checked against
// the content: an unsigned id called signed would let a resend through with a fresh id.
TEST(SchemeLoader, TheIdSaysWhetherItIsSignedAndTheClaimIsChecked) {
  constexpr std::string_view kHead =
      "name = \"x\"\ncontent = \"{body}\"\n[signature]\nheader = \"X\"\nalgorithm = "
      "\"hmac-sha256\"\n";
  const BadCase cases[] = {
      {"[id]\nheader = \"X-Delivery\"\n",
       "bad.toml:6: key 'id.signed': required: say whether the signature covers the id"},
      {"[id]\nheader = \"X-Delivery\"\nsigned = true\n",
       "bad.toml:8: key 'id.signed': the signature does not cover this id"},
      {"[id]\nsigned = true\n", "key 'id.signed': a signed id needs header, json or query"},
      {"[id]\njson = \"id\"\nsigned = false\n",
       "bad.toml:8: key 'id.signed': the content signs this id; say signed = true"},
      {"[id]\nsigned = \"yes\"\n", "key 'id.signed': expected true or false"},
      {"[id]\nsigned = false\ndedupe_window = 0\n", "key 'id.dedupe_window': must be between"},
      {"[id]\nsigned = false\nwindow = 5\n", "key 'id.window': unknown key"},
  };
  for (const auto& c : cases) {
    auto s = load_scheme(std::string(kHead) + c.text, "bad.toml");
    ASSERT_FALSE(s) << c.text;
    EXPECT_NE(s.error().find(c.message), std::string::npos)
        << "got: " << s.error() << "\nwant: " << c.message;
  }
  // A JSON id under a body signature is signed; a header the template signs is too; no id at all
  // is a declaration as well.
  auto json = load_scheme(std::string(kHead) + "[id]\njson = \"id\"\nsigned = true\n", "ok.toml");
  ASSERT_TRUE(json) << json.error();
  EXPECT_TRUE(json->id_signed);
  EXPECT_TRUE(json->id_declared);
  auto header = load_scheme(
      "name = \"x\"\ncontent = \"{header:X-Id}.{body}\"\n[signature]\nheader = \"X\"\n"
      "algorithm = \"hmac-sha256\"\n[id]\nheader = \"x-id\"\nsigned = true\n",
      "ok.toml");
  ASSERT_TRUE(header) << header.error();
  auto none =
      load_scheme(std::string(kHead) + "[id]\nsigned = false\ndedupe_window = 60\n", "ok.toml");
  ASSERT_TRUE(none) << none.error();
  EXPECT_FALSE(none->id.present());
  EXPECT_EQ(none->dedupe_window, std::chrono::seconds(60));
  // A token proves nothing about the request, not even about the body it came with.
  auto token = load_scheme(
      "name = \"x\"\ncontent = \"{body}\"\n[signature]\nheader = \"X\"\nalgorithm = "
      "\"token\"\nencoding = \"text\"\n[id]\njson = \"id\"\nsigned = true\n",
      "bad.toml");
  ASSERT_FALSE(token);
  EXPECT_NE(token.error().find("does not cover this id"), std::string::npos) << token.error();
}

}  // namespace
}  // namespace hookgate::schemes
