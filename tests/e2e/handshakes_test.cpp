// Every provider handshake over the wire, against the real `hookgate serve`: each source answers
// its provider's URL-verification request as the provider documents it (providers.md), refuses a
// forged one, and accepts a signed event afterwards.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/key.hpp"
#include "hookgate/schemes/secret.hpp"
#include "hookgate/schemes/sign.hpp"
#include "server_process.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"

namespace hookgate::e2e {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

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

class Handshakes : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    auto catalogue = schemes::Catalogue::with_builtins();
    ASSERT_TRUE(catalogue) << catalogue.error();
    catalogue_ = std::move(catalogue.value());
    auto discord = schemes::generate_secret(*catalogue_.find("discord"));
    ASSERT_TRUE(discord) << discord.error();
    discord_ = discord.value();
    dir_ = fresh_test_dir("hookgate-handshakes");
    config_ = (dir_ / "hookgate.toml").string();
    std::ofstream(config_) << R"([server]
listen = "127.0.0.1:0"
[store]
url = ")" << store_.url() << R"("
[[source]]
name = "zoom"
scheme = "zoom"
secrets = ["zoom-secret"]
[[source]]
name = "msgraph"
scheme = "bearer"
secrets = ["graph-token"]
handshake = "msgraph"
[[source]]
name = "meta"
scheme = "meta"
secrets = ["meta-app-secret"]
verify_token = "meatyhamhock"
[[source]]
name = "dropbox"
scheme = "dropbox"
secrets = ["dropbox-app-secret"]
[[source]]
name = "x"
scheme = "x-twitter"
secrets = ["x-consumer-secret"]
pull_token = "x-pull-token"
[[source]]
name = "twitch"
scheme = "twitch"
secrets = ["twitch-secret-0123"]
[[source]]
name = "discord"
scheme = "discord"
public_keys = [")" << discord_.public_key
                           << R"("]
[[source]]
name = "okta"
scheme = "okta"
secrets = ["okta-shared-secret"]
)";
    server_ = std::make_unique<ServerProcess>(config_);
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The headers the provider's scheme puts on body, signed with secret.
  Headers sign(const std::string& scheme, const std::string& secret, const std::string& body,
               const std::string& id = "msg-1") {
    const auto* s = catalogue_.find(scheme);
    EXPECT_NE(s, nullptr) << scheme;
    auto key = scheme == "discord" ? schemes::Key::parse_private_key(*s, secret)
                                   : schemes::Key::parse_secret(*s, secret);
    EXPECT_TRUE(key) << key.error();
    schemes::SignInput input;
    input.body = body;
    input.id = id;
    auto headers = schemes::sign(*s, input, std::vector<schemes::Key>{key.value()});
    EXPECT_TRUE(headers) << headers.error();
    Headers out;
    for (const auto& [k, v] : headers->items())
      out.emplace_back(k, v);
    return out;
  }

  HttpResult send(const std::string& method, const std::string& target, const Headers& headers,
                  const std::string& body = "") {
    return http_request(server_->port(), method, target, headers, body);
  }

  // Events stored for source x, via the pull API.
  std::size_t stored_x_events() {
    const auto r = send("GET", "/pull/x?limit=100", {{"Authorization", "Bearer x-pull-token"}});
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return 0;
    return boost::json::parse(r.body).at("events").as_array().size();
  }

  TestStore store_;
  schemes::Catalogue catalogue_;
  schemes::GeneratedSecret discord_;
  std::filesystem::path dir_;
  std::string config_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(Handshakes, ZoomUrlValidation) {
  const std::string body =
      R"({"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"})";
  const auto r = send("POST", "/in/zoom", sign("zoom", "zoom-secret", body), body);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto answer = boost::json::parse(r.body);
  EXPECT_EQ(answer.at("plainToken").as_string(), "qgg8vlvZRS6UYooatFL8Aw");
  EXPECT_EQ(answer.at("encryptedToken").as_string(),
            crypto::hex_encode(crypto::hmac(crypto::DigestAlgorithm::sha256, "zoom-secret",
                                            "qgg8vlvZRS6UYooatFL8Aw")));
  EXPECT_EQ(send("POST", "/in/zoom", sign("zoom", "not-the-secret", body), body).status, 401);
  const std::string event = R"({"event":"meeting.started","payload":{}})";
  EXPECT_EQ(send("POST", "/in/zoom", sign("zoom", "zoom-secret", event), event).status, 200);
}

TEST_F(Handshakes, MicrosoftGraphValidationToken) {
  const auto r = send("POST", "/in/msgraph?validationToken=Validation%3A%20Testing%20client", {});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "Validation: Testing client");
  EXPECT_EQ(r.headers.at("content-type").rfind("text/plain", 0), 0U);
  const std::string event = R"({"value":[{"clientState":"x"}]})";
  EXPECT_EQ(send("POST", "/in/msgraph", {{"Authorization", "Bearer graph-token"}}, event).status,
            200);
  EXPECT_EQ(send("POST", "/in/msgraph", {{"Authorization", "Bearer guess"}}, event).status, 401);
}

TEST_F(Handshakes, MetaVerifyTokenAndChallenge) {
  const auto ok = send(
      "GET", "/in/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock",
      {});
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "1158201444");
  EXPECT_EQ(
      send("GET", "/in/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=guess", {}).status,
      403);
  const std::string event = R"({"object":"page","entry":[]})";
  EXPECT_EQ(send("POST", "/in/meta", sign("meta", "meta-app-secret", event), event).status, 200);
}

TEST_F(Handshakes, DropboxChallenge) {
  const auto r = send("GET", "/in/dropbox?challenge=abc123XYZ", {});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "abc123XYZ");
  EXPECT_EQ(r.headers.at("x-content-type-options"), "nosniff");
  const std::string event = R"({"list_folder":{"accounts":["dbid:1"]}})";
  EXPECT_EQ(send("POST", "/in/dropbox", sign("dropbox", "dropbox-app-secret", event), event).status,
            200);
}

TEST_F(Handshakes, XCrcResponseToken) {
  const auto r = send("GET", "/in/x?crc_token=9b4507b3-9040-4669-9ca3-6b94edb50553", {});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(boost::json::parse(r.body).at("response_token").as_string(),
            "sha256=" + crypto::base64_encode(
                            crypto::hmac(crypto::DigestAlgorithm::sha256, "x-consumer-secret",
                                         "9b4507b3-9040-4669-9ca3-6b94edb50553")));
}

// Issue 10 item 2, end to end: an unauthenticated CRC used to return HMAC(consumer secret, token)
// for any token, which is exactly x-twitter-webhooks-signature for a POST whose body is the token.
TEST_F(Handshakes, XCrcIsNotASigningOracle) {
  const std::string forged =
      R"({"for_user_id":"2244994945","tweet_create_events":[{"text":"forged"}]})";
  const auto crc = send("GET", "/in/x?crc_token=" + query_encode(forged), {});
  EXPECT_EQ(crc.status, 400) << crc.body;
  EXPECT_EQ(crc.body.find("response_token"), std::string::npos) << crc.body;
  // Whatever came back is tried as the event's signature, as the attacker would.
  std::string signature = "sha256=" + crypto::base64_encode(std::string(32, '\0'));
  boost::system::error_code ec;
  const auto answer = boost::json::parse(crc.body, ec);
  if (!ec && answer.is_object() && answer.as_object().contains("response_token")) {
    signature = std::string(answer.at("response_token").as_string());
  }
  const auto post = send("POST", "/in/x", {{"x-twitter-webhooks-signature", signature}}, forged);
  EXPECT_EQ(post.status, 401) << post.body;

  // A token in the documented format is answered, but the bytes it MACs are never an event:
  // X events are JSON objects, and a token never is one.
  const auto token = send("GET", "/in/x?crc_token=dGhpcy1pcy1hLWNyYy10b2tlbg", {});
  ASSERT_EQ(token.status, 200) << token.body;
  const std::string mac(boost::json::parse(token.body).at("response_token").as_string());
  const auto replayed =
      send("POST", "/in/x", {{"x-twitter-webhooks-signature", mac}}, "dGhpcy1pcy1hLWNyYy10b2tlbg");
  EXPECT_EQ(replayed.status, 400) << replayed.body;

  EXPECT_EQ(stored_x_events(), 0U);
  // The source still takes a genuinely signed event.
  const std::string event = R"({"for_user_id":"2244994945","tweet_create_events":[]})";
  EXPECT_EQ(send("POST", "/in/x", sign("x-twitter", "x-consumer-secret", event), event).status,
            200);
  EXPECT_EQ(stored_x_events(), 1U);
}

TEST_F(Handshakes, AttackerTokensAreRefusedOverTheWire) {
  const std::string json = query_encode(R"({"id":"evt_1"})");
  const std::string big(256, 'a');
  for (const auto& target :
       {"/in/x?crc_token=" + json, "/in/x?crc_token=" + big, std::string("/in/x?crc_token=a%20b"),
        "/in/dropbox?challenge=" + json, "/in/dropbox?challenge=" + big,
        "/in/meta?hub.mode=subscribe&hub.verify_token=meatyhamhock&hub.challenge=" + json}) {
    const auto r = send("GET", target, {});
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
  }
  const auto graph = send("POST", "/in/msgraph?validationToken=" + json, {});
  EXPECT_EQ(graph.status, 400) << graph.body;
  const auto okta = send("GET", "/in/okta", {{"X-Okta-Verification-Challenge", "{\"a\":1}"}});
  EXPECT_EQ(okta.status, 400) << okta.body;
  const std::string body =
      R"({"payload":{"plainToken":"{\"id\":1}"},"event_ts":1654503849680,"event":"endpoint.url_validation"})";
  const auto zoom = send("POST", "/in/zoom", sign("zoom", "zoom-secret", body), body);
  EXPECT_EQ(zoom.status, 400) << zoom.body;
}

TEST_F(Handshakes, TwitchCallbackVerification) {
  const std::string body =
      R"({"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"type":"channel.follow"}})";
  auto headers = sign("twitch", "twitch-secret-0123", body, "e76c6bd4-55c9-4987-8304-da1588d8988b");
  headers.emplace_back("Twitch-Eventsub-Message-Type", "webhook_callback_verification");
  const auto r = send("POST", "/in/twitch", headers, body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "pogchamp-kappa-360noscope-vohiyo");
  auto forged = sign("twitch", "another-secret-01", body, "e76c6bd4");
  forged.emplace_back("Twitch-Eventsub-Message-Type", "webhook_callback_verification");
  EXPECT_EQ(send("POST", "/in/twitch", forged, body).status, 401);
}

TEST_F(Handshakes, DiscordPing) {
  const std::string ping = R"({"type":1,"id":"1","application_id":"2"})";
  const auto r = send("POST", "/in/discord", sign("discord", discord_.secret, ping), ping);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"type":1})");
  const auto other = schemes::generate_secret(*catalogue_.find("discord"));
  ASSERT_TRUE(other);
  EXPECT_EQ(send("POST", "/in/discord", sign("discord", other->secret, ping), ping).status, 401);
}

TEST_F(Handshakes, OktaVerificationChallenge) {
  const auto r =
      send("GET", "/in/okta", {{"X-Okta-Verification-Challenge", "c2VjcmV0LWNoYWxsZW5nZQ"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(boost::json::parse(r.body).at("verification").as_string(), "c2VjcmV0LWNoYWxsZW5nZQ");
  const std::string event = R"({"eventType":"com.okta.event_hook","data":{}})";
  EXPECT_EQ(send("POST", "/in/okta", {{"Authorization", "okta-shared-secret"}}, event).status, 200);
}

}  // namespace
}  // namespace hookgate::e2e
