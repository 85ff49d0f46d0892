// Encodings: RFC 4648 section 10 vectors and the strictness the decoders promise.
#include "hookgate/crypto/encoding.hpp"

#include <gtest/gtest.h>

namespace hookgate::crypto {
namespace {

TEST(Encoding, Rfc4648Base64) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
  EXPECT_EQ(base64_decode("Zg"), "f");  // padding optional
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), "\xfb\xff");
  EXPECT_EQ(base64url_decode("-_8="), "\xfb\xff");
}

TEST(Encoding, Base64IsStrict) {
  for (const char* bad : {"Zg=", "Zg===", "Z", "Zm9v YmFy", "Zm9v\nYmFy",
                          "Zh==", "Zm9=", "-_8=", "Zg==Zg==", "@@@@"}) {
    EXPECT_FALSE(base64_decode(bad)) << bad;
  }
  EXPECT_FALSE(base64url_decode("+/8"));
}

TEST(Encoding, Hex) {
  EXPECT_EQ(hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(hex_decode("0001ABff"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(hex_decode(""), "");
  for (const char* bad : {"0", "0g", "0 1", "zz", "+1"})
    EXPECT_FALSE(hex_decode(bad)) << bad;
}

}  // namespace
}  // namespace hookgate::crypto
