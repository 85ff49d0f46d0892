// Handshake answers for each provider pattern (providers.md §1), and refusals.
#include "hookgate/handshakes/handshake.hpp"

#include <gtest/gtest.h>

namespace hookgate::handshakes {
namespace {

using schemes::HeaderList;
using Action = Outcome::Action;

Outcome run(Kind kind, std::string_view method, std::string_view url, const HeaderList& headers,
            std::string_view body, Context context = {}) {
  return answer(kind, Request{method, url, headers, body}, context);
}

TEST(Handshake, KindNamesRoundTrip) {
  for (const char* name :
       {"asana", "slack", "zoom", "msgraph", "meta", "dropbox", "twitter-crc", "twitch",
        "discord-interactions", "discord-events", "okta", "aws-sns", "hookgate"}) {
    const auto kind = parse_kind(name);
    ASSERT_TRUE(kind) << name;
    EXPECT_EQ(to_string(*kind), name);
  }
  EXPECT_FALSE(parse_kind("nope"));
}

TEST(Handshake, AsanaEchoesTheSecretHeader) {
  const auto o = run(Kind::asana, "POST", "/in/asana", {{"X-Hook-Secret", "b537207f20cbfa02"}}, "");
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_EQ(o.response.status, 200);
  EXPECT_EQ(o.response.headers.get("X-Hook-Secret"), "b537207f20cbfa02");
  EXPECT_EQ(o.offered_secret, "b537207f20cbfa02");
  EXPECT_EQ(run(Kind::asana, "POST", "/", {}, "{}").action, Action::not_handshake);
}

TEST(Handshake, SlackUrlVerificationIsVerifiedThenEchoed) {
  const auto o = run(
      Kind::slack, "POST", "/", {},
      R"({"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"})");
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_TRUE(o.verify_first);
  EXPECT_EQ(o.response.body, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
  EXPECT_EQ(o.response.headers.get("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(run(Kind::slack, "POST", "/", {}, R"({"type":"event_callback"})").action,
            Action::not_handshake);
}

TEST(Handshake, ZoomAnswersWithHmacOfThePlainToken) {
  const auto o = run(
      Kind::zoom, "POST", "/", {},
      R"({"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"})",
      Context{"test-secret", {}});
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_TRUE(o.verify_first);
  // encryptedToken = hex HMAC-SHA256("test-secret", plainToken), recomputed in providers.md §2.3.
  EXPECT_EQ(
      o.response.body,
      R"({"plainToken":"qgg8vlvZRS6UYooatFL8Aw","encryptedToken":"82079ed66225fed153e0854735aa9702e1d67137a69c96a00957941f942b8de7"})");
  EXPECT_EQ(run(Kind::zoom, "POST", "/", {},
                R"({"payload":{"plainToken":"x"},"event":"endpoint.url_validation"})")
                .action,
            Action::refuse);  // no secret configured
}

TEST(Handshake, MicrosoftGraphEchoesTheDecodedValidationToken) {
  const auto o =
      run(Kind::msgraph, "POST", "https://h/in?validationToken=Validation%3A%20Testing", {}, "");
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_FALSE(o.verify_first);
  EXPECT_EQ(o.response.body, "Validation: Testing");
  EXPECT_EQ(o.response.headers.get("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(run(Kind::msgraph, "POST", "https://h/in?validationToken=a%0Ab", {}, "").action,
            Action::refuse);  // control characters are not reflected
}

TEST(Handshake, MetaChecksTheVerifyToken) {
  const std::string url =
      "https://h/in?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock";
  const auto o = run(Kind::meta, "GET", url, {}, "", Context{{}, "meatyhamhock"});
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_EQ(o.response.body, "1158201444");
  EXPECT_EQ(run(Kind::meta, "GET", url, {}, "", Context{{}, "other"}).action, Action::refuse);
  EXPECT_EQ(run(Kind::meta, "GET", url, {}, "", Context{}).action, Action::refuse);
  EXPECT_EQ(run(Kind::meta, "POST", url, {}, "").action, Action::not_handshake);
}

TEST(Handshake, DropboxEchoesChallengeAsPlainText) {
  const auto o = run(Kind::dropbox, "GET", "https://h/in?challenge=abc123", {}, "");
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_EQ(o.response.body, "abc123");
  EXPECT_EQ(o.response.headers.get("X-Content-Type-Options"), "nosniff");
}

TEST(Handshake, TwitterCrcAnswersWithBase64Hmac) {
  // Consumer secret from the X DevRel example gist; value recomputed in verify_vectors.py.
  const auto o =
      run(Kind::twitter_crc, "GET", "https://h/in?crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553",
          {}, "", Context{"z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu", {}});
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_EQ(o.response.headers.get("Content-Type"), "application/json");
  // Expected value computed independently with Python's hmac module.
  EXPECT_EQ(o.response.body,
            R"({"response_token":"sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="})");
}

TEST(Handshake, TwitchVerificationReturnsRawChallenge) {
  const auto o = run(Kind::twitch, "POST", "/",
                     {{"Twitch-Eventsub-Message-Type", "webhook_callback_verification"}},
                     R"({"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{}})");
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_TRUE(o.verify_first);
  EXPECT_EQ(o.response.body, "pogchamp-kappa-360noscope-vohiyo");
  EXPECT_EQ(run(Kind::twitch, "POST", "/", {{"Twitch-Eventsub-Message-Type", "notification"}}, "{}")
                .action,
            Action::not_handshake);
}

TEST(Handshake, DiscordPings) {
  const auto i = run(Kind::discord_interactions, "POST", "/", {}, R"({"type":1,"id":"x"})");
  ASSERT_EQ(i.action, Action::respond);
  EXPECT_TRUE(i.verify_first);
  EXPECT_EQ(i.response.body, R"({"type":1})");
  const auto e = run(Kind::discord_events, "POST", "/", {}, R"({"version":1,"type":0})");
  ASSERT_EQ(e.action, Action::respond);
  EXPECT_EQ(e.response.status, 204);
  EXPECT_TRUE(e.response.body.empty());
  EXPECT_EQ(run(Kind::discord_events, "POST", "/", {}, R"({"version":1,"type":1})").action,
            Action::not_handshake);
}

TEST(Handshake, OktaReturnsVerificationJson) {
  const auto o = run(Kind::okta, "GET", "/", {{"X-Okta-Verification-Challenge", "abc\"def"}}, "");
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_EQ(o.response.body, R"({"verification":"abc\"def"})");
}

TEST(Handshake, SnsSubscriptionConfirmationAsksToVisitAfterVerifying) {
  const auto o = run(
      Kind::aws_sns, "POST", "/", {{"x-amz-sns-message-type", "SubscriptionConfirmation"}},
      R"({"Type":"SubscriptionConfirmation","SubscribeURL":"https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&Token=x"})");
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_TRUE(o.verify_first);
  EXPECT_EQ(o.visit_url, "https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&Token=x");
}

TEST(Handshake, OversizedChallengesAreRefused) {
  const std::string big(kMaxChallengeBytes + 1, 'a');
  EXPECT_EQ(run(Kind::dropbox, "GET", "https://h/in?challenge=" + big, {}, "").action,
            Action::refuse);
  EXPECT_EQ(run(Kind::asana, "POST", "/", {{"X-Hook-Secret", big}}, "").action, Action::refuse);
}

TEST(Handshake, HookgateVerificationEchoesAndReturnsTheChallenge) {
  const auto echo = run(Kind::hookgate, "POST", "/", {{"X-Hook-Secret", "tok3n"}},
                        R"({"type":"endpoint.verification","endpoint_id":"ep_1"})");
  ASSERT_EQ(echo.action, Action::respond);
  EXPECT_TRUE(echo.verify_first);
  EXPECT_EQ(echo.response.headers.get("X-Hook-Secret"), "tok3n");
  const auto challenge =
      run(Kind::hookgate, "POST", "/", {}, R"({"type":"endpoint.verification","challenge":"c-1"})");
  ASSERT_EQ(challenge.action, Action::respond);
  EXPECT_EQ(challenge.response.body, R"({"challenge":"c-1"})");
  EXPECT_EQ(run(Kind::hookgate, "POST", "/", {}, R"({"type":"invoice.paid"})").action,
            Action::not_handshake);
}

}  // namespace
}  // namespace hookgate::handshakes
