// Untrusted text made safe for a terminal, and bodies described for people.
#include "hookgate/relay/terminal_text.hpp"

#include <gtest/gtest.h>

#include "hookgate/utf8.hpp"

namespace hookgate::relay {
namespace {

TEST(TerminalText, ControlsBidiOverridesAndInvalidBytesBecomeVisibleEscapes) {
  EXPECT_EQ(terminal_safe("plain ASCII, caf\xC3\xA9 \xE2\x98\x83"),
            "plain ASCII, caf\xC3\xA9 \xE2\x98\x83");
  EXPECT_EQ(terminal_safe("\x1b]52;c;AAAA\x07"), "\\e]52;c;AAAA\\x07");
  EXPECT_EQ(terminal_safe("a\r\nb\tc\x7f"), "a\\r\\nb\\tc\\x7f");
  EXPECT_EQ(terminal_safe("a\nb", true), "a\nb");
  EXPECT_EQ(terminal_safe("\xC2\x9B"
                          "2J"),
            "\\u{009B}2J");
  EXPECT_EQ(terminal_safe("\xE2\x80\xAE"
                          "exe"),
            "\\u{202E}exe");
  EXPECT_EQ(terminal_safe("\xff\xC0\x80"), "\\xff\\xc0\\x80");  // overlong NUL too
  EXPECT_EQ(terminal_safe("back\\slash"), "back\\\\slash");
  EXPECT_EQ(terminal_safe(std::string("nul\0", 4)), "nul\\x00");
}

TEST(TerminalText, JsonStaysJsonWhileUnsafeCodePointsAreEscaped) {
  EXPECT_EQ(json_terminal_safe(R"({"a":"x)"
                               "\xC2\x9B"
                               R"(y","b":"\u001b"})"),
            R"({"a":"x\u009By","b":"\u001b"})");
  EXPECT_EQ(json_terminal_safe("\"\xff\""), "\"\\ufffd\"");
}

TEST(TerminalText, BodiesArePrettyJsonTextOrAHexExcerptWithinTheLimit) {
  EXPECT_EQ(describe_body(R"({"a":[1,{"b":null}],"c":{}})", 1000),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"c\": {}\n}");
  EXPECT_EQ(describe_body("a=1&b=2", 1000), "a=1&b=2");
  EXPECT_EQ(describe_body("", 1000), "(empty body)");
  const auto bin = describe_body(std::string("\x00\x01\xff", 3), 1000);
  EXPECT_EQ(bin, "(binary, 3 bytes)\n00000000  00 01 ff");
  const auto cut = describe_body(std::string(100, 'x'), 10);
  EXPECT_EQ(cut, "xxxxxxxxxx\n… (90 more bytes)");
  // A cut never splits a UTF-8 sequence.
  const auto utf = describe_body("\xC3\xA9\xC3\xA9\xC3\xA9", 3);
  EXPECT_TRUE(valid_utf8(utf)) << utf;
}

}  // namespace
}  // namespace hookgate::relay
