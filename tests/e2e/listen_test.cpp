// `hookgate listen` and `hookgate tail` against the real binary over loopback: a provider-signed
// event goes gateway -> stream -> listen -> a local receiver that checks the exact bytes and the
// provider's signature; listen killed mid-delivery and restarted resumes from its cursor with
// nothing missing; the gateway killed and restarted under a connected listen is reconnected to
// with nothing missing; --sign re-signs with Standard Webhooks; --replay; refusals with their exit
// codes and without the token; tail escaping control characters an attacker put in a body.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "../unit/net/test_pki.hpp"
#include "background_process.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "loopback_receiver.hpp"
#include "run_process.hpp"
#include "server_process.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"
#include "wait.hpp"

namespace hookgate::e2e {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "listen-github-secret";
constexpr const char* kToken = "listen-pull-token-8c1f";
constexpr const char* kWhsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string github_signature(const std::string& body) {
  return "sha256=" +
         crypto::hex_encode(crypto::hmac(crypto::DigestAlgorithm::sha256, kSecret, body));
}

std::string header_of(const ReceivedRequest& r, const std::string& name) {
  const auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

class Listen : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    dir_ = fresh_test_dir("hookgate-listen");
    config_ = (dir_ / "hookgate.toml").string();
    port_ = free_port();
    std::ofstream(config_) << "[server]\nlisten = \"127.0.0.1:" << port_ << "\"\n"
                           << "[store]\nurl = \"" << store_.url() << "\"\n"
                           << "[streams]\nretry_ms = 200\n"
                           << R"(
[[source]]
name = "github"
scheme = "github"
secrets = [")" << kSecret << R"("]
pull_token = ")" << kToken << R"("
keep_headers = ["X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256", "Content-Type"]
event_type_from = "header:X-GitHub-Event"
[[source]]
name = "second"
path = "/in/second"
scheme = "github"
secrets = [")" << kSecret << R"("]
pull_token = ")" << kToken << R"("
keep_headers = ["X-GitHub-Event", "X-GitHub-Delivery", "X-Hub-Signature-256"]
event_type_from = "header:X-GitHub-Event"
)";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // A GitHub delivery: its own body (the replay key is a digest of the signed body).
  HttpResult post(const std::string& body, const std::string& delivery,
                  const std::string& event = "push", const std::string& path = "/in/github") {
    return http_request(port_, "POST", path,
                        {{"X-GitHub-Event", event},
                         {"X-GitHub-Delivery", delivery},
                         {"Content-Type", "application/json"},
                         {"X-Hub-Signature-256", github_signature(body)}},
                        body);
  }

  std::vector<std::string> listen_args(int receiver_port, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {
        HOOKGATE_BINARY, "listen",
        "--url",         url(),
        "--source",      "github",
        "--token",       "env:HG_LISTEN_TOKEN",
        "--forward-to",  "http://127.0.0.1:" + std::to_string(receiver_port) + "/webhook"};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  }

  std::map<std::string, std::string> env() const {
    return {{"HG_LISTEN_TOKEN", kToken}, {"XDG_STATE_HOME", (dir_ / "state").string()}};
  }

  std::string cursor_text() const {
    const auto dir = dir_ / "state" / "hookgate" / "cursors";
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
      if (f.path().filename().string().starts_with("127.0.0.1_" + std::to_string(port_) +
                                                   "-github-")) {
        std::ifstream in(f.path());
        std::string text;
        std::getline(in, text);
        return text;
      }
    }
    return "";
  }

  std::filesystem::path dir_;
  std::string config_;
  int port_ = 0;
  TestStore store_;
};

// Bodies whose bytes a re-encoding would change: spacing, key order, escapes, number spelling.
std::string odd_body(int n) {
  return "{ \"n\" : " + std::to_string(n) +
         ",\n  \"text\":\"caf\\u00e9 \xE2\x98\x83\", \"big\": 1.50e3 ,\"z\":[ ] }";
}

TEST_F(Listen, ForwardsTheProvidersExactBytesAndSignatureToTheLocalServer) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  std::atomic<int> verified{0};
  LoopbackReceiver receiver([&](const ReceivedRequest& r) {
    // What the provider's SDK does on the developer's machine: HMAC over the received bytes.
    if (header_of(r, "x-hub-signature-256") == github_signature(r.body)) ++verified;
    return ReceiverAnswer{};
  });
  BackgroundProcess listen(listen_args(receiver.port()), env(), dir_ / "listen");
  ASSERT_TRUE(eventually([&] { return listen.err().find("connected") != std::string::npos; }))
      << listen.err();
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(post(odd_body(i), "d-" + std::to_string(i)).status, 200);
  }
  ASSERT_TRUE(eventually([&] { return receiver.received().size() >= 3; })) << listen.err();
  const auto got = receiver.received();
  ASSERT_EQ(got.size(), 3U);
  for (int i = 1; i <= 3; ++i) {
    const auto& r = got[static_cast<std::size_t>(i - 1)];
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/webhook");
    EXPECT_EQ(r.body, odd_body(i));  // byte for byte
    EXPECT_EQ(header_of(r, "x-github-delivery"), "d-" + std::to_string(i));
    EXPECT_EQ(header_of(r, "x-github-event"), "push");
    EXPECT_EQ(header_of(r, "content-type"), "application/json");
    EXPECT_EQ(header_of(r, "content-length"), std::to_string(odd_body(i).size()));
    EXPECT_EQ(r.headers.count("authorization"), 0U);  // the token stays between listen and gateway
  }
  EXPECT_EQ(verified.load(), 3);
  ASSERT_TRUE(eventually([&] { return cursor_text() == "3"; })) << cursor_text();
  ASSERT_TRUE(eventually([&] { return listen.out().find("#3") != std::string::npos; }));
  const auto out = listen.out();
  EXPECT_NE(out.find("github  #1  push  accepted  -> 200"), std::string::npos) << out;
  EXPECT_EQ(out.find(kToken), std::string::npos);
  EXPECT_EQ(listen.err().find(kToken), std::string::npos);
}

TEST_F(Listen, KilledMidDeliveryAndRestartedResumesFromItsCursorWithNothingMissing) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  std::atomic<bool> hold{true};
  std::atomic<bool> held{false};
  LoopbackReceiver receiver([&](const ReceivedRequest& r) {
    // The 4th delivery hangs until released: listen is killed while it waits for the answer.
    if (header_of(r, "x-github-delivery") == "k-4" && hold) {
      held = true;
      eventually([&] { return !hold.load(); }, 60s);
    }
    return ReceiverAnswer{};
  });
  for (int i = 1; i <= 6; ++i) {
    ASSERT_EQ(post("{\"k\":" + std::to_string(i) + "}", "k-" + std::to_string(i)).status, 200);
  }
  {
    BackgroundProcess listen(listen_args(receiver.port(), {"--from", "1"}), env(),
                             dir_ / "listen1");
    ASSERT_TRUE(eventually([&] { return held.load(); })) << listen.err();
    ASSERT_TRUE(eventually([&] { return cursor_text() == "3"; })) << cursor_text();
    EXPECT_EQ(listen.stop(SIGKILL), 128 + SIGKILL);
  }
  hold = false;
  // Accepted while listen is down.
  for (int i = 7; i <= 9; ++i) {
    ASSERT_EQ(post("{\"k\":" + std::to_string(i) + "}", "k-" + std::to_string(i)).status, 200);
  }
  BackgroundProcess listen(listen_args(receiver.port()), env(), dir_ / "listen2");
  const auto all_seen = [&] {
    std::set<std::string> ids;
    for (const auto& r : receiver.received())
      ids.insert(header_of(r, "x-github-delivery"));
    return ids.size() == 9;
  };
  ASSERT_TRUE(eventually(all_seen)) << listen.err();
  ASSERT_TRUE(eventually([&] { return cursor_text() == "9"; })) << cursor_text();
  std::map<std::string, int> counts;
  for (const auto& r : receiver.received())
    ++counts[header_of(r, "x-github-delivery")];
  // At-least-once: the delivery in flight at the kill may come twice; what the cursor had
  // recorded as accepted is not sent again.
  EXPECT_EQ(counts["k-1"], 1);
  EXPECT_EQ(counts["k-2"], 1);
  EXPECT_EQ(counts["k-3"], 1);
  EXPECT_LE(counts["k-4"], 2);
  int duplicates = 0;
  for (const auto& [id, n] : counts)
    duplicates += n - 1;
  RecordProperty("duplicates", duplicates);
  EXPECT_LE(duplicates, 1);
}

TEST_F(Listen, GatewayKilledOrStoppedUnderAConnectedListenIsReconnectedWithNothingMissing) {
  auto server = std::make_unique<ServerProcess>(config_);
  ASSERT_TRUE(server->started()) << server->stderr_text();
  LoopbackReceiver receiver([](const ReceivedRequest&) { return ReceiverAnswer{}; });
  BackgroundProcess listen(listen_args(receiver.port()), env(), dir_ / "listen");
  ASSERT_TRUE(eventually([&] { return listen.err().find("connected") != std::string::npos; }));
  ASSERT_EQ(post("{\"g\":1}", "g-1").status, 200);
  ASSERT_TRUE(eventually([&] { return receiver.received().size() >= 1; })) << listen.err();
  server->stop(SIGKILL);
  server = std::make_unique<ServerProcess>(config_);
  ASSERT_TRUE(server->started()) << server->stderr_text();
  // Accepted before listen is back (it is between reconnection attempts or connecting).
  ASSERT_EQ(post("{\"g\":2}", "g-2").status, 200);
  ASSERT_TRUE(eventually([&] { return receiver.received().size() >= 2; })) << listen.err();
  ASSERT_EQ(post("{\"g\":3}", "g-3").status, 200);
  ASSERT_TRUE(eventually([&] { return receiver.received().size() >= 3; })) << listen.err();
  // A graceful stop (SIGTERM: the stream's last chunk) is followed the same way.
  server->stop(SIGTERM);
  server = std::make_unique<ServerProcess>(config_);
  ASSERT_TRUE(server->started()) << server->stderr_text();
  ASSERT_EQ(post("{\"g\":4}", "g-4").status, 200);
  ASSERT_TRUE(eventually([&] { return receiver.received().size() >= 4; })) << listen.err();
  std::vector<std::string> ids;
  for (const auto& r : receiver.received())
    ids.push_back(header_of(r, "x-github-delivery"));
  EXPECT_EQ(ids, (std::vector<std::string>{"g-1", "g-2", "g-3", "g-4"}));
  EXPECT_NE(listen.err().find("the gateway ended the stream"), std::string::npos) << listen.err();
  EXPECT_NE(listen.err().find("reconnecting"), std::string::npos) << listen.err();
}

TEST_F(Listen, TheLocalServerIsRetriedOnFailureInOrderAndA4xxIsFinal) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  std::atomic<int> first_answers{0};
  LoopbackReceiver receiver([&](const ReceivedRequest& r) {
    const auto id = header_of(r, "x-github-delivery");
    // The app is restarting: two 503s before it takes the first event.
    if (id == "o-1" && first_answers++ < 2) return ReceiverAnswer{503, {}, "starting"};
    if (id == "o-2") return ReceiverAnswer{400, {}, "bad signature"};
    return ReceiverAnswer{};
  });
  BackgroundProcess listen(listen_args(receiver.port()), env(), dir_ / "listen");
  ASSERT_TRUE(eventually([&] { return listen.err().find("connected") != std::string::npos; }));
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(post("{\"o\":" + std::to_string(i) + "}", "o-" + std::to_string(i)).status, 200);
  }
  ASSERT_TRUE(eventually([&] { return listen.out().find("#3") != std::string::npos; }))
      << listen.err();
  std::vector<std::string> ids;
  for (const auto& r : receiver.received())
    ids.push_back(header_of(r, "x-github-delivery"));
  // Retried until taken, nothing overtaking it; the 400 is not retried.
  EXPECT_EQ(ids, (std::vector<std::string>{"o-1", "o-1", "o-1", "o-2", "o-3"}));
  const auto out = listen.out();
  EXPECT_NE(out.find("#1  push  accepted  -> 200"), std::string::npos) << out;
  EXPECT_NE(out.find("(3 attempts)"), std::string::npos) << out;
  EXPECT_NE(out.find("#2  push  accepted  -> 400"), std::string::npos) << out;
  EXPECT_NE(listen.err().find("local server answered 503; retrying in"), std::string::npos)
      << listen.err();
  EXPECT_TRUE(eventually([&] { return cursor_text() == "3"; })) << cursor_text();
}

TEST_F(Listen, SignReSignsWithStandardWebhooksAndSeveralSourcesAreRead) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  const auto key = *crypto::base64_decode(std::string_view(kWhsec).substr(6));
  std::atomic<int> valid{0};
  LoopbackReceiver receiver([&](const ReceivedRequest& r) {
    const auto id = header_of(r, "webhook-id");
    const auto ts = header_of(r, "webhook-timestamp");
    const auto expected =
        "v1," + crypto::base64_encode(crypto::hmac(crypto::DigestAlgorithm::sha256, key,
                                                   id + "." + ts + "." + r.body));
    if (!id.empty() && header_of(r, "webhook-signature") == expected) ++valid;
    return ReceiverAnswer{};
  });
  BackgroundProcess listen(
      listen_args(receiver.port(), {"--source", "second", "--sign", "env:HG_WHSEC", "--json"}),
      [&] {
        auto e = env();
        e["HG_WHSEC"] = kWhsec;
        return e;
      }(),
      dir_ / "listen");
  ASSERT_TRUE(eventually([&] {
    const auto err = listen.err();
    return err.find("github: connected") != std::string::npos &&
           err.find("second: connected") != std::string::npos;
  })) << listen.err();
  ASSERT_EQ(post("{\"s\":1}", "s-1").status, 200);
  ASSERT_EQ(post("{\"s\":2}", "s-2", "ping", "/in/second").status, 200);
  ASSERT_TRUE(eventually([&] { return receiver.received().size() >= 2; })) << listen.err();
  EXPECT_EQ(valid.load(), 2);
  ASSERT_TRUE(eventually([&] { return listen.out().find("\"second\"") != std::string::npos; }));
  // One JSON object per line.
  const auto out = listen.out();
  EXPECT_NE(out.find("\"source\":\"github\",\"seq\":1"), std::string::npos) << out;
  EXPECT_NE(out.find("\"result\":\"delivered\",\"status\":200"), std::string::npos) << out;
}

TEST_F(Listen, ReplayResendsOneEventAndRefusalsHaveTheirExitCodesWithoutTheToken) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  LoopbackReceiver receiver([](const ReceivedRequest&) { return ReceiverAnswer{}; });
  ASSERT_EQ(post(odd_body(1), "r-1").status, 200);
  ASSERT_EQ(post(odd_body(2), "r-2").status, 200);

  auto replayed = run_process(listen_args(receiver.port(), {"--replay", "2"}), "", env());
  EXPECT_EQ(replayed.exit_code, 0) << replayed.err;
  ASSERT_EQ(receiver.received().size(), 1U);
  EXPECT_EQ(receiver.received()[0].body, odd_body(2));
  EXPECT_EQ(header_of(receiver.received()[0], "x-github-delivery"), "r-2");
  const auto missing = run_process(listen_args(receiver.port(), {"--replay", "99"}), "", env());
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_NE(missing.err.find("no event 99"), std::string::npos) << missing.err;

  auto wrong_env = env();
  wrong_env["HG_LISTEN_TOKEN"] = "not-the-token-5e2a";
  const auto wrong = run_process(listen_args(receiver.port()), "", wrong_env);
  EXPECT_EQ(wrong.exit_code, 3) << wrong.err;
  EXPECT_NE(wrong.err.find("refused the token"), std::string::npos) << wrong.err;
  EXPECT_EQ(wrong.err.find("not-the-token-5e2a"), std::string::npos);

  auto args = listen_args(receiver.port());
  args[5] = "nosuch";
  const auto unknown = run_process(args, "", env());
  EXPECT_EQ(unknown.exit_code, 4) << unknown.err;
  EXPECT_NE(unknown.err.find("unknown source"), std::string::npos) << unknown.err;

  args = listen_args(receiver.port());
  args[3] = "http://127.0.0.1:" + std::to_string(free_port());
  const auto unreachable = run_process(args, "", env());
  EXPECT_EQ(unreachable.exit_code, 5) << unreachable.err;
  EXPECT_NE(unreachable.err.find("cannot reach the gateway"), std::string::npos) << unreachable.err;

  args[3] = "ftp://user:" + std::string(kToken) + "@example.com/";
  const auto bogus = run_process(args, "", env());
  EXPECT_EQ(bogus.exit_code, 2) << bogus.err;
  EXPECT_NE(bogus.err.find("--url"), std::string::npos) << bogus.err;
  EXPECT_EQ(bogus.err.find(kToken), std::string::npos) << bogus.err;

  const auto from = run_process(listen_args(receiver.port(), {"--from", "-3"}), "", env());
  EXPECT_EQ(from.exit_code, 2) << from.err;
  for (const auto* r : {&wrong, &unknown, &unreachable, &bogus, &from}) {
    EXPECT_EQ(r->out.find(kToken), std::string::npos);
    EXPECT_EQ(r->err.find(kToken), std::string::npos);
  }
}

TEST_F(Listen, OverHttpsTheGatewaysCertificateIsVerifiedAgainstTheSystemStoreAndCaFile) {
  const net::testing::TestCa ca;
  const auto leaf = ca.issue("localhost", "DNS:localhost,IP:127.0.0.1");
  std::ofstream(dir_ / "gw.crt") << leaf.cert;
  std::ofstream(dir_ / "gw.key") << leaf.key;
  std::ofstream(dir_ / "ca.pem") << ca.pem();
  const int tls_port = free_port();
  std::string text;
  {
    std::ifstream in(config_);
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto at = text.find("[store]");
  text.insert(at, "[[listener]]\nlisten = \"127.0.0.1:" + std::to_string(tls_port) +
                      "\"\ntls_certificate = \"" + (dir_ / "gw.crt").string() +
                      "\"\ntls_private_key = \"" + (dir_ / "gw.key").string() + "\"\n");
  std::ofstream(config_, std::ios::trunc) << text;
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  LoopbackReceiver receiver([](const ReceivedRequest&) { return ReceiverAnswer{}; });
  auto args = listen_args(receiver.port());
  args[3] = "https://127.0.0.1:" + std::to_string(tls_port);
  // A private CA the system does not trust: refused, with the reason.
  const auto refused = run_process(args, "", env());
  EXPECT_EQ(refused.exit_code, 5) << refused.err;
  EXPECT_NE(refused.err.find("certificate verify failed"), std::string::npos) << refused.err;
  // Trusted through --ca-file: the stream is read over TLS.
  args.insert(args.end(), {"--ca-file", (dir_ / "ca.pem").string()});
  BackgroundProcess listen(args, env(), dir_ / "listen");
  ASSERT_TRUE(eventually([&] { return listen.err().find("connected") != std::string::npos; }))
      << listen.err();
  ASSERT_EQ(post(odd_body(7), "tls-1").status, 200);
  ASSERT_TRUE(eventually([&] { return receiver.received().size() >= 1; })) << listen.err();
  EXPECT_EQ(receiver.received()[0].body, odd_body(7));
}

TEST_F(Listen, TailPrintsEventsWithControlCharactersEscaped) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  BackgroundProcess tail({HOOKGATE_BINARY, "tail", "--url", url(), "--source", "github", "--token",
                          "env:HG_LISTEN_TOKEN"},
                         env(), dir_ / "tail");
  ASSERT_TRUE(eventually([&] { return tail.err().find("connected") != std::string::npos; }));
  // Not JSON, valid UTF-8: printed as text, with a title-setting OSC, a screen clear, a bell, a
  // C1 CSI (U+009B) and a right-to-left override among it.
  const std::string hostile =
      "hello \x1b]0;pwned\x07 \x1b[2J \xC2\x9B"
      "31m \xE2\x80\xAE"
      "txt.exe\r\nend";
  ASSERT_EQ(post(hostile, "t-1", "evil").status, 200);
  ASSERT_EQ(post("{\"pretty\":{\"a\":[1,2]},\"esc\":\"\\u001b[31m\"}", "t-2").status, 200);
  ASSERT_TRUE(eventually([&] { return tail.out().find("#2") != std::string::npos; })) << tail.err();
  const auto out = tail.out();
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_EQ(out.find('\x07'), std::string::npos);
  EXPECT_EQ(out.find('\r'), std::string::npos);
  EXPECT_EQ(out.find("\xC2\x9B"), std::string::npos);
  EXPECT_EQ(out.find("\xE2\x80\xAE"), std::string::npos);
  EXPECT_NE(out.find("hello \\e]0;pwned\\x07 \\e[2J \\u{009B}31m \\u{202E}txt.exe\\r"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("#1  evil  accepted"), std::string::npos) << out;
  EXPECT_NE(out.find("x-github-delivery: t-1"), std::string::npos) << out;
  // JSON bodies pretty-printed; an escaped ESC inside a JSON string stays escaped.
  EXPECT_NE(out.find("{\n  \"pretty\": {\n    \"a\": [\n      1,\n      2\n    ]\n  },"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"esc\": \"\\\\u001b[31m\""), std::string::npos) << out;
}

}  // namespace
}  // namespace hookgate::e2e
