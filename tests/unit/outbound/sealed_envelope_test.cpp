// The sealed-payload envelope: exact shape and member order (the signed bytes), ASCII only (so
// verifiers that decode the body as UTF-8 text check the bytes that were signed), a box only the
// endpoint's key opens, a fresh box per call, and refused keys.
#include "outbound/sealed_envelope.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/sealed_box.hpp"

namespace hookgate::outbound {
namespace {

namespace json = boost::json;

TEST(SealedEnvelope, DocumentedShapeInOrderWithABoxOnlyTheEndpointKeyOpens) {
  const auto receiver = crypto::x25519_keypair();
  // Binary and non-ASCII payload bytes: the case the official verifiers could not check before.
  const std::string payload = std::string("{\"t\":\"Gr\xc3\xbc\xc3\x9f\"}\xff\x00\x80", 16);
  auto envelope =
      sealed_envelope(payload, "application/json", crypto::base64_encode(receiver.public_key));
  ASSERT_TRUE(envelope) << envelope.error();
  EXPECT_TRUE(std::all_of(envelope->begin(), envelope->end(), [](char c) {
    return c >= 0x20 && c < 0x7f;
  })) << "the envelope is printable ASCII";
  EXPECT_TRUE(envelope->starts_with(
      R"({"type":"hookgate.sealed","alg":"x25519-sealedbox","contentType":"application/json","sealed":")"))
      << *envelope;
  EXPECT_TRUE(envelope->ends_with("\"}"));

  const auto parsed = json::parse(*envelope).as_object();
  EXPECT_EQ(parsed.size(), 4U);
  const auto box = crypto::base64_decode(parsed.at("sealed").as_string());
  ASSERT_TRUE(box);
  auto opened = crypto::open_sealed(*box, receiver.public_key, receiver.secret_key);
  ASSERT_TRUE(opened) << opened.error();
  EXPECT_EQ(*opened, payload);
  const auto other = crypto::x25519_keypair();
  EXPECT_FALSE(crypto::open_sealed(*box, other.public_key, other.secret_key));
}

TEST(SealedEnvelope, TheContentTypeIsEscapedAndEachCallSealsAfresh) {
  const auto receiver = crypto::x25519_keypair();
  const auto key = crypto::base64_encode(receiver.public_key);
  auto a = sealed_envelope("{}", "text/plain; x=\"a\\b\"", key);
  auto b = sealed_envelope("{}", "text/plain; x=\"a\\b\"", key);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);  // a fresh ephemeral key per box
  EXPECT_EQ(json::parse(*a).as_object().at("contentType").as_string(), "text/plain; x=\"a\\b\"");
}

TEST(SealedEnvelope, KeysThatAreNotA32ByteBase64KeyAreRefused) {
  EXPECT_FALSE(sealed_envelope("{}", "application/json", "not base64!"));
  EXPECT_FALSE(sealed_envelope("{}", "application/json", "AAAA"));
  EXPECT_FALSE(sealed_envelope("{}", "application/json", ""));
}

}  // namespace
}  // namespace hookgate::outbound
