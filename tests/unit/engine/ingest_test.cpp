// The inbound path against a real SQLite store: accept, refuse, de-duplicate, route, allowlists,
// and handshakes including the armed Asana establishment window.
#include "hookgate/engine/ingest.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "hookgate/schemes/sign.hpp"

namespace hookgate::engine {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr std::int64_t kNow = 1700000000;

constexpr std::string_view kConfig = R"(
[server]
public_url = "https://hooks.example.com"
[[source]]
name = "github"
path = "/in/github"
scheme = "github"
secrets = ["gh-secret"]
event_type_from = "header:X-GitHub-Event"
keep_headers = ["X-GitHub-Event"]
[[source]]
name = "strict"
scheme = "github"
secrets = ["gh-secret"]
failure_status = 403
allow_ips = ["192.0.2.0/24"]
trusted_proxies = ["127.0.0.1/32"]
[[source]]
name = "slack"
scheme = "slack"
secrets = ["slack-secret"]
[[source]]
name = "meta"
scheme = "meta"
secrets = ["app-secret"]
verify_token = "meatyhamhock"
[[source]]
name = "asana"
scheme = "asana"
[[destination]]
name = "orders"
file = "orders.jsonl"
[[destination]]
name = "audit"
file = "audit.jsonl"
[[route]]
from = "github"
to = ["orders"]
event_types = ["push"]
[[route]]
from = "github"
to = ["audit", "orders"]
)";

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hookgate-ingest-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto c = config::parse_config(kConfig, (dir_ / "hookgate.toml").string());
    ASSERT_TRUE(c) << c.error();
    config_ = std::move(c.value());
    auto s = store::open_store("sqlite://" + (dir_ / "h.db").string());
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(s.value());
    auto i = Ingest::create(config_, *store_, [this] { return now_; });
    ASSERT_TRUE(i) << i.error();
    ingest_ = std::move(i.value());
  }
  void TearDown() override {
    ingest_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  InboundRequest github(const std::string& body, const std::string& delivery,
                        const std::string& secret = "gh-secret",
                        const std::string& path = "/in/github") {
    InboundRequest r;
    r.method = "POST";
    r.target = path;
    r.body = body;
    r.peer = net::IpAddress::parse("127.0.0.1");
    r.headers.add("X-GitHub-Event", "push");
    r.headers.add("X-GitHub-Delivery", delivery);
    r.headers.add("X-Hub-Signature-256",
                  "sha256=" + crypto::hex_encode(
                                  crypto::hmac(crypto::DigestAlgorithm::sha256, secret, body)));
    return r;
  }

  std::filesystem::path dir_;
  config::Config config_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Ingest> ingest_;
  system_clock::time_point now_ = system_clock::time_point(seconds(kNow));
};

TEST_F(IngestTest, AcceptsDurablyAndRoutes) {
  const std::string body("{\"action\":\"push\",\"bytes\":\"\xff\x00\"}", 30);
  const auto r = ingest_->handle(github(body, "d-1"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.verdict, "accepted");
  EXPECT_GT(r.seq, 0);
  const auto events = store_->events_after("github", 0, 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ(events->front().body, body);  // byte for byte
  EXPECT_EQ(events->front().event_type, "push");
  EXPECT_NE(events->front().headers.find("X-GitHub-Event"), std::string::npos);
  // Two routes, three names, two distinct destinations.
  EXPECT_EQ(store_->counts()->pending, 2);
}

TEST_F(IngestTest, RedeliveryIsAcknowledgedButStoredOnce) {
  ASSERT_EQ(ingest_->handle(github("{}", "d-7")).verdict, "accepted");
  const auto again = ingest_->handle(github("{}", "d-7"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.verdict, "duplicate");
  EXPECT_EQ(store_->counts()->events, 1);
  EXPECT_EQ(store_->counts()->pending, 2);
}

// X-GitHub-Delivery is not signed: a captured delivery resent with a fresh one is the same signed
// message, a duplicate for the source's dedupe window (dedupe_ttl by default), and only after it
// a new event (the documented trade-off of schemes with no signed id and no timestamp).
TEST_F(IngestTest, AFreshDeliveryIdDoesNotMakeAReplayNewInsideTheWindow) {
  const auto first = ingest_->handle(github(R"({"after":"1a2b"})", "d-1"));
  ASSERT_EQ(first.verdict, "accepted");
  const auto replay = ingest_->handle(github(R"({"after":"1a2b"})", "attacker-chosen"));
  EXPECT_EQ(replay.status, 200);
  EXPECT_EQ(replay.verdict, "duplicate");
  EXPECT_EQ(replay.seq, first.seq);
  now_ += seconds(7 * 24 * 3600 - 1);
  EXPECT_EQ(ingest_->handle(github(R"({"after":"1a2b"})", "d-2")).verdict, "duplicate");
  now_ += seconds(2);
  EXPECT_EQ(ingest_->handle(github(R"({"after":"1a2b"})", "d-3")).verdict, "accepted");
  EXPECT_EQ(store_->counts()->events, 2);
}

TEST_F(IngestTest, RefusesBadSignaturesWithTheReason) {
  const auto r = ingest_->handle(github("{}", "d-2", "wrong-secret"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.verdict, "no_match");
  EXPECT_EQ(r.body.find("gh-secret"), std::string::npos);
  auto missing = github("{}", "d-3");
  missing.headers = schemes::HeaderList{{"X-GitHub-Delivery", "d-3"}};
  EXPECT_EQ(ingest_->handle(missing).verdict, "missing_signature");
  EXPECT_EQ(store_->counts()->events, 0);
}

TEST_F(IngestTest, UnknownPathsAndMethods) {
  EXPECT_EQ(ingest_->handle(github("{}", "d", "gh-secret", "/in/nope")).status, 404);
  auto get = github("{}", "d");
  get.method = "GET";
  EXPECT_EQ(ingest_->handle(get).status, 405);
  EXPECT_FALSE(ingest_->has_source("/in/nope"));
  EXPECT_EQ(ingest_->body_limit("/in/github"), config_.limits.max_body_bytes);
}

TEST_F(IngestTest, AllowlistWithTrustedProxy) {
  auto direct = github("{}", "d-4", "gh-secret", "/in/strict");
  direct.peer = net::IpAddress::parse("198.51.100.7");
  EXPECT_EQ(ingest_->handle(direct).verdict, "ip_not_allowed");
  auto proxied = github("{}", "d-5", "gh-secret", "/in/strict");
  proxied.peer = net::IpAddress::parse("127.0.0.1");
  proxied.headers.add("X-Forwarded-For", "198.51.100.9, 192.0.2.10");
  EXPECT_EQ(ingest_->handle(proxied).verdict, "accepted");
  // A client cannot spoof its way in by prepending an allowed address.
  auto spoofed = github("{}", "d-6", "gh-secret", "/in/strict");
  spoofed.headers.add("X-Forwarded-For", "192.0.2.10, 198.51.100.9");
  EXPECT_EQ(ingest_->handle(spoofed).verdict, "ip_not_allowed");
  // The configured failure status applies to signature failures.
  auto bad = github("{}", "d-8", "nope", "/in/strict");
  bad.peer = net::IpAddress::parse("192.0.2.1");
  EXPECT_EQ(ingest_->handle(bad).status, 403);
}

TEST_F(IngestTest, SlackChallengeIsAnsweredOnlyWhenSigned) {
  const std::string body =
      R"({"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"})";
  InboundRequest r;
  r.method = "POST";
  r.target = "/in/slack";
  r.body = body;
  r.headers.add("X-Slack-Request-Timestamp", std::to_string(kNow));
  r.headers.add("X-Slack-Signature", "v0=" + crypto::hex_encode(crypto::hmac(
                                                 crypto::DigestAlgorithm::sha256, "slack-secret",
                                                 "v0:" + std::to_string(kNow) + ":" + body)));
  const auto ok = ingest_->handle(r);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.verdict, "handshake");
  EXPECT_EQ(ok.body, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
  r.headers.set("X-Slack-Signature", "v0=00");
  EXPECT_EQ(ingest_->handle(r).status, 401);
  EXPECT_EQ(store_->counts()->events, 0);  // a handshake is not an event
}

TEST_F(IngestTest, MetaVerifyTokenHandshake) {
  InboundRequest r;
  r.method = "GET";
  r.target = "/in/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock";
  const auto ok = ingest_->handle(r);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, "1158201444");
  r.target = "/in/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess";
  EXPECT_EQ(ingest_->handle(r).status, 403);
}

TEST_F(IngestTest, AsanaHandshakeOnlyInsideAnArmedWindowWithTheCode) {
  InboundRequest r;
  r.method = "POST";
  r.target = "/in/asana?hookgate_code=c0de";
  r.headers.add("X-Hook-Secret", "b537207f20cbfa02357cf448134da559");
  EXPECT_EQ(ingest_->handle(r).verdict, "handshake_not_armed");

  PendingEstablishment pending{"c0de", (kNow + 60) * 1000, ""};
  ASSERT_TRUE(store_->put_setting("establish/asana", encode_establishment(pending)));
  auto wrong = r;
  wrong.target = "/in/asana?hookgate_code=other";
  EXPECT_EQ(ingest_->handle(wrong).verdict, "handshake_code_mismatch");

  const auto ok = ingest_->handle(r);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.headers.get("X-Hook-Secret"), "b537207f20cbfa02357cf448134da559");
  const auto answered = decode_establishment(store_->setting("establish/asana")->value());
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->offered_secret_sha256,
            crypto::hex_encode(crypto::digest(crypto::DigestAlgorithm::sha256,
                                              "b537207f20cbfa02357cf448134da559")));
  // The code is spent: a second handshake (a replay, or an attacker racing) is refused.
  EXPECT_EQ(ingest_->handle(r).verdict, "handshake_not_armed");

  pending.expires_ms = (kNow - 1) * 1000;
  ASSERT_TRUE(store_->put_setting("establish/asana", encode_establishment(pending)));
  EXPECT_EQ(ingest_->handle(r).verdict, "handshake_window_expired");
}

}  // namespace
}  // namespace hookgate::engine
