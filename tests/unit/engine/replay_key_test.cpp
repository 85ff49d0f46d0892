// Replays, for every built-in scheme: a request signed with the library's sign() (or built by
// hand for the schemes whose signature travels in the body) is sent twice through ingest on a
// real SQLite store; the copy is a duplicate, stored and forwarded once. A copy with a fresh
// unsigned id, or re-signed over the same bytes, is still a duplicate; another body is a new
// event. The suite runs over providers/*.toml, so a new scheme without a replay key fails it.
// Then the windows: how long each kind of replay key is remembered.
#include "engine/replay_key.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "hookgate/engine/ingest.hpp"
#include "hookgate/schemes/builtin.hpp"
#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/secret.hpp"
#include "hookgate/schemes/sign.hpp"
#include "rsa_test_keys.hpp"

namespace hookgate::engine {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

constexpr std::int64_t kNow = 1700000000;
constexpr std::string_view kPublicUrl = "https://hooks.example.com";

const schemes::Catalogue& catalogue() {
  static const schemes::Catalogue c = schemes::Catalogue::with_builtins().value();
  return c;
}

std::vector<std::string> builtin_names() {
  std::vector<std::string> names;
  for (const auto& entry : schemes::builtin_scheme_texts()) {
    auto name = std::string(entry.origin);  // "providers/NAME.toml"
    name = name.substr(name.rfind('/') + 1);
    names.push_back(name.substr(0, name.size() - 5));
  }
  return names;
}

using test::Pkey;
using test::public_pem;
using test::rsa_sha256;

class EveryBuiltinScheme : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    scheme_ = catalogue().find(GetParam());
    ASSERT_NE(scheme_, nullptr);
    dir_ = std::filesystem::temp_directory_path() /
           ("hookgate-replay-" + std::to_string(getpid()) + "-" + GetParam());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);

    std::string keys;
    if (scheme_->procedure == "aws-sns") {
      rsa_.reset(EVP_RSA_gen(2048));
      ASSERT_NE(rsa_, nullptr);
      std::ofstream(dir_ / "sns.pem") << public_pem(rsa_.get());
      keys = "public_keys = [\"file:sns.pem\"]";
    } else {
      auto generated = schemes::generate_secret(*scheme_);
      ASSERT_TRUE(generated) << generated.error();
      if (!generated->public_key.empty()) {
        auto key = schemes::Key::parse_private_key(*scheme_, generated->secret);
        ASSERT_TRUE(key) << key.error();
        sign_keys_.push_back(std::move(key.value()));
        keys = "public_keys = [\"" + generated->public_key + "\"]";
      } else {
        auto key = schemes::Key::parse_secret(*scheme_, generated->secret);
        ASSERT_TRUE(key) << key.error();
        sign_keys_.push_back(std::move(key.value()));
        secret_ = generated->secret;
        keys = "secrets = [\"" + generated->secret + "\"]";
      }
    }
    // Handshakes are not what this suite is about: each is tested on its own.
    const std::string text = "[server]\npublic_url = \"" + std::string(kPublicUrl) +
                             "\"\n[[source]]\nname = \"src\"\nscheme = \"" + GetParam() + "\"\n" +
                             keys +
                             "\nhandshake = \"none\"\n[[destination]]\nname = \"out\"\nfile = "
                             "\"out.jsonl\"\n[[route]]\nfrom = \"src\"\nto = [\"out\"]\n";
    auto c = config::parse_config(text, (dir_ / "hookgate.toml").string());
    ASSERT_TRUE(c) << c.error();
    config_ = std::move(c.value());
    auto s = store::open_store("sqlite://" + (dir_ / "h.db").string());
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(s.value());
    auto i =
        Ingest::create(config_, *store_, [] { return system_clock::time_point(seconds(kNow)); });
    ASSERT_TRUE(i) << i.error();
    ingest_ = std::move(i.value());
  }
  void TearDown() override {
    ingest_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A provider's request for event n: every id field the built-in schemes read, and the body
  // timestamp Linear reads.
  std::string body(int n) const {
    if (scheme_->name == "twilio") {
      return "CallSid=CA" + std::to_string(n) + "&CallStatus=ringing&From=%2B15550000000";
    }
    const std::string id = "evt_" + std::to_string(n);
    boost::json::object o{{"id", id},
                          {"event_id", id},
                          {"eventId", id},
                          {"event", boost::json::object{{"id", id}}},
                          {"type", "thing.happened"},
                          {"webhookTimestamp", kNow * 1000},
                          {"n", n}};
    return boost::json::serialize(o);
  }

  InboundRequest request(int n) {
    InboundRequest r;
    r.method = "POST";
    r.target = "/in/src";
    r.peer = net::IpAddress::parse("127.0.0.1");
    r.headers.add("Content-Type", "application/json");
    if (scheme_->signature_json_field == "signature.signature") {
      // Mailgun: the signature object travels in the body, over timestamp + token.
      const std::string ts = std::to_string(kNow);
      const std::string token = "token-" + std::to_string(n);
      boost::json::object o{
          {"signature", boost::json::object{{"timestamp", ts},
                                            {"token", token},
                                            {"signature", crypto::hex_encode(crypto::hmac(
                                                              crypto::DigestAlgorithm::sha256,
                                                              secret_, ts + token))}}},
          {"event-data", boost::json::object{{"event", "delivered"}, {"n", n}}}};
      r.body = boost::json::serialize(o);
      return r;
    }
    if (scheme_->procedure == "aws-sns") {
      const std::string id = "msg-" + std::to_string(n);
      const std::string message = "event " + std::to_string(n);
      const std::string ts = "2023-11-14T22:13:20.000Z";
      const std::string arn = "arn:aws:sns:us-east-2:123456789012:MyTopic";
      const std::string canonical = "Message\n" + message + "\nMessageId\n" + id + "\nTimestamp\n" +
                                    ts + "\nTopicArn\n" + arn + "\nType\nNotification\n";
      boost::json::object o{
          {"Type", "Notification"},
          {"MessageId", id},
          {"TopicArn", arn},
          {"Message", message},
          {"Timestamp", ts},
          {"SignatureVersion", "2"},
          {"Signature", crypto::base64_encode(rsa_sha256(rsa_.get(), canonical))},
          {"SigningCertURL",
           "https://sns.us-east-2.amazonaws.com/SimpleNotificationService-0000.pem"}};
      r.headers.add("x-amz-sns-message-type", "Notification");
      r.body = boost::json::serialize(o);
      return r;
    }
    r.body = body(n);
    const std::string url = std::string(kPublicUrl) + r.target;
    schemes::SignInput in;
    in.url = url;
    in.body = r.body;
    in.id = "msg_" + std::to_string(n);
    in.timestamp = system_clock::time_point(seconds(kNow));
    auto headers = schemes::sign(*scheme_, in, sign_keys_);
    EXPECT_TRUE(headers) << headers.error();
    if (headers) {
      for (const auto& [name, value] : headers->items())
        r.headers.add(name, value);
    }
    if (scheme_->name == "twilio")
      r.headers.set("Content-Type", "application/x-www-form-urlencoded");
    return r;
  }

  store::Counts counts() const {
    auto c = store_->counts();
    EXPECT_TRUE(c) << c.error();
    return c ? *c : store::Counts{};
  }

  const schemes::Scheme* scheme_ = nullptr;
  std::vector<schemes::Key> sign_keys_;
  std::string secret_;
  Pkey rsa_;
  std::filesystem::path dir_;
  config::Config config_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Ingest> ingest_;
};

TEST_P(EveryBuiltinScheme, DeclaresWhereItsIdComesFromAndWhetherItIsSigned) {
  EXPECT_TRUE(scheme_->id_declared)
      << scheme_->origin << " has no [id] table saying where its id travels and whether it is "
      << "signed (docs/schemes.md)";
}

TEST_P(EveryBuiltinScheme, AResentCopyIsADuplicateStoredAndForwardedOnce) {
  const auto req = request(1);
  const auto first = ingest_->handle(req);
  ASSERT_EQ(first.status, 200) << first.body;
  ASSERT_EQ(first.verdict, "accepted");
  const auto again = ingest_->handle(req);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.verdict, "duplicate");
  EXPECT_EQ(again.seq, first.seq);
  EXPECT_FALSE(again.routed);
  EXPECT_EQ(counts().events, 1);
  EXPECT_EQ(counts().pending, 1);
}

TEST_P(EveryBuiltinScheme, AFreshUnsignedIdDoesNotMakeACopyNew) {
  if (scheme_->id.kind != schemes::Location::Kind::header || scheme_->id_signed) {
    GTEST_SKIP() << "no unsigned id header";
  }
  auto req = request(1);
  ASSERT_EQ(ingest_->handle(req).verdict, "accepted");
  req.headers.set(scheme_->id.name, "fresh-id-chosen-by-the-attacker");
  const auto again = ingest_->handle(req);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.verdict, "duplicate");
  EXPECT_EQ(counts().events, 1);
}

TEST_P(EveryBuiltinScheme, AnotherSignatureOverTheSameBytesIsADuplicate) {
  // ECDSA signs with a fresh nonce: two valid signatures of one message. Either way the copy
  // is the same signed message.
  if (sign_keys_.empty()) GTEST_SKIP() << "signature made by hand above";
  const auto first = request(1);
  ASSERT_EQ(ingest_->handle(first).verdict, "accepted");
  const auto resigned = ingest_->handle(request(1));
  EXPECT_EQ(resigned.verdict, "duplicate") << resigned.body;
  EXPECT_EQ(counts().events, 1);
}

TEST_P(EveryBuiltinScheme, AnotherEventIsAccepted) {
  ASSERT_EQ(ingest_->handle(request(1)).verdict, "accepted");
  const auto other = ingest_->handle(request(2));
  EXPECT_EQ(other.status, 200) << other.body;
  EXPECT_EQ(other.verdict, "accepted");
  EXPECT_EQ(counts().events, 2);
  EXPECT_EQ(counts().pending, 2);
}

INSTANTIATE_TEST_SUITE_P(Replay, EveryBuiltinScheme, ::testing::ValuesIn(builtin_names()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           std::string name = param.param;
                           for (auto& c : name)
                             c = c == '-' ? '_' : c;
                           return name;
                         });

// The windows, on the pure function.
class ReplayWindow : public ::testing::Test {
 protected:
  static const schemes::Scheme& scheme(std::string_view name) { return *catalogue().find(name); }
  static schemes::Verdict verdict(std::string id, std::optional<std::int64_t> ts) {
    schemes::Verdict v;
    v.reason = schemes::Reason::ok;
    v.id = std::move(id);
    v.timestamp = ts;
    v.content_digest = std::string(64, 'a');
    return v;
  }
  static constexpr std::int64_t kReceivedMs = kNow * 1000;
  config::Source source_;
};

TEST_F(ReplayWindow, ASignedIdIsKeptForTheTtlAndAtLeastTheTolerance) {
  const auto k = replay_key(scheme("stripe"), verdict("evt_1", kNow), source_, kReceivedMs);
  EXPECT_EQ(k.key, "evt_1");
  EXPECT_EQ(k.until_ms, kReceivedMs + 7LL * 86400 * 1000);
  source_.dedupe_ttl = seconds(10);
  const auto short_ttl = replay_key(scheme("stripe"), verdict("evt_1", kNow), source_, kReceivedMs);
  EXPECT_GE(short_ttl.until_ms, (kNow + 300 + 1) * 1000);
}

TEST_F(ReplayWindow, AnUnsignedIdIsNeverTheKey) {
  const auto k =
      replay_key(scheme("github"), verdict("delivery-1", std::nullopt), source_, kReceivedMs);
  EXPECT_EQ(k.key, "sha256:" + std::string(32, 'a'));       // 128 bits of the content digest
  EXPECT_EQ(k.until_ms, kReceivedMs + 7LL * 86400 * 1000);  // dedupe_ttl by default
  source_.dedupe_window = seconds(3600);
  EXPECT_EQ(replay_key(scheme("github"), verdict("", std::nullopt), source_, kReceivedMs).until_ms,
            kReceivedMs + 3'600'000);
}

TEST_F(ReplayWindow, ADigestWithATimestampLastsUntilTheToleranceEnds) {
  // Zoom: 300 s both ways. A copy stamped 200 s ago verifies for 100 s more, and not after.
  const auto k = replay_key(scheme("zoom"), verdict("", kNow - 200), source_, kReceivedMs);
  EXPECT_GE(k.until_ms, (kNow + 101) * 1000);
  EXPECT_LE(k.until_ms, (kNow + 101) * 1000 + 60'000);
  // A source's tolerance replaces the scheme's.
  source_.tolerance = seconds(3600);
  EXPECT_GE(replay_key(scheme("zoom"), verdict("", kNow), source_, kReceivedMs).until_ms,
            (kNow + 3601) * 1000);
}

TEST_F(ReplayWindow, ATimestampWithoutAnAgeBoundUsesTheWindow) {
  // Discord checks no age: the timestamp does not end a replay, the window does.
  source_.dedupe_window = seconds(600);
  const auto k = replay_key(scheme("discord"), verdict("", kNow - 86400), source_, kReceivedMs);
  EXPECT_EQ(k.until_ms, kReceivedMs + 600'000);
}

TEST_F(ReplayWindow, TheSchemeWindowIsTheDefaultAndTheSourceOverridesIt) {
  EXPECT_EQ(replay_key(scheme("dropbox"), verdict("", std::nullopt), source_, kReceivedMs).until_ms,
            kReceivedMs + 60'000);
  source_.dedupe_window = seconds(5);
  EXPECT_EQ(replay_key(scheme("dropbox"), verdict("", std::nullopt), source_, kReceivedMs).until_ms,
            kReceivedMs + 5'000);
}

TEST_F(ReplayWindow, ALongIdIsHashedIntoABoundedKey) {
  const std::string id(5000, 'x');
  const auto k = replay_key(scheme("stripe"), verdict(id, kNow), source_, kReceivedMs);
  EXPECT_LE(k.key.size(), kMaxIdKeyBytes);
  EXPECT_EQ(k.key,
            "id-sha256:" + crypto::hex_encode(crypto::digest(crypto::DigestAlgorithm::sha256, id)));
}

}  // namespace
}  // namespace hookgate::engine
