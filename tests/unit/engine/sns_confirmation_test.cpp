// AWS SNS SubscriptionConfirmation through ingest: the signature is checked before the
// SubscribeURL is visited, only an SNS https address is visited, and a failed visit is not
// answered 200 (so SNS sends the confirmation again). The message is signed here with an RSA key
// made for the test, the way SNS signs (SignatureVersion 2: RSA-SHA256 over the canonical string).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/engine/ingest.hpp"
#include "rsa_test_keys.hpp"

namespace hookgate::engine {
namespace {

using test::Pkey;
using test::public_pem;
using test::rsa_sha256;

class SnsConfirmation : public ::testing::Test {
 protected:
  void SetUp() override {
    key_.reset(EVP_RSA_gen(2048));
    ASSERT_NE(key_, nullptr);
    dir_ = std::filesystem::temp_directory_path() /
           ("hookgate-sns-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "sns.pem") << public_pem(key_.get());
    auto c = config::parse_config(
        "[[source]]\nname = \"sns\"\nscheme = \"aws-sns\"\npublic_keys = [\"file:sns.pem\"]\n",
        (dir_ / "hookgate.toml").string());
    ASSERT_TRUE(c) << c.error();
    config_ = std::move(c.value());
    auto s = store::open_store("sqlite://" + (dir_ / "h.db").string());
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(s.value());
  }
  void TearDown() override {
    ingest_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void make_ingest(int visit_status) {
    auto i = Ingest::create(
        config_, *store_,
        [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)); },
        [this, visit_status](const std::string& url) -> Result<int> {
          visited_.push_back(url);
          if (visit_status == 0) return Error{"connect: connection refused"};
          return visit_status;
        });
    ASSERT_TRUE(i) << i.error();
    ingest_ = std::move(i.value());
  }

  InboundRequest confirmation(const std::string& subscribe_url, bool tamper = false) {
    const std::string message = "You have chosen to subscribe to the topic.";
    const std::string id = "165545c9-2a5c-472c-8df2-7ff2be2b3b1b";
    const std::string ts = "2023-11-14T22:13:20.000Z";
    const std::string token = "2336412f37fb687f5d51e6e2425";
    const std::string arn = "arn:aws:sns:us-east-2:123456789012:MyTopic";
    const std::string canonical = "Message\n" + message + "\nMessageId\n" + id +
                                  "\nSubscribeURL\n" + subscribe_url + "\nTimestamp\n" + ts +
                                  "\nToken\n" + token + "\nTopicArn\n" + arn +
                                  "\nType\nSubscriptionConfirmation\n";
    boost::json::object body{
        {"Type", "SubscriptionConfirmation"},
        {"MessageId", id},
        {"Token", token},
        {"TopicArn", arn},
        {"Message", message},
        {"SubscribeURL", tamper ? subscribe_url + "&evil=1" : subscribe_url},
        {"Timestamp", ts},
        {"SignatureVersion", "2"},
        {"Signature", crypto::base64_encode(rsa_sha256(key_.get(), canonical))},
        {"SigningCertURL",
         "https://sns.us-east-2.amazonaws.com/SimpleNotificationService-0000.pem"}};
    InboundRequest r;
    r.method = "POST";
    r.target = "/in/sns";
    r.headers.add("x-amz-sns-message-type", "SubscriptionConfirmation");
    r.headers.add("Content-Type", "text/plain; charset=UTF-8");
    r.body = boost::json::serialize(body);
    return r;
  }

  Pkey key_;
  std::filesystem::path dir_;
  config::Config config_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Ingest> ingest_;
  std::vector<std::string> visited_;
};

constexpr const char* kUrl =
    "https://sns.us-east-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-"
    "east-2:123456789012:MyTopic&Token=2336412f37fb687f5d51e6e2425";

TEST_F(SnsConfirmation, VisitsTheSubscribeUrlOnlyAfterTheSignatureHolds) {
  make_ingest(200);
  const auto forged = ingest_->handle(confirmation(kUrl, true));
  EXPECT_EQ(forged.status, 401);
  EXPECT_TRUE(visited_.empty());
  const auto ok = ingest_->handle(confirmation(kUrl));
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.verdict, "handshake");
  EXPECT_EQ(visited_, std::vector<std::string>{kUrl});
  EXPECT_EQ(store_->counts()->events, 0);  // a confirmation is not an event
}

TEST_F(SnsConfirmation, VisitsOnlyAnSnsAddress) {
  make_ingest(200);
  // A well-formed confirmation query on another host: signed, yet never visited.
  const auto r = ingest_->handle(confirmation(
      "https://169.254.169.254/latest/meta-data/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:"
      "us-east-2:123456789012:MyTopic&Token=2336412f37fb687f5d51e6e2425"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.verdict, "subscribe_url_refused");
  EXPECT_TRUE(visited_.empty());
  // Not a ConfirmSubscription URL for this message at all: refused as malformed.
  EXPECT_EQ(ingest_->handle(confirmation("http://sns.us-east-2.amazonaws.com/?x=1")).status, 400);
  EXPECT_EQ(
      ingest_->handle(confirmation("https://sns.us-east-2.amazonaws.com/?Action=Publish")).status,
      400);
  EXPECT_TRUE(visited_.empty());
}

TEST_F(SnsConfirmation, AFailedVisitIsNotAcknowledged) {
  make_ingest(0);
  const auto r = ingest_->handle(confirmation(kUrl));
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.verdict, "subscribe_failed");
  make_ingest(403);
  EXPECT_EQ(ingest_->handle(confirmation(kUrl)).status, 502);
}

}  // namespace
}  // namespace hookgate::engine
