// `hookgate serve` against misframed requests and dual-stack peers, black-box: a validly signed
// event hidden behind a request whose framing the gateway must refuse is never stored, and an
// IPv4 client of a [::] listener matches IPv4 allow_ips.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "../unit/net/raw_client.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "server_process.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"

namespace hookgate::e2e {
namespace {

using net::testing::count_responses;
using net::testing::raw_exchange;

constexpr const char* kSecret = "e2e-framing-secret";

class InboundFraming : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    dir_ = fresh_test_dir("hookgate-framing");
    config_ = (dir_ / "hookgate.toml").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_config(const std::string& listen, const std::string& source_extra) {
    std::ofstream(config_) << "[server]\nlisten = \"" << listen << R"("
[store]
url = ")" << store_.url() << R"("
[[source]]
name = "github"
scheme = "github"
secrets = [")" << kSecret << R"("]
pull_token = "pull-token"
)" << source_extra;
  }

  // A complete, validly signed GitHub delivery, as raw bytes.
  static std::string signed_request(const std::string& body, const std::string& id,
                                    const std::string& extra = "") {
    return "POST /in/github HTTP/1.1\r\nHost: t\r\n" + extra +
           "X-GitHub-Event: push\r\nX-GitHub-Delivery: " + id + "\r\nX-Hub-Signature-256: sha256=" +
           crypto::hex_encode(crypto::hmac(crypto::DigestAlgorithm::sha256, kSecret, body)) +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  static std::vector<std::string> stored(int port) {
    const auto r = http_request(port, "GET", "/pull/github?limit=500",
                                {{"Authorization", "Bearer pull-token"}}, "");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> bodies;
    if (r.status != 200) return bodies;
    const auto json = boost::json::parse(r.body);
    for (const auto& e : json.at("events").as_array()) {
      bodies.push_back(*crypto::base64_decode(e.at("body_base64").as_string()));
    }
    return bodies;
  }

  std::filesystem::path dir_;
  std::string config_;
  TestStore store_;
};

TEST_F(InboundFraming, ASignedEventBehindAMisframedRequestIsNeverStored) {
  write_config("127.0.0.1:0", "");
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  const auto port = static_cast<std::uint16_t>(server.port());
  const std::string head = "POST /in/github HTTP/1.1\r\nHost: t\r\n";
  struct Row {
    const char* name;
    std::string prefix;  // the smuggled signed request follows these bytes
    int status;
  };
  int n = 0;
  const auto inner = [&n] {
    const auto id = std::to_string(++n);
    return signed_request(R"({"smuggled":)" + id + "}", "d-" + id);
  };
  const std::vector<Row> rows = {
      // The reported attack: the outer request's body is the inner signed request.
      {"te_gzip", head + "Transfer-Encoding: gzip\r\n\r\n", 400},
      {"te_chunked_gzip", head + "Transfer-Encoding: chunked, gzip\r\n\r\n", 400},
      {"te_chunked_chunked", head + "Transfer-Encoding: chunked, chunked\r\n\r\n", 400},
      {"te_gzip_chunked", head + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
      {"te_and_cl", head + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"cl_list", head + "Content-Length: 0,0\r\n\r\n", 400},
      {"cl_plus", head + "Content-Length: +0\r\n\r\n", 400},
      {"obs_fold", head + "Content-Length: 0\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n",
       400},
      {"bare_lf", "POST /in/github HTTP/1.1\nHost: t\nContent-Length: 0\n\n", 400},
      {"space_before_colon", head + "Transfer-Encoding : chunked\r\n\r\n", 400},
      {"te_http10",
       "POST /in/github HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: "
       "chunked\r\n\r\n0\r\n\r\n",
       400},
      {"bad_chunk", head + "Transfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n", 400},
  };
  for (const auto& row : rows) {
    const auto ex = raw_exchange(port, row.prefix + inner());
    EXPECT_TRUE(ex.closed) << row.name << ": connection left open";
    EXPECT_TRUE(ex.received.starts_with("HTTP/1.1 " + std::to_string(row.status) + " "))
        << row.name << ":\n"
        << ex.received;
    EXPECT_EQ(count_responses(ex.received), 1) << row.name << ":\n" << ex.received;
  }
  EXPECT_EQ(stored(port), std::vector<std::string>{});
  // The control: the same inner request, sent on its own, is stored, so the empty result above
  // means refused, not unseen.
  const auto ok =
      raw_exchange(port, signed_request(R"({"control":1})", "d-control", "Connection: close\r\n"));
  EXPECT_TRUE(ok.received.starts_with("HTTP/1.1 200 ")) << ok.received;
  EXPECT_EQ(stored(port), std::vector<std::string>{R"({"control":1})"});
}

// On a [::] listener an IPv4 client arrives as ::ffff:127.0.0.1; IPv4 allow_ips must match it.
TEST_F(InboundFraming, IpvFourAllowlistsHoldOnADualStackListener) {
  write_config("[::]:0",
               "allow_ips = [\"127.0.0.1/32\"]\n[[source]]\nname = \"elsewhere\"\n"
               "scheme = \"github\"\nsecrets = [\"s\"]\nallow_ips = [\"10.0.0.0/8\"]\n");
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  const std::string body = R"({"ref":"dual-stack"})";
  const auto sig =
      "sha256=" + crypto::hex_encode(crypto::hmac(crypto::DigestAlgorithm::sha256, kSecret, body));
  const auto ok = http_request(
      server.port(), "POST", "/in/github",
      {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "d-1"}, {"X-Hub-Signature-256", sig}},
      body);
  EXPECT_EQ(ok.status, 200) << ok.body;
  const auto refused = http_request(server.port(), "POST", "/in/elsewhere", {}, body);
  EXPECT_EQ(refused.status, 403) << refused.body;
}

}  // namespace
}  // namespace hookgate::e2e
