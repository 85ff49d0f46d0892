// Rebuilding events from the gateway's envelope and pull pages: exact bytes, headers a forwarder
// may pass on, refusals of what cannot be read.
#include "hookgate/relay/stream_event.hpp"

#include <gtest/gtest.h>

#include "api/stream_envelope.hpp"
#include "hookgate/crypto/encoding.hpp"

namespace hookgate::relay {
namespace {

TEST(StreamEvent, TheGatewaysEnvelopeGivesBackTheExactBytesAndTheKeptHeaders) {
  store::Event stored;
  stored.seq = 42;
  stored.source = "github";
  stored.event_type = "push";
  stored.received_ms = 1764540000123;
  stored.body = std::string("{ \"a\" : 1.0e0 }\n\xff\x00", 18);  // not JSON, not UTF-8
  stored.headers =
      R"({"X-GitHub-Event":"push","X-Hub-Signature-256":"sha256=ab","Host":"gw","Content-Length":"3"})";
  const auto e = decode_stream_event(api::stream_envelope(stored), 1 << 20);
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(e->seq, 42);
  EXPECT_EQ(e->source, "github");
  EXPECT_EQ(e->event_type, "push");
  EXPECT_EQ(e->verdict, "accepted");
  EXPECT_EQ(e->received_ms, 1764540000123);
  EXPECT_EQ(e->body, stored.body);
  EXPECT_EQ(e->headers.get("x-github-event"), "push");
  EXPECT_EQ(e->headers.get("x-hub-signature-256"), "sha256=ab");
  EXPECT_EQ(e->headers.count("host"), 0U);
  EXPECT_EQ(e->headers.count("content-length"), 0U);
  EXPECT_EQ(e->headers.count("body"), 0U);
  EXPECT_EQ(e->headers.count("x-hookgate"), 0U);
}

TEST(StreamEvent, HeadersAForwarderMustNotPassOnAreLeftOut) {
  const auto e = decode_stream_event(
      R"({"ok":"1","bad name":"x","crlf":"a\r\nInjected: 1","connection":"close","proxy-authorization":"p","te":"x","transfer-encoding":"chunked","n":5,
          "x-hookgate":{"seq":1,"body_base64":""}})",
      100);
  ASSERT_TRUE(e) << e.error();
  ASSERT_EQ(e->headers.items().size(), 1U);
  EXPECT_EQ(e->headers.items()[0].first, "ok");
}

TEST(StreamEvent, WhatCannotBeReadIsAnError) {
  EXPECT_FALSE(decode_stream_event("not json", 100));
  EXPECT_FALSE(decode_stream_event(R"({"body":{}})", 100));
  EXPECT_FALSE(decode_stream_event(R"({"x-hookgate":{"body_base64":""}})", 100));
  EXPECT_FALSE(decode_stream_event(R"({"x-hookgate":{"seq":1,"body_base64":"%%%"}})", 100));
  EXPECT_FALSE(decode_stream_event(R"({"x-hookgate":{"seq":1}})", 100));
  const auto big = crypto::base64_encode(std::string(101, 'a'));
  const auto too_big =
      decode_stream_event(R"({"x-hookgate":{"seq":1,"body_base64":")" + big + R"("}})", 100);
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().find("exceeds 100"), std::string::npos);
}

TEST(StreamEvent, APullPageGivesItsEvents) {
  const auto page = decode_pull_page(
      R"({"events":[{"seq":3,"event_type":"push","received_ms":9,"headers":{"X-A":"b","Host":"h"},"body_base64":"aGk="}],"next":3})",
      "github", 100);
  ASSERT_TRUE(page) << page.error();
  ASSERT_EQ(page->size(), 1U);
  EXPECT_EQ((*page)[0].seq, 3);
  EXPECT_EQ((*page)[0].source, "github");
  EXPECT_EQ((*page)[0].body, "hi");
  EXPECT_EQ((*page)[0].headers.get("X-A"), "b");
  EXPECT_EQ((*page)[0].headers.count("Host"), 0U);
  EXPECT_FALSE(decode_pull_page(R"({"next":1})", "github", 100));
}

}  // namespace
}  // namespace hookgate::relay
