// Published test vectors of each provider (../shared/providers.md, recomputed there by
// vectors/verify_vectors.py), verified through the built-in catalogue exactly as a request would
// arrive: headers, URL, method and raw body. Expected values come from the providers' docs and
// SDK tests, never from this code.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/verify.hpp"

namespace hookgate::schemes {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const Catalogue& catalogue() {
  static const Catalogue c = Catalogue::with_builtins().value();
  return c;
}

const Scheme& scheme(std::string_view name) {
  const Scheme* s = catalogue().find(name);
  EXPECT_NE(s, nullptr) << name;
  return *s;
}

std::string data_file(const std::string& name) {
  std::ifstream in(std::string(HOOKGATE_TEST_DATA) + "/" + name, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Vector {
  std::string scheme{};
  std::vector<std::string> secrets{};  // or public keys when public_key is set
  HeaderList headers{};
  std::string body{};
  std::string url{};
  std::string method = "POST";
  std::int64_t now = 0;  // 0: any time (no timestamp in the scheme)
  bool public_key = false;
};

Verdict run(const Vector& v) {
  const Scheme& s = scheme(v.scheme);
  std::vector<Key> keys;
  for (const auto& text : v.secrets) {
    auto k = v.public_key ? Key::parse_public_key(s, text) : Key::parse_secret(s, text);
    EXPECT_TRUE(k) << v.scheme << ": " << k.error();
    if (k) keys.push_back(k.value());
  }
  VerifyOptions options;
  options.now = system_clock::time_point(seconds(v.now));
  return verify(s, RequestView{v.method, v.url, v.headers, v.body}, keys, options);
}

void expect_valid(const Vector& v) {
  const auto verdict = run(v);
  EXPECT_TRUE(verdict.ok()) << v.scheme << ": " << to_string(verdict.reason) << " — "
                            << verdict.detail;
  // The same request with one byte of the body changed must not verify.
  Vector tampered = v;
  tampered.body += " ";
  EXPECT_FALSE(run(tampered).ok()) << v.scheme << " accepted a tampered body";
}

TEST(ProviderVectors, Slack) {
  expect_valid({"slack",
                {"8f742231b10e8888abcd99yyyzzz85a5"},
                {{"X-Slack-Request-Timestamp", "1531420618"},
                 {"X-Slack-Signature",
                  "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"}},
                "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_"
                "id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%"
                "2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%"
                "2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015."
                "47445629121.803a0bc887a14d10d2c447fce8b6703c",
                "",
                "POST",
                1531420618});
}

TEST(ProviderVectors, GitHub) {
  expect_valid({"github",
                {"It's a Secret to Everybody"},
                {{"X-Hub-Signature-256",
                  "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}},
                "Hello, World!"});
}

TEST(ProviderVectors, StandardWebhooksJavascriptLibrary) {
  expect_valid({"standard-webhooks",
                {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                {{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                 {"webhook-timestamp", "1614265330"},
                 {"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}},
                R"({"test": 2432232314})",
                "",
                "POST",
                1614265330});
}

TEST(ProviderVectors, StandardWebhooksRustLibrary) {
  expect_valid({"standard-webhooks",
                {"whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"},
                {{"webhook-id", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk"},
                 {"webhook-timestamp", "1649367553"},
                 {"webhook-signature", "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="}},
                R"({"email":"test@example.com","username":"test_user"})",
                "",
                "POST",
                1649367553});
}

TEST(ProviderVectors, SvixLargePayloads) {
  const struct {
    std::size_t size;
    const char* signature;
  } cases[] = {
      {1 << 20, "v1,txpEUxqWZJ5nteTnymUVa+7C4NHpBeXJ6CsBAW0c3/A="},
      {256 << 10, "v1,Mw4Pe2WgApuT7NSqnSq0PQPV9gbLdggCl9B865x5Xh0="},
      {(256 << 10) - 1, "v1,NTItnqyWMoFhk2Bbe5V/BMdcFRWgcSQaTgqLHX7FC7c="},
  };
  for (const auto& c : cases) {
    expect_valid({"svix",
                  {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
                  {{"svix-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                   {"svix-timestamp", "1614265330"},
                   {"svix-signature", c.signature}},
                  std::string(c.size, 'a'),
                  "",
                  "POST",
                  1614265330});
  }
}

TEST(ProviderVectors, StandardWebhooksEd25519) {
  const HeaderList headers{{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                           {"webhook-timestamp", "1614265330"},
                           {"webhook-signature",
                            "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/"
                            "enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="}};
  // With the public key, and with the secret key (whsk_ carries the public half too).
  expect_valid({"standard-webhooks",
                {"whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="},
                headers,
                R"({"test": 2432232314})",
                "",
                "POST",
                1614265330,
                true});
  expect_valid({"standard-webhooks",
                {"whsk_6Xb/dCcHpPea21PS1N9VY/"
                 "NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=="},
                headers,
                R"({"test": 2432232314})",
                "",
                "POST",
                1614265330});
}

TEST(ProviderVectors, TwilioForm) {
  const std::string url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const std::string form =
      "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%"
      "2B18005551212";
  expect_valid(
      {"twilio", {"12345"}, {{"X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8="}}, form, url});
  // Repeated parameter names.
  expect_valid({"twilio",
                {"12345"},
                {{"X-Twilio-Signature", "IK+Dwps556ElfBT0I3Rgjkr1wJU="}},
                "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234",
                url});
  // Signed with an explicit port, received without it (and the other way round).
  expect_valid(
      {"twilio", {"12345"}, {{"X-Twilio-Signature", "kvajT1Ptam85bY51eRf/AJRuM3w="}}, form, url});
  expect_valid({"twilio",
                {"12345"},
                {{"X-Twilio-Signature", "0ZXoZLH/DfblKGATFgpif+LLRf4="}},
                form,
                "http://mycompany.com/myapp.php?foo=1&bar=2"});
  expect_valid({"twilio",
                {"12345"},
                {{"X-Twilio-Signature", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="}},
                form,
                "http://mycompany.com:1234/myapp.php?foo=1&bar=2"});
}

TEST(ProviderVectors, TwilioJsonBody) {
  const Vector v{"twilio",
                 {"12345"},
                 {{"X-Twilio-Signature", "a9nBmqA0ju/hNViExpshrM61xv4="}},
                 R"({"property": "value", "boolean": true})",
                 "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256="
                 "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"};
  EXPECT_TRUE(run(v).ok()) << run(v).detail;
  Vector tampered = v;
  tampered.body = R"({"property": "other", "boolean": true})";
  EXPECT_EQ(run(tampered).reason, Reason::body_hash_mismatch);
}

TEST(ProviderVectors, Paddle) {
  expect_valid(
      {"paddle",
       {"VALID_SECRET"},
       {{"Paddle-Signature",
         "ts=1698796800;h1=a300428748dce5c70e4da19bffd60769591ea969c99dea3105d0ec9612cf43f9"}},
       R"({"data": ["1", "2"]})",
       "",
       "POST",
       1698796800});
  expect_valid(
      {"paddle",
       {"VALID_SECRET"},
       {{"Paddle-Signature",
         "ts=1698796800;h1=28981e941fae76e53db32f3d2a83cb69db41476595e84e1970a1b5d98f62b261"}},
       R"({"data": "value"})",
       "",
       "POST",
       1698796800});
  expect_valid(
      {"paddle",
       {"pdl_ntfset_01hsdn8d43dt7mezr1ef2jtbaw_hKkRiCGyyRhbFwIUuqiTBgI7gnWoV0Gr"},
       {{"Paddle-Signature",
         "ts=1710929255;h1=6c05ef8fa83c44d751be6d259ec955ce5638e2c54095bf128e408e2fce1589c8"}},
       data_file("vectors/paddle_go_price_created.json"),
       "",
       "POST",
       1710929255});
}

TEST(ProviderVectors, Razorpay) {
  expect_valid({"razorpay",
                {"key_secret"},
                {{"X-Razorpay-Signature",
                  "d60e67fd884556c045e9be7dad57903e33efc7172c17c6e3ef77db42d2b366e9"}},
                data_file("vectors/razorpay_payment_authorized.json")});
}

TEST(ProviderVectors, Square) {
  expect_valid(
      {"square",
       {"Ibxx_5AKakO-3qeNVR61Dw"},
       {{"x-square-hmacsha256-signature", "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4="}},
       R"({"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}})",
       "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"});
  expect_valid({"square",
                {"signature-key"},
                {{"x-square-hmacsha256-signature", "W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA="}},
                R"({"data":{"type":"webhooks","id":"fake_id"}})",
                "https://webhook.site/webhooks"});
  expect_valid({"square",
                {"signature-key"},
                {{"x-square-hmacsha256-signature", "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U="}},
                R"({"data":{"type":"webhooks","id":">id<"}})",
                "https://webhook.site/webhooks"});
  // The SDK tests also refuse the right body under another notification URL.
  Vector wrong_url{
      "square",
      {"signature-key"},
      {{"x-square-hmacsha256-signature", "W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA="}},
      R"({"data":{"type":"webhooks","id":"fake_id"}})",
      "https://webhook.site/webhook"};
  EXPECT_EQ(run(wrong_url).reason, Reason::no_match);
}

TEST(ProviderVectors, HubSpot) {
  const std::string secret = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy";
  expect_valid(
      {"hubspot-v1",
       {secret},
       {{"X-HubSpot-Signature", "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"},
        {"X-HubSpot-Signature-Version", "v1"}},
       R"([{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}])"});
  EXPECT_TRUE(run({"hubspot-v2",
                   {secret},
                   {{"X-HubSpot-Signature",
                     "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"}},
                   "",
                   "https://www.example.com/webhook_uri",
                   "GET"})
                  .ok());
  const std::string body = "{'example_field':'example_value'}";
  expect_valid({"hubspot-v1",
                {secret},
                {{"X-HubSpot-Signature",
                  "69fc6631a867edd4f9e9e627fc5c1148e3fbdd8b21837b6d2b8901c1fa57f750"}},
                body});
  expect_valid({"hubspot-v2",
                {secret},
                {{"X-HubSpot-Signature",
                  "4fe4e3a7d3cf09db53be39d0a58130e2aaba074ec123a9e355b876a689a1c383"}},
                body,
                "https://www.example.com/webhook_uri"});
  // v3: the timestamp is in milliseconds (15000000 ms = 15000 s).
  expect_valid({"hubspot",
                {secret},
                {{"X-HubSpot-Signature-v3", "HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw="},
                 {"X-HubSpot-Request-Timestamp", "15000000"}},
                body,
                "https://www.example.com/webhook_uri",
                "POST",
                15000});
}

TEST(ProviderVectors, Box) {
  const std::string body =
      R"({"type":"webhook_event","webhook":{"id":"1234567890"},"trigger":"FILE.UPLOADED","source":{"id":"1234567890","type":"file","name":"Test.txt"}})";
  const HeaderList headers{
      {"BOX-DELIVERY-TIMESTAMP", "2020-01-01T00:00:00-07:00"},
      {"BOX-SIGNATURE-ALGORITHM", "HmacSHA256"},
      {"BOX-SIGNATURE-VERSION", "1"},
      {"BOX-SIGNATURE-PRIMARY", "6TfeAW3A1PASkgboxxA5yqHNKOwFyMWuEXny/FPD5hI="},
      {"BOX-SIGNATURE-SECONDARY", "v+1CD1Jdo3muIcbpv5lxxgPglOqMfsNHPV899xWYydo="}};
  const std::int64_t at = 1577862000;  // the delivery timestamp
  expect_valid({"box", {"SamplePrimaryKey"}, headers, body, "", "POST", at});
  expect_valid({"box", {"SampleSecondaryKey"}, headers, body, "", "POST", at});
  expect_valid({"box", {"WrongKey", "SampleSecondaryKey"}, headers, body, "", "POST", at});
  EXPECT_EQ(run({"box", {"SamplePrimaryKey"}, headers, body, "", "POST", at + 601}).reason,
            Reason::timestamp_too_old);
}

TEST(ProviderVectors, ZohoProjectsSample) {
  // The payload exactly as the Zoho page prints it (see ../shared/seeds/README.md).
  expect_valid(
      {"zoho-projects",
       {"thisisthesamplekeyfortestingpurposes"},
       {{"X-ZP-WEBHOOK-SIGNATURE", "drbSrM4H816RYKpZiRBLddUa0yHaTrwjtY04sIZFZus="}},
       R"({{"requests":{"request_name":"Test Name"},"notifications":{"operation_type":"RequestSigningSuccess"}})"});
}

TEST(ProviderVectors, DropboxThirdPartyVector) {
  expect_valid({"dropbox",
                {"the_secret"},
                {{"X-Dropbox-Signature",
                  "0a8c16b085420b960dc78664279fe09e936a2a01b1f91064869d9e77dfd64529"}},
                R"({"delta": {"users": [12345]}})"});
}

TEST(ProviderVectors, StripeDerivedExample) {
  expect_valid(
      {"stripe",
       {"whsec_test_secret"},
       {{"Stripe-Signature",
         "t=1700000000,v1=d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990"}},
       R"({"id":"evt_test_webhook","object":"event"})",
       "",
       "POST",
       1700000000});
}

TEST(ProviderVectors, SendGridEcdsa) {
  expect_valid(
      {"sendgrid",
       {"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/"
        "7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=="},
       {{"X-Twilio-Email-Event-Webhook-Signature",
         "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+"
         "luQAbPIqHh89M15TluLtEZtM="},
        {"X-Twilio-Email-Event-Webhook-Timestamp", "1600112502"}},
       "[{\"email\":\"hello@world.com\",\"event\":\"dropped\",\"reason\":\"Bounced "
       "Address\",\"sg_event_id\":\"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA\",\"sg_"
       "message_id\":\"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9."
       "0\","
       "\"smtp-id\":\"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>\",\"timestamp\":"
       "1600112492}]\r\n",
       "",
       "POST",
       1600112502,
       true});
}

// Mailgun publishes no vector; the signature is computed here with the HMAC primitive (itself
// checked against RFC 4231) over timestamp + token, as Mailgun's docs describe.
TEST(ProviderVectors, MailgunSignatureInTheBody) {
  const std::string key = "mailgun-signing-key";
  const std::string timestamp = "1700000000";
  const std::string token = "0123456789abcdef0123456789abcdef0123456789abcdef01";
  const auto signature =
      crypto::hex_encode(crypto::hmac(crypto::DigestAlgorithm::sha256, key, timestamp + token));
  const auto body = [&](const std::string& sig) {
    return R"({"signature":{"timestamp":")" + timestamp + R"(","token":")" + token +
           R"(","signature":")" + sig + R"("},"event-data":{"event":"delivered"}})";
  };
  const auto ok = run({"mailgun", {key}, {}, body(signature), "", "POST", 1700000100});
  EXPECT_TRUE(ok.ok()) << ok.detail;
  EXPECT_EQ(ok.id, token);
  EXPECT_EQ(run({"mailgun", {"other-key"}, {}, body(signature), "", "POST", 1700000100}).reason,
            Reason::no_match);
  EXPECT_EQ(run({"mailgun", {key}, {}, body(signature), "", "POST", 1700000000 + 3601}).reason,
            Reason::timestamp_too_old);
  EXPECT_EQ(run({"mailgun", {key}, {}, "not json", "", "POST", 1700000100}).reason,
            Reason::malformed_body);
  EXPECT_EQ(run({"mailgun", {key}, {}, R"({"event-data":{}})", "", "POST", 1700000100}).reason,
            Reason::missing_signature);
}

// AWS SNS: the four signed Notification fixtures of aws-php-sns-message-validator, checked against
// the sns.amazonaws.com certificate embedded in that suite.
TEST(ProviderVectors, AwsSnsFixtures) {
  struct Fixture {
    const char* id;
    const char* topic;
    const char* subject;
    const char* timestamp;
    const char* version;
    const char* signature;
  };
  const Fixture fixtures[] = {
      {"792cda85-518f-5dd3-9163-81d851212f3a",
       "arn:aws:sns:us-east-2:295079676684:publish-and-verify-892f85fe-4836-424d-8188-ab85bef0f362",
       nullptr, "2022-07-28T21:23:58.317Z", "1",
       "ghtf+deOBAzHJJZ6s6CdRLfTQAlcGzq9naoFM1wi0CJiq//"
       "uVRuZnamrkWNF0fhouMFvuLVRwcz8PZLUMSfnmd5VpdTKpTyiKmy1qJAZXma0w+yi7G+"
       "I33hD1Jyk1Nbym2n0kqp3fVu2aoooiN2ZeLAT2bH0/"
       "BtjLSfN1yAOKNoprco4qV9gGUZinXJdj9a1YdNhDR2jKi33ldlsVtEXAtiaDklGEk7DgRKX38GerBPiLg3FdtgY6KC7"
       "cdeGpU/dGK+4hjc83Ive1HoFkAwqhpgInM2sMytBosoiXfCmOKmU4xeGD0gHDNZTlJUJQDlzw8Eag0H9f/"
       "5zXF9d3uy0YQ=="},
      {"17dea24b-55c2-540b-8362-f916557af765",
       "arn:aws:sns:us-east-2:295079676684:publish-and-verify-62674b1d-4295-426b-88e7-5fb75652a04e",
       nullptr, "2022-07-28T21:24:08.324Z", "2",
       "CXVqp9PfZAL+4JHS3Zxo1PFbQsvnOjvmYhtIf17TWpwc+iIVas8kZ8GopuzVzVMdatE7rCl/"
       "O4P91Zp05Dwz8lk8dLhfp8gSu3Njlzxlyrmzo9x3va3Jb7zFnedgS2GKnZWHGBdwTXho+TosNUE+"
       "3e10OMSlwN5XGDwX7+R3WL+rn+AXmFAqp3alg27sYa55h1dLE9cGszGPjScPdtF3BmZsUDMx9wSdNKsCk+"
       "vSvE8yBjnCmUl7laSFj3LzPVrlSwgNYCF3kYnNAkah7NplK4SFhJYLwS0HCVCQJKa8rVbQLf9cBTu60U402mrgy0bN8"
       "xWoyimzbYbrOMJjalqkUg=="},
      {"11405cc3-9ac7-56d5-b45d-079e8f7a8edf",
       "arn:aws:sns:us-east-2:295079676684:publish-and-verify-6e11fed2-fcdf-4c52-9dc4-36ef43f37f84",
       "Hello world", "2022-07-28T22:53:49.654Z", "1",
       "AItkS26d8yvnIKJevdirIPW7eM/yKbZy3/CF2EreCHmXWB3etWaV5Fb7SYpGABMpugpDZzNyGY1wCVWaopDoQ+7Q/"
       "kI2TpDu8bw1eExbi8U3kduvc/2m2fIrI4gDEY8/"
       "v3nzoLcr8pPodqMzrX6SzQou4klfaqbNK+rFmH0LVf2Q1VyOROODoSXmo4jg2Yu12jfxccBl96Drr/"
       "ihq4MJ4OcrWh6UzXXlVYjJHx2Ui4anNwNEb+Z4C2CAF1DjQUbhDtaoajDBPY+"
       "4d9C1OwbqwQpXsd6tyVcI9nFyEsVK8lfnAV+/3GZQcdXHbIUYBRGcBa4X5TlWJku5nDH2ERtHHw=="},
      {"4504e649-d933-5aa9-8199-bd14ccf05f0b",
       "arn:aws:sns:us-east-2:295079676684:publish-and-verify-530b26da-0687-4fe4-9f71-780bad3181e2",
       "Hello world", "2022-07-28T22:53:55.086Z", "2",
       "cETcSvmmkt+My05qCLKexyl0+RyG83mSryKPqTfS+tYcxDJWVcjPJAr+qdpElzVaBl1aTGYVWMY64i9JqZ/"
       "JES8pylNj8LGvdhuNQKO59/WCoIimZAsNhn0xEgOeeDU+W/0BU4sdpCGMNjo0S/"
       "FuIiWaRe4E0YWRVrxeQevaQ70euDdfWgd5v1eCKQz8b367b9XBmMztL/CWUFI6YaKK/"
       "MV21eyvJe3Y7CtVYiOKEYiAZnAEkynK7gUGO5TsgDjGNYhj6U3xYsWgI03bmioSl7kdFSUj+"
       "AZ7ugas5fghqxgoDsdfqsjMYKRm5KKHQWsgzI619yIzpNKUiSMHxdZXpQ=="},
  };
  const std::string cert = data_file("sns/sns-cert.pem");
  for (const auto& f : fixtures) {
    std::string body = std::string(R"({"Type":"Notification","MessageId":")") + f.id +
                       R"(","TopicArn":")" + f.topic + "\",";
    if (f.subject != nullptr) body += std::string(R"("Subject":")") + f.subject + "\",";
    body +=
        std::string(R"("Message":"Hello world","Timestamp":")") + f.timestamp +
        R"(","SignatureVersion":")" + f.version + R"(","Signature":")" + f.signature +
        R"(","SigningCertURL":"https://sns.us-east-2.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"})";
    const Vector v{"aws-sns", {cert}, {}, body, "", "POST", 1659045000, true};
    const auto verdict = run(v);
    EXPECT_TRUE(verdict.ok()) << f.id << ": " << verdict.detail;
    EXPECT_EQ(verdict.id, f.id);
    // A changed message must not verify; a certificate URL off AWS is refused before any check.
    std::string tampered = body;
    tampered.replace(tampered.find("Hello world"), 5, "HELLO");
    EXPECT_EQ(run({"aws-sns", {cert}, {}, tampered, "", "POST", 1659045000, true}).reason,
              Reason::no_match);
    std::string evil = body;
    evil.replace(evil.find("sns.us-east-2.amazonaws.com"), 27, "sns.us-east-2.evil.example");
    EXPECT_EQ(run({"aws-sns", {cert}, {}, evil, "", "POST", 1659045000, true}).reason,
              Reason::certificate_refused);
  }
}

}  // namespace
}  // namespace hookgate::schemes

namespace hookgate::schemes {
namespace {

// HTTP Basic (RFC 7617 section 2: "Aladdin" / "open sesame").
TEST(ProviderVectors, BasicAuthRfc7617) {
  const std::string body = R"({"event":"x"})";
  EXPECT_TRUE(run({"basic",
                   {"Aladdin:open sesame"},
                   {{"Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="}},
                   body})
                  .ok());
  EXPECT_EQ(run({"basic",
                 {"Aladdin:open sesame"},
                 {{"Authorization", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZR=="}},
                 body})
                .reason,
            Reason::malformed_signature);  // non-canonical base64 is refused
  EXPECT_EQ(run({"basic", {"Aladdin:open sesame"}, {{"Authorization", "Basic QWxhZGRpbg=="}}, body})
                .reason,
            Reason::no_match);
  // Another authentication scheme in Authorization is not Basic credentials.
  EXPECT_EQ(run({"basic", {"Aladdin:open sesame"}, {{"Authorization", "Bearer x"}}, body}).reason,
            Reason::malformed_signature);
  EXPECT_EQ(run({"basic", {"Aladdin:open sesame"}, {}, body}).reason, Reason::missing_signature);
}

}  // namespace
}  // namespace hookgate::schemes
