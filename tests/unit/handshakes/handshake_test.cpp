// Handshake answers for each provider pattern (providers.md §1), and refusals.
#include "hookgate/handshakes/handshake.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <functional>

#include "hookgate/schemes/catalogue.hpp"

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

constexpr std::string_view kAsanaSecret =
    "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81";  // providers.md §2.1

TEST(Handshake, AsanaEchoesTheSecretHeader) {
  const auto o =
      run(Kind::asana, "POST", "/in/asana", {{"X-Hook-Secret", std::string(kAsanaSecret)}}, "");
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_EQ(o.response.status, 200);
  EXPECT_EQ(o.response.headers.get("X-Hook-Secret"), kAsanaSecret);
  EXPECT_EQ(o.offered_secret, kAsanaSecret);
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
  const auto o = run(Kind::okta, "GET", "/",
                     {{"X-Okta-Verification-Challenge", "VlYdM8HUq3IENc-0rYXtWfQkEE1W_wc6"}}, "");
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_EQ(o.response.body, R"({"verification":"VlYdM8HUq3IENc-0rYXtWfQkEE1W_wc6"})");
}

TEST(Handshake, SnsSubscriptionConfirmationAsksToVisitAfterVerifying) {
  const auto o = run(
      Kind::aws_sns, "POST", "/", {{"x-amz-sns-message-type", "SubscriptionConfirmation"}},
      R"({"Type":"SubscriptionConfirmation","TopicArn":"arn:aws:sns:us-east-2:123456789012:t","Token":"x","SubscribeURL":"https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-2:123456789012:t&Token=x"})");
  ASSERT_EQ(o.action, Action::respond) << o.reason;
  EXPECT_TRUE(o.verify_first);
  EXPECT_EQ(o.visit_url,
            "https://sns.us-east-2.amazonaws.com/"
            "?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-2:123456789012:t&Token=x");
}

TEST(Handshake, OversizedChallengesAreRefused) {
  const std::string big(kMaxTokenBytes + 1, 'a');
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

// Percent-encodes everything but letters and digits, so the query carries the token unchanged.
std::string query_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : value) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string json_string(std::string_view value) {
  return boost::json::serialize(boost::json::string(value));
}

// One handshake, driven with a token of the test's choosing.
struct TokenCase {
  Kind kind;
  std::string documented;  // a token as the provider documents it (providers.md)
  std::function<Outcome(const std::string&)> ask;
};

constexpr std::string_view kSecret = "handshake-test-secret";

std::vector<TokenCase> token_cases() {
  return {
      {Kind::slack, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
       [](const std::string& t) {
         return run(
             Kind::slack, "POST", "/", {},
             R"({"type":"url_verification","token":"x","challenge":)" + json_string(t) + "}");
       }},
      {Kind::zoom, "qgg8vlvZRS6UYooatFL8Aw",
       [](const std::string& t) {
         return run(Kind::zoom, "POST", "/", {},
                    R"({"event":"endpoint.url_validation","payload":{"plainToken":)" +
                        json_string(t) + "}}",
                    Context{kSecret, {}});
       }},
      {Kind::dropbox, "abc123XYZ",
       [](const std::string& t) {
         return run(Kind::dropbox, "GET", "https://h/in?challenge=" + query_encode(t), {}, "");
       }},
      {Kind::twitter_crc, "9b4507b3-9040-4669-9ca3-6b94edb50553",
       [](const std::string& t) {
         return run(Kind::twitter_crc, "GET", "https://h/in?crc_token=" + query_encode(t), {}, "",
                    Context{kSecret, {}});
       }},
      {Kind::twitch, "pogchamp-kappa-360noscope-vohiyo",
       [](const std::string& t) {
         return run(Kind::twitch, "POST", "/",
                    {{"Twitch-Eventsub-Message-Type", "webhook_callback_verification"}},
                    R"({"subscription":{},"challenge":)" + json_string(t) + "}");
       }},
      {Kind::okta, "VlYdM8HUq3IENc-0rYXtWfQkEE1W_wc6",
       [](const std::string& t) {
         return run(Kind::okta, "GET", "/", {{"X-Okta-Verification-Challenge", t}}, "");
       }},
      {Kind::asana, "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81",
       [](const std::string& t) {
         return run(Kind::asana, "POST", "/", {{"X-Hook-Secret", t}}, "");
       }},
      {Kind::hookgate, "Zr3kq0vWbT7uYc2LmN8pQx4sJd6hGf1aE5oK9iRz",
       [](const std::string& t) {
         return run(Kind::hookgate, "POST", "/", {},
                    R"({"type":"endpoint.verification","challenge":)" + json_string(t) + "}");
       }},
      {Kind::hookgate, "Zr3kq0vWbT7uYc2LmN8pQx4sJd6hGf1aE5oK9iRz",
       [](const std::string& t) {
         return run(Kind::hookgate, "POST", "/", {{"X-Hook-Secret", t}},
                    R"({"type":"endpoint.verification"})");
       }},
  };
}

// What an attacker sends instead of a token: an event body, other JSON, structure, separators
// that appear in signed content (':' '.' ' '), control bytes, non-ASCII, nothing, too much.
std::vector<std::string> attacker_tokens() {
  return {R"({"id":"evt_forged","type":"payment.succeeded"})",
          R"([{"eventId":1}])",
          R"("quoted")",
          "12345",
          "-1",
          "1e5",
          "true",
          "null",
          "v0:1700000000:{}",
          "1700000000.abc",
          "a b",
          "a\tb",
          "<script>alert(1)</script>",
          std::string("a\x01z", 3),
          "caf\xc3\xa9",
          "",
          std::string(kMaxTokenBytes + 1, 'a')};
}

TEST(Handshake, EveryTokenHandshakeAnswersItsDocumentedToken) {
  for (const auto& c : token_cases()) {
    const auto o = c.ask(c.documented);
    EXPECT_EQ(o.action, Action::respond) << to_string(c.kind) << ": " << o.reason;
  }
}

TEST(Handshake, EveryTokenHandshakeRefusesAttackerChosenTokensWith400) {
  for (const auto& c : token_cases()) {
    for (const auto& token : attacker_tokens()) {
      const auto o = c.ask(token);
      EXPECT_EQ(o.action, Action::refuse) << to_string(c.kind) << " answered: " << token;
      EXPECT_EQ(o.response.status, 400) << to_string(c.kind) << ": " << token;
      EXPECT_FALSE(o.reason.empty());
      EXPECT_TRUE(o.response.body.empty()) << to_string(c.kind) << " echoed: " << token;
    }
  }
}

TEST(Handshake, TokensUpToTheBoundAreAnswered) {
  const std::string longest(kMaxTokenBytes, 'A');
  for (const auto& c : token_cases()) {
    EXPECT_EQ(c.ask(longest).action, Action::respond) << to_string(c.kind);
  }
}

TEST(Handshake, AsanaSecretsShorterThan32AreRefused) {
  const auto o = run(Kind::asana, "POST", "/", {{"X-Hook-Secret", std::string(31, 'a')}}, "");
  EXPECT_EQ(o.action, Action::refuse);
  EXPECT_EQ(o.response.status, 400);
}

TEST(Handshake, MetaChallengeMustBeAnInteger) {
  const auto ask = [](const std::string& challenge) {
    return run(Kind::meta, "GET",
               "https://h/in?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=" +
                   query_encode(challenge),
               {}, "", Context{{}, "vt"});
  };
  EXPECT_EQ(ask("1158201444").action, Action::respond);
  for (const auto& bad : {std::string(R"({"object":"page"})"), std::string("abc"),
                          std::string("12 34"), std::string(21, '1'), std::string()}) {
    const auto o = ask(bad);
    EXPECT_EQ(o.action, Action::refuse) << bad;
    EXPECT_EQ(o.response.status, 400) << bad;
  }
  // A wrong verify token is an authorisation failure, not a format error.
  EXPECT_EQ(
      run(Kind::meta, "GET", "https://h/in?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1",
          {}, "", Context{{}, "vt"})
          .response.status,
      403);
}

TEST(Handshake, MicrosoftGraphTokenIsPrintableTextNeverStructure) {
  const auto ask = [](const std::string& token) {
    return run(Kind::msgraph, "POST", "https://h/in?validationToken=" + query_encode(token), {},
               "");
  };
  const std::string documented =
      "Validation: Testing client application reachability for subscription Request-Id: "
      "522a8e7e-096a-494c-aaf1-ac0dcfca45b7";
  const auto ok = ask(documented);
  ASSERT_EQ(ok.action, Action::respond) << ok.reason;
  EXPECT_EQ(ok.response.body, documented);
  for (const auto& bad :
       {std::string(R"({"challenge":"c-1"})"), std::string("[1]"), std::string("\"x\""),
        std::string("12345"), std::string("<html>"), std::string(" {\"a\":1}"), std::string("a\nb"),
        std::string("caf\xc3\xa9"), std::string(4 * kMaxTokenBytes + 1, 'a'), std::string()}) {
    const auto o = ask(bad);
    EXPECT_EQ(o.action, Action::refuse) << bad;
    EXPECT_EQ(o.response.status, 400) << bad;
  }
}

TEST(Handshake, SourcesWhoseHandshakeMacsTakeOnlyJsonObjectEvents) {
  for (const auto kind : {Kind::twitter_crc, Kind::zoom}) {
    // The bytes a CRC could have MACed: refused as an event before any signature is checked.
    for (const char* body : {"9b4507b3-9040-4669-9ca3-6b94edb50553", "12345", "[1]", "", "\"x\""}) {
      const auto o = run(kind, "POST", "/", {}, body, Context{"k", {}});
      EXPECT_EQ(o.action, Action::refuse) << to_string(kind) << ": " << body;
      EXPECT_EQ(o.response.status, 400);
    }
    EXPECT_EQ(run(kind, "POST", "/", {}, " {\"event\":\"x\"}", Context{"k", {}}).action,
              Action::not_handshake);
  }
}

TEST(Handshake, SnsSubscribeUrlMustConfirmThisMessagesTopic) {
  const auto ask = [](const std::string& url) {
    boost::json::object body{{"Type", "SubscriptionConfirmation"},
                             {"TopicArn", "arn:aws:sns:us-east-2:123456789012:t"},
                             {"Token", "2336412f37"},
                             {"SubscribeURL", url}};
    return run(Kind::aws_sns, "POST", "/", {{"x-amz-sns-message-type", "SubscriptionConfirmation"}},
               boost::json::serialize(body));
  };
  const std::string good =
      "https://sns.us-east-2.amazonaws.com/"
      "?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-"
      "2:123456789012:t&Token=2336412f37";
  EXPECT_EQ(ask(good).action, Action::respond);
  for (const auto& bad : {
           std::string(
               "http://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:"
               "aws:sns:us-east-2:123456789012:t&Token=2336412f37"),
           std::string(
               "https://sns.us-east-2.amazonaws.com/?Action=Publish&TopicArn=arn:aws:sns:us-"
               "east-2:123456789012:t&Token=2336412f37"),
           std::string(
               "https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:"
               "aws:sns:us-east-2:999999999999:other&Token=2336412f37"),
           std::string(
               "https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:"
               "aws:sns:us-east-2:123456789012:t&Token=other"),
           good + "&x=" + std::string(2048, 'a'),
           good + "& x",
       }) {
    const auto o = ask(bad);
    EXPECT_EQ(o.action, Action::refuse) << bad;
    EXPECT_EQ(o.response.status, 400) << bad;
  }
}

TEST(Handshake, DiscordAnswersAreConstantWhateverTheBodyHolds) {
  const auto o = run(Kind::discord_interactions, "POST", "/", {},
                     R"({"type":1,"id":"x","data":{"echo":"{\"id\":\"evt\"}"}})");
  ASSERT_EQ(o.action, Action::respond);
  EXPECT_EQ(o.response.body, R"({"type":1})");
}

TEST(HandshakeDomain, MacHandshakesPairOnlyWithSchemesWhoseContentNoTokenCanEqual) {
  auto catalogue = schemes::Catalogue::with_builtins();
  ASSERT_TRUE(catalogue) << catalogue.error();
  const auto conflict = [&](Kind kind, const char* scheme) {
    const auto* s = catalogue->find(scheme);
    EXPECT_NE(s, nullptr) << scheme;
    return s == nullptr ? std::optional<std::string>("missing") : signing_domain_conflict(kind, *s);
  };
  // The providers' own pairs: X signs the body (JSON objects only), Zoom "v0:{ts}:{body}".
  EXPECT_FALSE(conflict(Kind::twitter_crc, "x-twitter"));
  EXPECT_FALSE(conflict(Kind::zoom, "zoom"));
  EXPECT_FALSE(conflict(Kind::twitter_crc, "github"));  // body: JSON objects only
  EXPECT_FALSE(conflict(Kind::zoom, "stripe"));         // "{t}.{body}"
  // Mailgun signs "{timestamp}{token}" from the body: a CRC token could be exactly that.
  EXPECT_TRUE(conflict(Kind::twitter_crc, "mailgun"));
  EXPECT_TRUE(conflict(Kind::zoom, "mailgun"));
  // Not an HMAC under the secret at all.
  EXPECT_TRUE(conflict(Kind::twitter_crc, "aws-sns"));
  EXPECT_TRUE(conflict(Kind::zoom, "discord"));
  EXPECT_TRUE(conflict(Kind::twitter_crc, "bearer"));
  // Echo handshakes compute nothing: no conflict to have.
  EXPECT_FALSE(conflict(Kind::dropbox, "mailgun"));
}

}  // namespace
}  // namespace hookgate::handshakes
