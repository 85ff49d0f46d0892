// Replays against the real `hookgate serve` over loopback: a Stripe event resent within its
// tolerance (as captured, with one of two rotation signatures dropped, or re-signed by Stripe with
// a fresh timestamp) and a GitHub delivery resent with a fresh X-GitHub-Delivery are answered 200
// "duplicate", stored once and forwarded once; other events are accepted.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "server_process.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"

namespace hookgate::e2e {
namespace {

constexpr const char* kStripeOld = "whsec_e2e_old_secret";
constexpr const char* kStripeNew = "whsec_e2e_new_secret";
constexpr const char* kGithub = "e2e-github-secret";

std::string hex_hmac(const std::string& key, const std::string& message) {
  return crypto::hex_encode(crypto::hmac(crypto::DigestAlgorithm::sha256, key, message));
}

std::string stripe_v1(const std::string& key, const std::string& t, const std::string& body) {
  return "v1=" + hex_hmac(key, t + "." + body);
}

class Replay : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    dir_ = fresh_test_dir("hookgate-replay");
    config_ = (dir_ / "hookgate.toml").string();
    std::ofstream(config_) << R"([server]
listen = "127.0.0.1:0"
[store]
url = ")" << store_.url() << R"("
[[source]]
name = "stripe"
scheme = "stripe"
secrets = [")" << kStripeOld
                           << R"(", ")" << kStripeNew << R"("]
pull_token = "pull-token"
[[source]]
name = "github"
scheme = "github"
secrets = [")" << kGithub << R"("]
pull_token = "pull-token"
[[destination]]
name = "archive"
file = "forwarded.jsonl"
[[route]]
from = "stripe"
to = ["archive"]
[[route]]
from = "github"
to = ["archive"]
)";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::string verdict(const HttpResult& r) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(r.body, ec);
    if (ec || !v.is_object() || !v.as_object().contains("status")) return r.body;
    return std::string(v.as_object().at("status").as_string());
  }

  static std::size_t stored(int port, const std::string& source) {
    const auto r = http_request(port, "GET", "/pull/" + source + "?limit=100",
                                {{"Authorization", "Bearer pull-token"}}, "");
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return 0;
    return boost::json::parse(r.body).as_object().at("events").as_array().size();
  }

  // Lines in the destination file, once it has at least want (bounded wait): the deliveries made.
  std::size_t forwarded_when(std::size_t want) const {
    std::size_t lines = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    do {
      lines = 0;
      std::ifstream in(dir_ / "forwarded.jsonl");
      std::string line;
      while (std::getline(in, line))
        ++lines;
      if (lines >= want) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return lines;
  }

  std::filesystem::path dir_;
  std::string config_;
  TestStore store_;
};

TEST_F(Replay, StripeCopiesWithinTheToleranceAreDuplicates) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  const auto post = [&](const std::string& signature, const std::string& body) {
    return http_request(server.port(), "POST", "/in/stripe", {{"Stripe-Signature", signature}},
                        body);
  };
  const std::string body = R"({"id":"evt_e2e_1","object":"event","type":"charge.succeeded"})";
  const auto t = std::to_string(std::time(nullptr));
  const auto old_sig = stripe_v1(kStripeOld, t, body);
  const auto new_sig = stripe_v1(kStripeNew, t, body);

  const auto first = post("t=" + t + "," + old_sig + "," + new_sig, body);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(verdict(first), "accepted");
  // The captured request again, byte for byte.
  const auto copy = post("t=" + t + "," + old_sig + "," + new_sig, body);
  EXPECT_EQ(copy.status, 200) << copy.body;
  EXPECT_EQ(verdict(copy), "duplicate");
  // One of the two rotation signatures dropped, or their order changed: the same message.
  EXPECT_EQ(verdict(post("t=" + t + "," + new_sig, body)), "duplicate");
  EXPECT_EQ(verdict(post("t=" + t + "," + new_sig + "," + old_sig, body)), "duplicate");
  // Stripe's own retry of the event: re-signed with a later timestamp, the same event id.
  const auto later = std::to_string(std::time(nullptr) + 1);
  EXPECT_EQ(verdict(post("t=" + later + "," + stripe_v1(kStripeOld, later, body), body)),
            "duplicate");
  // Another event is accepted.
  const std::string other = R"({"id":"evt_e2e_2","object":"event","type":"charge.succeeded"})";
  EXPECT_EQ(verdict(post("t=" + t + "," + stripe_v1(kStripeOld, t, other), other)), "accepted");

  EXPECT_EQ(stored(server.port(), "stripe"), 2u);
  EXPECT_EQ(forwarded_when(2), 2u);
}

TEST_F(Replay, GithubCopiesWithAFreshDeliveryIdAreDuplicates) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  const auto post = [&](const std::string& delivery, const std::string& body) {
    return http_request(server.port(), "POST", "/in/github",
                        {{"X-GitHub-Event", "push"},
                         {"X-GitHub-Delivery", delivery},
                         {"X-Hub-Signature-256", "sha256=" + hex_hmac(kGithub, body)}},
                        body);
  };
  const std::string body = R"({"ref":"refs/heads/main","after":"1a2b3c"})";
  const auto first = post("72d3162e-cc78-11e3-81ab-4c9367dc0958", body);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(verdict(first), "accepted");
  EXPECT_EQ(verdict(post("72d3162e-cc78-11e3-81ab-4c9367dc0958", body)), "duplicate");
  // The attack of issue 10: the same body and signature with a delivery id of one's choosing.
  const auto fresh = post("00000000-0000-4000-8000-000000000001", body);
  EXPECT_EQ(fresh.status, 200) << fresh.body;
  EXPECT_EQ(verdict(fresh), "duplicate");
  const std::string other = R"({"ref":"refs/heads/main","after":"4d5e6f"})";
  EXPECT_EQ(verdict(post("72d3162e-cc78-11e3-81ab-4c9367dc0959", other)), "accepted");

  EXPECT_EQ(stored(server.port(), "github"), 2u);
  EXPECT_EQ(forwarded_when(2), 2u);
}

}  // namespace
}  // namespace hookgate::e2e
