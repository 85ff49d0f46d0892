// Asana establishment end to end in one process: a stand-in for Asana's POST /webhooks that, as
// Asana documents, makes the X-Hook-Secret handshake to the target while the create call is in
// flight and returns the secret with the created webhook; the gateway's ingest answers it.
#include "hookgate/engine/establish.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "hookgate/engine/ingest.hpp"

namespace hookgate::engine {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

// A secret in the format Asana sends (64 hex), so the refusals tested are about the window and
// the code, not the format.
constexpr const char* kWellFormedSecret =
    "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

constexpr std::int64_t kNow = 1'700'000'000;
constexpr std::string_view kConfig = R"(
[server]
public_url = "https://hooks.example.com/"
[[source]]
name = "asana"
scheme = "asana"
[[source]]
name = "github"
scheme = "github"
secrets = ["gh"]
)";

class EstablishTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hookgate-establish-" + std::to_string(getpid()) + "-" +
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

  // What Asana does on POST /webhooks: handshake to the target with `offered`, then answer with
  // `returned` (normally the same secret) if the target echoed it.
  ApiPost asana(const std::string& offered, const std::string& returned) {
    return [this, offered, returned](const std::string& url, const schemes::HeaderList& headers,
                                     const std::string& body) -> Result<ApiReply> {
      calls_.push_back(url);
      EXPECT_EQ(headers.get("Authorization"), "Bearer pat-123");
      boost::system::error_code ec;
      const auto payload = boost::json::parse(body, ec);
      EXPECT_FALSE(ec);
      const std::string target(payload.at("data").at("target").as_string());
      target_ = target;
      EXPECT_EQ(payload.at("data").at("resource").as_string(), "8675309");
      const std::string prefix = "https://hooks.example.com";
      EXPECT_TRUE(target.starts_with(prefix + "/in/asana?hookgate_code=")) << target;
      InboundRequest handshake;
      handshake.method = "POST";
      handshake.target = target.substr(prefix.size());
      handshake.headers.add("X-Hook-Secret", offered);
      const auto answer = ingest_->handle(handshake);
      ApiReply reply;
      if ((answer.status != 200 && answer.status != 204) ||
          answer.headers.get("X-Hook-Secret") != offered) {
        reply.status = 400;
        reply.body =
            R"({"errors":[{"message":"The remote server did not respond with the handshake secret."}]})";
        return reply;
      }
      reply.status = 201;
      reply.headers.add("X-Hook-Secret", returned);
      reply.body = R"({"data":{"gid":"43214","resource":{"gid":"8675309"},"active":true}})";
      return reply;
    };
  }

  Result<Established> run(const ApiPost& post) {
    AsanaEstablishment request;
    request.source = "asana";
    request.resource = "8675309";
    request.api_base = "http://127.0.0.1:1/api/1.0/";
    request.token = "pat-123";
    return establish_asana(config_, *store_, request, post, [this] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(now_.time_since_epoch()).count();
    });
  }

  InboundRequest event(const std::string& body, const std::string& secret) {
    InboundRequest r;
    r.method = "POST";
    r.target = "/in/asana";
    r.body = body;
    r.headers.add("X-Hook-Signature",
                  crypto::hex_encode(crypto::hmac(crypto::DigestAlgorithm::sha256, secret, body)));
    return r;
  }

  std::filesystem::path dir_;
  config::Config config_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Ingest> ingest_;
  system_clock::time_point now_ = system_clock::time_point(seconds(kNow));
  std::vector<std::string> calls_;
  std::string target_;
};

TEST_F(EstablishTest, KeepsTheSecretFromTheApiResponseAndVerifiesEventsWithIt) {
  const std::string secret = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81";
  // Before establishment there is no key: events are refused.
  EXPECT_EQ(ingest_->handle(event("{\"events\":[]}", secret)).status, 401);
  auto done = run(asana(secret, secret));
  ASSERT_TRUE(done) << done.error();
  EXPECT_EQ(done->webhook_gid, "43214");
  EXPECT_EQ(done->target, "https://hooks.example.com/in/asana");
  ASSERT_EQ(calls_.size(), 1U);
  EXPECT_EQ(calls_.front(), "http://127.0.0.1:1/api/1.0/webhooks");
  EXPECT_EQ(store_->setting(established_secret_key("asana"))->value(), secret);

  const auto accepted = ingest_->handle(event("{\"events\":[{\"action\":\"changed\"}]}", secret));
  EXPECT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(accepted.verdict, "accepted");
  EXPECT_EQ(ingest_->handle(event("{\"events\":[]}", "forged")).status, 401);

  // The one-time code cannot be replayed after the establishment.
  InboundRequest replay;
  replay.method = "POST";
  replay.target = target_.substr(std::string("https://hooks.example.com").size());
  replay.headers.add("X-Hook-Secret", "attacker-secret-0123456789abcdef0123");
  EXPECT_EQ(ingest_->handle(replay).status, 403);
}

TEST_F(EstablishTest, RefusesASecretThatDiffersFromTheHandshake) {
  auto done =
      run(asana("offered-by-someone-0123456789abcdef", "returned-by-asana-0123456789abcdef"));
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().find("differs"), std::string::npos) << done.error();
  EXPECT_FALSE(store_->setting(established_secret_key("asana"))->has_value());
}

TEST_F(EstablishTest, ReportsAsanasErrorWhenTheHandshakeFails) {
  // The handshake arrives without the code the gateway issued: the gateway refuses it, so Asana
  // refuses the creation and nothing is kept.
  ApiPost post = [this](const std::string&, const schemes::HeaderList&,
                        const std::string&) -> Result<ApiReply> {
    InboundRequest handshake;
    handshake.method = "POST";
    handshake.target = "/in/asana?hookgate_code=guessed";
    handshake.headers.add("X-Hook-Secret", kWellFormedSecret);
    EXPECT_EQ(ingest_->handle(handshake).status, 403);
    return ApiReply{400, {}, R"({"errors":[{"message":"Handshake failed"}]})"};
  };
  auto done = run(post);
  ASSERT_FALSE(done);
  EXPECT_NE(done.error().find("Handshake failed"), std::string::npos) << done.error();
  EXPECT_FALSE(store_->setting(established_secret_key("asana"))->has_value());
}

TEST_F(EstablishTest, AHandshakeOutsideTheWindowIsRefused) {
  InboundRequest handshake;
  handshake.method = "POST";
  handshake.target = "/in/asana";
  handshake.headers.add("X-Hook-Secret", kWellFormedSecret);
  EXPECT_EQ(ingest_->handle(handshake).verdict, "handshake_not_armed");
}

TEST_F(EstablishTest, ChecksItsInputs) {
  AsanaEstablishment request;
  request.source = "github";
  request.resource = "1";
  request.token = "t";
  const auto now = [] { return std::int64_t{0}; };
  EXPECT_FALSE(establish_asana(config_, *store_, request, asana("a", "a"), now));
  request.source = "asana";
  request.resource = "not-a-gid";
  EXPECT_FALSE(establish_asana(config_, *store_, request, asana("a", "a"), now));
  request.resource = "1";
  request.token.clear();
  EXPECT_FALSE(establish_asana(config_, *store_, request, asana("a", "a"), now));
  EXPECT_TRUE(calls_.empty());
}

}  // namespace
}  // namespace hookgate::engine
