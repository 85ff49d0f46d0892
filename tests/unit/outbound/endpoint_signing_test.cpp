// What an endpoint receives: Standard Webhooks headers that verify with every live key, the
// application id inside the signed id, extra headers, and sealed payloads when encryption is on.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/sealed_box.hpp"
#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/key.hpp"
#include "hookgate/schemes/secret.hpp"
#include "hookgate/schemes/verify.hpp"
#include "outbound/endpoint_targets.hpp"

namespace hookgate::outbound {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;

const schemes::Scheme& scheme() {
  static const auto catalogue = schemes::Catalogue::with_builtins();
  return *catalogue->find("standard-webhooks");
}

schemes::Verdict check(const SignedRequest& r, const std::string& secret,
                       std::chrono::system_clock::time_point now) {
  auto key = secret.starts_with("whpk_") ? schemes::Key::parse_public_key(scheme(), secret)
                                         : schemes::Key::parse_secret(scheme(), secret);
  EXPECT_TRUE(key) << key.error();
  schemes::VerifyOptions options;
  options.now = now;
  return schemes::verify(scheme(), {"POST", "", r.headers, r.body},
                         std::vector<schemes::Key>{key.value()}, options);
}

TEST(EndpointSigning, EveryLiveKeySignsWithTheMessageIdAsWebhookId) {
  Endpoint e;
  e.id = "ep_1";
  e.app_id = "app_a";
  e.headers = {{"X-Team", "payments"}};
  const std::string old_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string new_secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
  const std::string expired = "whsec_dGhpcy1pcy1hbi1leHBpcmVkLXNlY3JldCEh";
  e.keys = {{new_secret, "", 0}, {old_secret, "", kNow + 1000}, {expired, "", kNow - 1}};
  const auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(kNow));
  const std::string id = "msg_0ujsswThIGTUYm2K8FjOOfXtY1K";
  auto r = sign_for_endpoint(e, id, R"({"a":1})", "application/json", at, kNow);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->body, R"({"a":1})");
  EXPECT_EQ(r->headers.get("webhook-id"), id);
  EXPECT_EQ(r->headers.get("webhook-app-id"), "app_a");
  EXPECT_EQ(r->headers.get("X-Team"), "payments");
  const auto signature = std::string(*r->headers.get("webhook-signature"));
  EXPECT_EQ(std::count(signature.begin(), signature.end(), ','), 2);  // two v1 signatures
  EXPECT_TRUE(check(*r, new_secret, at).ok());
  EXPECT_TRUE(check(*r, old_secret, at).ok());
  EXPECT_FALSE(check(*r, expired, at).ok());
}

TEST(EndpointSigning, Ed25519AndSealedPayloads) {
  Endpoint e;
  e.app_id = "app_b";
  e.ed25519 = true;
  auto made = schemes::generate_secret(scheme(), "ed25519");
  ASSERT_TRUE(made) << made.error();
  const std::string priv = made->secret;
  const std::string pub = made->public_key;
  ASSERT_TRUE(priv.starts_with("whsk_") && pub.starts_with("whpk_"));
  e.keys = {{priv, pub, 0}};
  const auto receiver = crypto::x25519_keypair();
  e.encryption_key = crypto::base64_encode(receiver.public_key);
  const auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(kNow));
  auto r =
      sign_for_endpoint(e, "app_b/msg_1", R"({"secret":"data"})", "application/json", at, kNow);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->headers.get("webhook-encryption"), "x25519-sealedbox");
  EXPECT_EQ(r->headers.get("Content-Type"), "application/json");
  EXPECT_FALSE(r->headers.get("webhook-content-type"));  // in the signed envelope instead
  EXPECT_EQ(r->body.find("secret"), std::string::npos);
  EXPECT_TRUE(r->headers.get("webhook-signature")->starts_with("v1a,"));
  EXPECT_TRUE(check(*r, pub, at).ok());  // the envelope, as sent, is what is signed
  const auto envelope = boost::json::parse(r->body).as_object();
  EXPECT_EQ(envelope.at("type").as_string(), "hookgate.sealed");
  EXPECT_EQ(envelope.at("alg").as_string(), "x25519-sealedbox");
  EXPECT_EQ(envelope.at("contentType").as_string(), "application/json");
  const auto box = crypto::base64_decode(envelope.at("sealed").as_string());
  ASSERT_TRUE(box);
  auto opened = crypto::open_sealed(*box, receiver.public_key, receiver.secret_key);
  ASSERT_TRUE(opened) << opened.error();
  EXPECT_EQ(*opened, R"({"secret":"data"})");
}

// A claim's target parses the keys once and signs each of its deliveries with them: a key whose
// overlap ends between two of those deliveries stops signing at its expiry all the same.
TEST(EndpointSigning, KeysPreparedOnceStillStopSigningAtTheirExpiry) {
  Endpoint e;
  e.app_id = "app_a";
  const std::string old_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string new_secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
  e.keys = {{new_secret, "", 0}, {old_secret, "", kNow + 1000}};
  auto prepared = prepare_keys(e);
  ASSERT_TRUE(prepared) << prepared.error();
  ASSERT_EQ(prepared->keys.size(), 2U);
  const auto before = std::chrono::system_clock::time_point(std::chrono::milliseconds(kNow));
  auto first = sign_for_endpoint(e, *prepared, "msg_1", "{}", "application/json", before, kNow);
  ASSERT_TRUE(first) << first.error();
  EXPECT_TRUE(check(*first, old_secret, before).ok());
  EXPECT_TRUE(check(*first, new_secret, before).ok());
  const auto after = before + std::chrono::milliseconds(1000);
  auto second =
      sign_for_endpoint(e, *prepared, "msg_2", "{}", "application/json", after, kNow + 1000);
  ASSERT_TRUE(second) << second.error();
  const auto signature = std::string(*second->headers.get("webhook-signature"));
  EXPECT_EQ(std::count(signature.begin(), signature.end(), ','), 1);  // one v1 signature
  EXPECT_FALSE(check(*second, old_secret, after).ok());
  EXPECT_TRUE(check(*second, new_secret, after).ok());
  // The prepared keys themselves are untouched: the earlier time still gets both.
  EXPECT_EQ(prepared->keys.size(), 2U);
}

TEST(EndpointSigning, NoLiveKeyIsAnError) {
  Endpoint e;
  e.keys = {{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "", kNow - 1}};
  EXPECT_FALSE(sign_for_endpoint(e, "x/msg_1", "{}", "application/json",
                                 std::chrono::system_clock::now(), kNow));
}

}  // namespace
}  // namespace hookgate::outbound
