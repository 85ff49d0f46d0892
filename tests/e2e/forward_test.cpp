// Forwarding as a user runs it: events accepted on a source reach an HTTP service (re-signed with
// Standard Webhooks, retried until it recovers), a command and a JSON-lines file; and the whole
// Asana establishment flow against a stand-in for Asana's API that behaves as Asana documents
// (the handshake happens during the create call; the secret comes back in the response).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/key.hpp"
#include "hookgate/schemes/verify.hpp"
#include "loopback_receiver.hpp"
#include "run_process.hpp"
#include "server_process.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"
#include "wait.hpp"

namespace hookgate::e2e {
namespace {

constexpr const char* kGithubSecret = "forward-github-secret";
constexpr const char* kServiceSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class Forward : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    dir_ = fresh_test_dir("hookgate-forward");
    config_ = (dir_ / "hookgate.toml").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static std::vector<std::pair<std::string, std::string>> github_headers(const std::string& body,
                                                                         const std::string& id) {
    return {{"X-GitHub-Event", "push"},
            {"X-GitHub-Delivery", id},
            {"Content-Type", "application/json"},
            {"X-Hub-Signature-256",
             "sha256=" + crypto::hex_encode(
                             crypto::hmac(crypto::DigestAlgorithm::sha256, kGithubSecret, body))}};
  }

  std::filesystem::path dir_;
  std::string config_;
  TestStore store_;
};

TEST_F(Forward, ReachesAServiceACommandAndAFileWithRetries) {
  std::atomic<int> calls{0};
  LoopbackReceiver service([&](const ReceivedRequest&) {
    // Down for the first two attempts, then recovered.
    return ++calls <= 2 ? ReceiverAnswer{503, {{"Retry-After", "1"}}, "down"}
                        : ReceiverAnswer{204, {}, ""};
  });
  ASSERT_NE(service.port(), 0);
  const auto cmd_out = (dir_ / "cmd").string();
  std::filesystem::create_directories(cmd_out);
  std::ofstream(config_) << R"([server]
listen = "127.0.0.1:0"
[store]
url = ")" << store_.url() << R"("
[delivery]
schedule = [1, 1, 1, 1]
jitter = 0
lease_seconds = 5
[[source]]
name = "github"
scheme = "github"
secrets = [")" << kGithubSecret
                         << R"("]
event_type_from = "header:X-GitHub-Event"
keep_headers = ["X-GitHub-Event", "Content-Type"]
[[destination]]
name = "svc"
url = "http://127.0.0.1:)"
                         << service.port() << R"(/hooks?team=1"
secret = ")" << kServiceSecret
                         << R"("
timeout_ms = 2000
[[destination]]
name = "log"
file = "events.jsonl"
timeout_ms = 2000
[[destination]]
name = "cmd"
command = ["/bin/sh", "-c", "cat > )"
                         << cmd_out
                         << R"(/$HOOKGATE_EVENT_SEQ.body; test \"$HOOKGATE_SOURCE\" = github"]
timeout_ms = 2000
[[route]]
from = "github"
to = ["svc", "log", "cmd"]
event_types = ["push"]
)";
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  const std::string body("{\"ref\":\"refs/heads/main\",\"bin\":\"\xc3\x28\"}");
  const auto r =
      http_request(server.port(), "POST", "/in/github", github_headers(body, "fwd-1"), body);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto seq = boost::json::parse(r.body).at("seq").as_int64();

  ASSERT_TRUE(eventually([&] { return calls.load() >= 3; })) << server.stderr_text();
  const auto got = service.received();
  ASSERT_GE(got.size(), 3U);
  const auto catalogue = schemes::Catalogue::with_builtins();
  ASSERT_TRUE(catalogue);
  const auto* scheme = catalogue->find("standard-webhooks");
  ASSERT_NE(scheme, nullptr);
  auto key = schemes::Key::parse_secret(*scheme, kServiceSecret);
  ASSERT_TRUE(key);
  std::set<std::string> ids;
  for (const auto& request : got) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/hooks?team=1");
    EXPECT_EQ(request.body, body);  // byte for byte, invalid UTF-8 included
    schemes::HeaderList headers;
    for (const auto& [k, v] : request.headers)
      headers.add(k, v);
    const auto verdict = schemes::verify(*scheme, {"POST", "", headers, request.body},
                                         std::vector<schemes::Key>{key.value()});
    EXPECT_TRUE(verdict.ok()) << schemes::to_string(verdict.reason) << " " << verdict.detail;
    ids.insert(request.headers.at("webhook-id"));
  }
  EXPECT_EQ(ids.size(), 1U);  // the same message id on every attempt

  ASSERT_TRUE(eventually([&] {
    return std::filesystem::exists(dir_ / "events.jsonl") &&
           std::filesystem::exists(cmd_out + "/" + std::to_string(seq) + ".body");
  }));
  EXPECT_EQ(read_file(cmd_out + "/" + std::to_string(seq) + ".body"), body);
  const auto line = boost::json::parse(read_file(dir_ / "events.jsonl"));
  EXPECT_EQ(*crypto::base64_decode(line.at("body_base64").as_string()), body);
  EXPECT_EQ(line.at("event_type").as_string(), "push");

  // The dispatcher counts an attempt once it has recorded it, a moment after the receiver
  // answered: wait for the count rather than read it once.
  std::string metrics;
  ASSERT_TRUE(eventually([&] {
    metrics = http_request(server.port(), "GET", "/metrics", {}, "").body;
    return metrics.find(
               "hookgate_delivery_attempts_total{destination=\"svc\",outcome="
               "\"delivered\"} 1") != std::string::npos;
  })) << metrics;
  EXPECT_NE(
      metrics.find("hookgate_delivery_attempts_total{destination=\"svc\",outcome=\"retry\"} 2"),
      std::string::npos)
      << metrics;
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

// The attempts counted by /metrics for one destination and outcome (label order free).
double attempts(int port, const std::string& destination, const std::string& outcome) {
  const auto r = http_request(port, "GET", "/metrics", {}, "");
  std::istringstream lines(r.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("hookgate_delivery_attempts_total{") ||
        line.find("destination=\"" + destination + "\"") == std::string::npos ||
        line.find("outcome=\"" + outcome + "\"") == std::string::npos) {
      continue;
    }
    return std::stod(line.substr(line.rfind(' ') + 1));
  }
  return 0;
}

// Command destinations fed bodies up to the source's limit: one that exits at once without
// reading, one that never reads (killed at its 500 ms timeout), one that reads everything. The
// gateway stays up and answers /healthz after each event, and the reader gets the exact bytes.
TEST_F(Forward, CommandsThatExitAtOnceOrNeverReadCannotStopTheGateway) {
  const auto out = (dir_ / "read").string();
  std::filesystem::create_directories(out);
  constexpr std::size_t kLimit = 1 << 20;
  std::ofstream(config_) << R"([server]
listen = "127.0.0.1:0"
max_body_bytes = )" << kLimit
                         << R"(
[store]
url = ")" << store_.url() << R"("
[delivery]
schedule = [1]
jitter = 0
lease_seconds = 10
[[source]]
name = "github"
scheme = "github"
secrets = [")" << kGithubSecret
                         << R"("]
[[destination]]
name = "quits"
command = ["/bin/true"]
timeout_ms = 5000
[[destination]]
name = "stalls"
command = ["/bin/sleep", "30"]
timeout_ms = 500
[[destination]]
name = "reads"
command = ["/bin/sh", "-c", "cat > )"
                         << out << R"(/$HOOKGATE_EVENT_SEQ.body"]
timeout_ms = 5000
[[route]]
from = "github"
to = ["quits", "stalls", "reads"]
)";
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  std::vector<std::pair<std::int64_t, std::string>> sent;
  int n = 0;
  for (const std::size_t size : {std::size_t{256} << 10, kLimit}) {
    // Valid JSON of exactly size bytes.
    std::string body = R"({"pad":")" + std::string(size - 10, 'a') + R"("})";
    ASSERT_EQ(body.size(), size);
    body[100] = static_cast<char>('b' + n);
    const auto r = http_request(server.port(), "POST", "/in/github",
                                github_headers(body, "cmd-" + std::to_string(++n)), body);
    ASSERT_EQ(r.status, 200) << r.body;
    sent.emplace_back(boost::json::parse(r.body).at("seq").as_int64(), body);
    EXPECT_EQ(http_request(server.port(), "GET", "/healthz", {}, "").status, 200);
  }
  // Both events reach every command: delivered (exit 0) for the quick one and the reader; the
  // stalled one fails at its timeout and is given up after its one retry.
  ASSERT_TRUE(eventually([&] {
    return attempts(server.port(), "quits", "delivered") == 2 &&
           attempts(server.port(), "reads", "delivered") == 2 &&
           attempts(server.port(), "stalls", "failed") == 2;
  })) << server.stderr_text();
  EXPECT_EQ(attempts(server.port(), "stalls", "delivered"), 0);
  EXPECT_EQ(attempts(server.port(), "stalls", "retry"), 2);
  for (const auto& [seq, body] : sent) {
    const auto got = read_file(std::filesystem::path(out) / (std::to_string(seq) + ".body"));
    EXPECT_TRUE(got == body) << "event " << seq << ": " << got.size() << " of " << body.size();
  }
  EXPECT_EQ(http_request(server.port(), "GET", "/healthz", {}, "").status, 200);
  EXPECT_EQ(server.stop(SIGTERM), 0) << server.stderr_text();
}

TEST_F(Forward, AsanaEstablishmentAgainstAStandInForAsanasApi) {
  const int gateway_port = free_port();
  const std::string secret = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81";
  std::atomic<int> handshake_status{0};
  // Asana's POST /webhooks: authenticate, handshake to the target while the call is in flight,
  // then 201 with the webhook and X-Hook-Secret; 400 when the target did not echo the secret.
  LoopbackReceiver asana([&](const ReceivedRequest& request) {
    if (request.method != "POST" || request.target != "/api/1.0/webhooks") {
      return ReceiverAnswer{404, {}, R"({"errors":[{"message":"Not found"}]})"};
    }
    if (request.headers.count("authorization") == 0 ||
        request.headers.at("authorization") != "Bearer pat-e2e") {
      return ReceiverAnswer{401, {}, R"({"errors":[{"message":"Not Authorized"}]})"};
    }
    const auto payload = boost::json::parse(request.body);
    const std::string target(payload.at("data").at("target").as_string());
    const std::string prefix = "http://127.0.0.1:" + std::to_string(gateway_port);
    if (!target.starts_with(prefix)) {
      return ReceiverAnswer{400, {}, R"({"errors":[{"message":"Invalid target"}]})"};
    }
    const auto answer = http_request(gateway_port, "POST", target.substr(prefix.size()),
                                     {{"X-Hook-Secret", secret}}, "");
    handshake_status = answer.status;
    const auto echoed = answer.headers.find("x-hook-secret");
    if ((answer.status != 200 && answer.status != 204) || echoed == answer.headers.end() ||
        echoed->second != secret) {
      return ReceiverAnswer{
          400,
          {},
          R"({"errors":[{"message":"The remote server did not respond with the handshake secret."}]})"};
    }
    return ReceiverAnswer{
        201,
        {{"X-Hook-Secret", secret}, {"Content-Type", "application/json"}},
        R"({"data":{"gid":"43214","resource":{"gid":"8675309","name":"Bugs"},"target":")" + target +
            R"(","active":true}})"};
  });
  std::ofstream(config_) << "[server]\nlisten = \"127.0.0.1:" << gateway_port
                         << "\"\npublic_url = \"http://127.0.0.1:" << gateway_port << R"("
[store]
url = ")" << store_.url() << R"("
[[source]]
name = "asana"
scheme = "asana"
)";
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();

  // A handshake before any establishment (an attacker's, or a stray one) is refused.
  const auto early = http_request(gateway_port, "POST", "/in/asana",
                                  {{"X-Hook-Secret", "evil0123456789abcdef0123456789abcdef"}}, "");
  EXPECT_EQ(early.status, 403);
  EXPECT_EQ(early.headers.count("x-hook-secret"), 0U);

  const std::vector<std::string> establish = {
      HOOKGATE_BINARY,
      "establish",
      "asana",
      "--config",
      config_,
      "--source",
      "asana",
      "--resource",
      "8675309",
      "--api-base",
      "http://127.0.0.1:" + std::to_string(asana.port()) + "/api/1.0",
      "--token",
      "env:HOOKGATE_E2E_ASANA_TOKEN"};
  const auto wrong_token = run_process(establish, "", {{"HOOKGATE_E2E_ASANA_TOKEN", "nope"}});
  EXPECT_EQ(wrong_token.exit_code, 1);
  EXPECT_NE(wrong_token.err.find("Not Authorized"), std::string::npos) << wrong_token.err;

  const auto done = run_process(establish, "", {{"HOOKGATE_E2E_ASANA_TOKEN", "pat-e2e"}});
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_NE(done.out.find("Asana webhook 43214"), std::string::npos) << done.out;
  EXPECT_EQ(handshake_status.load(), 200);
  EXPECT_EQ(done.out.find(secret), std::string::npos);  // the secret is never printed

  // Events signed with the kept secret are accepted; others are not.
  const std::string body = R"({"events":[{"action":"changed","resource":{"gid":"1"}}]})";
  const auto sign = [&](const std::string& key) {
    return crypto::hex_encode(crypto::hmac(crypto::DigestAlgorithm::sha256, key, body));
  };
  EXPECT_EQ(
      http_request(gateway_port, "POST", "/in/asana", {{"X-Hook-Signature", sign(secret)}}, body)
          .status,
      200);
  EXPECT_EQ(
      http_request(gateway_port, "POST", "/in/asana", {{"X-Hook-Signature", sign("forged")}}, body)
          .status,
      401);
  // The one-time code was spent: replaying the handshake Asana made is refused.
  const auto calls = asana.received();
  ASSERT_FALSE(calls.empty());
  const auto target =
      std::string(boost::json::parse(calls.back().body).at("data").at("target").as_string());
  const auto replay =
      http_request(gateway_port, "POST",
                   target.substr(("http://127.0.0.1:" + std::to_string(gateway_port)).size()),
                   {{"X-Hook-Secret", "attacker0123456789abcdef0123456789ab"}}, "");
  EXPECT_EQ(replay.status, 403);
  EXPECT_EQ(server.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace hookgate::e2e
