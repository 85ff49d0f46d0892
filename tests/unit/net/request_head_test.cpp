// RequestHeadCheck on its own: the verdicts, statuses and body framing it derives from a head,
// and the same verdict whether the bytes arrive at once or one at a time.
#include "hookgate/net/request_head.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hookgate::net {
namespace {

using State = RequestHeadCheck::State;

// Scans text fed one byte more per call, as a trickling client would send it; checks the
// verdict is the one of a single call.
RequestHeadCheck scan_bytewise(const std::string& text, std::size_t limit = 1024) {
  RequestHeadCheck whole(limit);
  const auto expected = whole.scan(text);
  RequestHeadCheck check(limit);
  auto state = State::need_more;
  for (std::size_t n = 1; n <= text.size() && state == State::need_more; ++n) {
    state = check.scan(std::string_view(text).substr(0, n));
  }
  EXPECT_EQ(state, expected) << text;
  return check;
}

TEST(RequestHeadCheck, FramesTheBodyOfWellFormedHeads) {
  auto plain = scan_bytewise("GET /a?b=c HTTP/1.1\r\nHost: t\r\n\r\nrest");
  EXPECT_EQ(plain.scan("GET /a?b=c HTTP/1.1\r\nHost: t\r\n\r\nrest"), State::complete);
  EXPECT_EQ(plain.head_size(), 32u);
  EXPECT_EQ(plain.framing(), BodyFraming::none);
  EXPECT_EQ(plain.field_count(), 1u);

  auto length = scan_bytewise("POST / HTTP/1.1\r\nhost: t\r\nCONTENT-LENGTH:\t 0012 \r\n\r\n");
  EXPECT_EQ(length.framing(), BodyFraming::length);
  EXPECT_EQ(length.content_length(), 12u);
  EXPECT_EQ(length.field_count(), 2u);

  auto chunked = scan_bytewise("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: Chunked\r\n\r\n");
  EXPECT_EQ(chunked.framing(), BodyFraming::chunked);

  auto old = scan_bytewise("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.framing(), BodyFraming::none);
  EXPECT_TRUE(old.http10());

  // obs-text in a value is allowed (RFC 9110 5.5); so are empty values.
  EXPECT_EQ(
      scan_bytewise("GET / HTTP/1.1\r\nHost: t\r\nX-N: caf\xc3\xa9\r\nX-E:\r\n\r\n").framing(),
      BodyFraming::none);
}

TEST(RequestHeadCheck, RefusesWithTheRightStatus) {
  const struct {
    std::string head;
    int status;
  } cases[] = {
      {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "chunked\r\n\r\n",
       400},
      {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1234567890123456789\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: t\r\nX: a\r\n\tb\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: t\r\nX : a\r\n\r\n", 400},
      {"POST / HTTP/1.1\nHost: t\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: t\r\r\n\r\n", 400},
      {"POST /\x80 HTTP/1.1\r\nHost: t\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n\r\n", 400},
  };
  for (const auto& c : cases) {
    auto check = scan_bytewise(c.head);
    EXPECT_EQ(check.scan(c.head), State::refused) << c.head;
    EXPECT_EQ(check.status(), c.status) << c.head;
    EXPECT_FALSE(check.reason().empty());
  }
}

// RFC 9112 3.2: origin-form, absolute-form (http or https, a host, no userinfo), or "*" for
// OPTIONS; any other target is a 400.
TEST(RequestHeadCheck, TargetsAreInOriginAbsoluteOrAsteriskForm) {
  for (const std::string target :
       {"healthz", "in/x", "*", "t:443", "ftp://t/x", "http:/t/x", "http://", "http:///x",
        "http://?x", "http://u@t/x", "https://u:p@t/", "//t/x@"}) {
    const auto method = target == "t:443" ? "CONNECT" : "GET";
    const auto head = std::string(method) + " " + target + " HTTP/1.1\r\nHost: t\r\n\r\n";
    if (target == "//t/x@") {
      // An origin-form path that happens to hold "//" and "@" is a path.
      EXPECT_EQ(scan_bytewise(head).scan(head), State::complete) << head;
      continue;
    }
    auto check = scan_bytewise(head);
    EXPECT_EQ(check.scan(head), State::refused) << head;
    EXPECT_EQ(check.status(), 400) << head;
  }
  const std::string asterisk = "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n";
  EXPECT_EQ(scan_bytewise(asterisk).scan(asterisk), State::complete);
  for (const std::string target : {"http://t", "HTTP://t:8080/in/x?a=b", "https://t?q"}) {
    const auto head = "GET " + target + " HTTP/1.1\r\nHost: t\r\n\r\n";
    auto check = scan_bytewise(head);
    EXPECT_EQ(check.scan(head), State::complete) << head;
    EXPECT_TRUE(check.absolute_form()) << head;
  }
  EXPECT_FALSE(scan_bytewise("GET /http://t HTTP/1.1\r\nHost: t\r\n\r\n").absolute_form());
}

// A bare LF is refused as soon as it arrives, not when the head would have ended.
TEST(RequestHeadCheck, RefusesEarly) {
  RequestHeadCheck check(1024);
  EXPECT_EQ(check.scan("GET / HTTP/1.1\n"), State::refused);
  EXPECT_EQ(check.scan("GET / HTTP/1.1\nmore"), State::refused);  // stays refused
}

TEST(RequestHeadCheck, HeadsOverTheLimitAre431) {
  const std::string head = "GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(2000, 'a');
  RequestHeadCheck check(1024);
  EXPECT_EQ(check.scan(head), State::refused);
  EXPECT_EQ(check.status(), 431);
  // Many short lines count too.
  std::string lines = "GET / HTTP/1.1\r\nHost: t\r\n";
  while (lines.size() < 2000)
    lines += "X: y\r\n";
  RequestHeadCheck many(1024);
  EXPECT_EQ(many.scan(lines), State::refused);
  EXPECT_EQ(many.status(), 431);
  // Exactly at the limit is fine.
  std::string exact = "GET / HTTP/1.1\r\nHost: t\r\nX: ";
  exact += std::string(1024 - exact.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 1024u);
  RequestHeadCheck fits(1024);
  EXPECT_EQ(fits.scan(exact), State::complete);
}

}  // namespace
}  // namespace hookgate::net
