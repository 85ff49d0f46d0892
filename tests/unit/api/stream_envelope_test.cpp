// The stream envelope: smee-client's shape, Hookgate's group, one data line whatever the bytes.
#include "api/stream_envelope.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "hookgate/crypto/encoding.hpp"

namespace hookgate::api {
namespace {

store::Event event(std::string body, std::string headers) {
  store::Event e;
  e.seq = 12;
  e.source = "github";
  e.event_type = "push";
  e.received_ms = 1'700'000'000'123;
  e.headers = std::move(headers);
  e.body = std::move(body);
  return e;
}

boost::json::object envelope_of(const store::Event& e) {
  return boost::json::parse(stream_envelope(e)).as_object();
}

TEST(StreamEnvelope, SmeeShapeWithHookgateFieldsUnderOneKey) {
  const auto e =
      event(R"({"a": [1, 2]})",
            R"({"X-GitHub-Event":"push","Host":"gw","Content-Length":"9",)"
            R"("Transfer-Encoding":"chunked","Connection":"x","Proxy-Authorization":"p",)"
            R"("Body":"shadow","X-Hookgate":"shadow"})");
  const auto env = envelope_of(e);
  EXPECT_EQ(env.at("x-github-event").as_string(), "push");
  for (const auto* gone : {"host", "content-length", "transfer-encoding", "connection",
                           "proxy-authorization", "X-GitHub-Event"}) {
    EXPECT_FALSE(env.contains(gone)) << gone;
  }
  EXPECT_EQ(env.at("body").as_object().at("a").as_array().size(), 2U);
  EXPECT_TRUE(env.at("query").as_object().empty());
  EXPECT_EQ(env.at("timestamp").as_int64(), 1'700'000'000'123);
  const auto& own = env.at(kEnvelopeGroup).as_object();
  EXPECT_EQ(own.at("seq").as_int64(), 12);
  EXPECT_EQ(own.at("source").as_string(), "github");
  EXPECT_EQ(own.at("event_type").as_string(), "push");
  EXPECT_EQ(own.at("verdict").as_string(), "accepted");
  EXPECT_EQ(crypto::base64_decode(std::string(own.at("body_base64").as_string())).value(), e.body);
  // Five keys: the one header kept plus body, query, timestamp and the group.
  EXPECT_EQ(env.size(), 5U);
}

TEST(StreamEnvelope, BodiesThatAreNotJsonAreTextOrNull) {
  EXPECT_EQ(envelope_of(event("a=1&b=2", "{}")).at("body").as_string(), "a=1&b=2");
  EXPECT_TRUE(envelope_of(event(std::string("\xff\xfe\x00", 3), "{}")).at("body").is_null());
  EXPECT_TRUE(envelope_of(event("\xed\xa0\x80", "{}")).at("body").is_null());  // a surrogate
  EXPECT_TRUE(envelope_of(event("\xc0\xaf", "{}")).at("body").is_null());      // overlong
  EXPECT_EQ(envelope_of(event("caf\xc3\xa9", "{}")).at("body").as_string(), "caf\xc3\xa9");
}

TEST(StreamEnvelope, OneIdLineAndOneDataLineWhateverTheBytes) {
  const auto text = sse_event(event("line\r\nbreak\n\n\r", R"({"X-A":"v\r\nid: 99"})"));
  EXPECT_TRUE(text.starts_with("id: 12\ndata: "));
  EXPECT_TRUE(text.ends_with("\n\n"));
  const auto data = text.substr(13, text.size() - 15);
  EXPECT_EQ(data.find_first_of("\r\n"), std::string::npos);
}

TEST(StreamEnvelope, ReadyNamesTheCursorAndTheRetry) {
  EXPECT_EQ(sse_ready("github", 5, 3000),
            "retry: 3000\nevent: ready\ndata: {\"source\":\"github\",\"after\":5}\n\n");
}

}  // namespace
}  // namespace hookgate::api
