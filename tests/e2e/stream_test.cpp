// Event streams against the real binary over loopback: live events in order with their seqs as
// ids, resumption with Last-Event-ID or ?after= with exactly the missed events, the refusals
// (token, capability, cursor, method, caps), the header and idle timeouts not ending a stream,
// a consumer that stops reading cut off with the server's memory bounded, a gateway restarted
// under a stream, and on a shared PostgreSQL store a stream on one node seeing another node's
// events.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "server_process.hpp"
#include "sse_client.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"
#include "wait.hpp"

namespace hookgate::e2e {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSecret = "stream-github-secret";
constexpr const char* kToken = "stream-pull-token";
constexpr const char* kCapability = "Zk3q9-VbN2xw_Lr7TcY4pH8mJd6sEa1uQo5iGf0K";

class Stream : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    dir_ = fresh_test_dir("hookgate-stream");
    config_ = (dir_ / "hookgate.toml").string();
    write_config("", "");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_config(const std::string& server_extra, const std::string& streams) {
    std::ofstream(config_) << "[server]\nlisten = \"127.0.0.1:0\"\n"
                           << server_extra << "[store]\nurl = \"" << store_.url() << "\"\n"
                           << "[streams]\n"
                           << streams << R"(
[[source]]
name = "github"
scheme = "github"
secrets = [")" << kSecret << R"("]
pull_token = ")" << kToken << R"("
stream_capability = ")" << kCapability
                           << R"("
keep_headers = ["X-GitHub-Event", "X-GitHub-Delivery", "Host"]
event_type_from = "header:X-GitHub-Event"
[[source]]
name = "other"
path = "/in/other"
scheme = "github"
secrets = [")" << kSecret << R"("]
pull_token = "other-token"
)";
  }

  // GitHub's delivery id is not signed, so the replay key is a digest of the signed body: every
  // event here has a body of its own. "{}" stands for {"id":"<id>"}.
  static HttpResult post_event(int port, std::string body, const std::string& id,
                               const std::string& path = "/in/github") {
    if (body == "{}") body = R"({"id":")" + id + R"("})";
    return http_request(
        port, "POST", path,
        {{"X-GitHub-Event", "push"},
         {"X-GitHub-Delivery", id},
         {"X-Hub-Signature-256", "sha256=" + crypto::hex_encode(crypto::hmac(
                                                 crypto::DigestAlgorithm::sha256, kSecret, body))}},
        body);
  }

  static std::vector<std::pair<std::string, std::string>> auth(
      std::vector<std::pair<std::string, std::string>> more = {}) {
    more.emplace_back("Authorization", std::string("Bearer ") + kToken);
    return more;
  }

  static double gauge(int port, const std::string& name) {
    const auto m = http_request(port, "GET", "/metrics", {}, "");
    const auto at = m.body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(m.body.substr(at + name.size() + 2));
  }

  // The ready message, then the stream is live.
  static void expect_ready(SseClient& s, std::int64_t after) {
    ASSERT_EQ(s.status(), 200);
    EXPECT_EQ(s.headers().at("content-type"), "text/event-stream");
    const auto ready = s.next();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->event, "ready");
    EXPECT_EQ(ready->retry, "3000");
    const auto data = boost::json::parse(ready->data).as_object();
    EXPECT_EQ(data.at("source").as_string(), "github");
    if (after >= 0) {
      EXPECT_EQ(data.at("after").as_int64(), after);
    }
  }

  static std::string seq_of(const SseMessage& m) {
    return std::to_string(
        boost::json::parse(m.data).as_object().at("x-hookgate").as_object().at("seq").as_int64());
  }

  std::filesystem::path dir_;
  std::string config_;
  TestStore store_;
};

TEST_F(Stream, LiveEventsArriveInOrderWithTheirSeqAsIdAndTheSmeeEnvelope) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  SseClient s(server.port(), "/stream/github", auth());
  expect_ready(s, 0);
  std::vector<std::string> bodies;
  for (int i = 1; i <= 5; ++i) {
    bodies.push_back(R"({"n":)" + std::to_string(i) + R"(,"text":"line\nbreak"})");
    ASSERT_EQ(post_event(server.port(), bodies.back(), "d-" + std::to_string(i)).status, 200);
  }
  // An event of another source is not on this stream.
  ASSERT_EQ(post_event(server.port(), "{}", "o-1", "/in/other").status, 200);
  for (int i = 1; i <= 5; ++i) {
    const auto m = s.next();
    ASSERT_TRUE(m) << i;
    EXPECT_EQ(m->event, "");
    EXPECT_EQ(m->id, std::to_string(i));
    const auto env = boost::json::parse(m->data).as_object();
    // smee-client's shape: headers as lower-case keys, body parsed, query, timestamp in ms.
    EXPECT_EQ(env.at("x-github-event").as_string(), "push");
    EXPECT_EQ(env.at("x-github-delivery").as_string(), "d-" + std::to_string(i));
    EXPECT_FALSE(env.contains("host"));  // a forwarder's own
    EXPECT_EQ(env.at("body").as_object().at("n").as_int64(), i);
    EXPECT_TRUE(env.at("query").is_object());
    EXPECT_GT(env.at("timestamp").as_int64(), 1'600'000'000'000);
    const auto& own = env.at("x-hookgate").as_object();
    EXPECT_EQ(own.at("seq").as_int64(), i);
    EXPECT_EQ(own.at("event_type").as_string(), "push");
    EXPECT_EQ(own.at("verdict").as_string(), "accepted");
    EXPECT_EQ(crypto::base64_decode(std::string(own.at("body_base64").as_string())).value(),
              bodies[static_cast<std::size_t>(i - 1)]);
  }
  EXPECT_EQ(gauge(server.port(), "hookgate_streams_open"), 1);
}

TEST_F(Stream, ReconnectingWithLastEventIdGetsExactlyTheMissedEvents) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  for (int i = 1; i <= 3; ++i)
    ASSERT_EQ(post_event(server.port(), "{}", "a-" + std::to_string(i)).status, 200);
  {
    SseClient s(server.port(), "/stream/github?after=0", auth());
    expect_ready(s, 0);
    for (int i = 1; i <= 3; ++i) {
      const auto m = s.next();
      ASSERT_TRUE(m);
      EXPECT_EQ(m->id, std::to_string(i));
    }
  }
  // Missed while away, more than one page of the store's reads.
  for (int i = 4; i <= 40; ++i)
    ASSERT_EQ(post_event(server.port(), "{}", "a-" + std::to_string(i)).status, 200);
  // Last-Event-ID wins over the ?after= an EventSource keeps in its URL.
  SseClient again(server.port(), "/stream/github?after=0", auth({{"Last-Event-ID", "3"}}));
  expect_ready(again, 3);
  for (int i = 4; i <= 40; ++i) {
    const auto m = again.next();
    ASSERT_TRUE(m) << i;
    EXPECT_EQ(m->id, std::to_string(i));
    EXPECT_EQ(seq_of(*m), std::to_string(i));
  }
  // Then live: the next message is the next event, nothing repeated in between.
  ASSERT_EQ(post_event(server.port(), "{}", "a-41").status, 200);
  const auto live = again.next();
  ASSERT_TRUE(live);
  EXPECT_EQ(live->id, "41");
  // A stream without a cursor starts at the head: live events only.
  SseClient fresh(server.port(), "/stream/github", auth());
  expect_ready(fresh, 41);
  ASSERT_EQ(post_event(server.port(), "{}", "a-42").status, 200);
  const auto first = fresh.next();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, "42");
}

TEST_F(Stream, RefusalsTokenCapabilityCursorMethod) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  const auto get = [&](const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
    SseClient s(server.port(), target, headers);
    const int status = s.status();
    return std::pair{status, status == 200 ? std::string() : s.body()};
  };
  EXPECT_EQ(get("/stream/github", {{"Authorization", "Bearer wrong"}}).first, 401);
  EXPECT_EQ(get("/stream/github", {}).first, 401);
  // Tokens are never taken from the query string (it ends up in proxies' logs).
  EXPECT_EQ(get(std::string("/stream/github?token=") + kToken, {}).first, 401);
  EXPECT_EQ(get(std::string("/stream/github?access_token=") + kToken, {}).first, 401);
  // Another source's token does not open this one.
  EXPECT_EQ(get("/stream/github", {{"Authorization", "Bearer other-token"}}).first, 401);
  EXPECT_EQ(get("/stream/nosuch", auth()).first, 404);
  // A wrong capability, or one shorter by a character, is an unknown path.
  EXPECT_EQ(get("/stream/github/not-the-capability-0123456789abcdefghij", {}).first, 404);
  const std::string cap(kCapability);
  EXPECT_EQ(get("/stream/github/" + cap.substr(0, cap.size() - 1), {}).first, 404);
  // The capability opens its own source's stream only.
  EXPECT_EQ(get("/stream/other/" + cap, {}).first, 404);
  {
    SseClient s(server.port(), "/stream/github/" + cap, {});
    expect_ready(s, 0);
  }
  for (const auto* bad :
       {"abc", "-1", "01", "1.0", "+1", "99999999999999999999", "9223372036854775808", "1;2"}) {
    const auto r = get("/stream/github", auth({{"Last-Event-ID", bad}}));
    EXPECT_EQ(r.first, 400) << bad;
    EXPECT_EQ(r.second, "bad_last_event_id\n") << bad;
    const auto q = get(std::string("/stream/github?after=") + bad, auth());
    EXPECT_EQ(q.first, 400) << bad;
  }
  // A valid cursor past the head is a stream that starts empty, not an error.
  {
    SseClient s(server.port(), "/stream/github?after=9223372036854775807", auth());
    expect_ready(s, INT64_MAX);
  }
  const auto post = http_request(server.port(), "POST", "/stream/github", auth(), "");
  EXPECT_EQ(post.status, 405);
  EXPECT_TRUE(eventually([&] { return gauge(server.port(), "hookgate_streams_open") == 0; }, 20s));
}

TEST_F(Stream, ConcurrentStreamsAreCappedPerAddressAndPerNode) {
  write_config("", "max_streams_per_ip = 2\n");
  {
    ServerProcess server(config_);
    ASSERT_TRUE(server.started()) << server.stderr_text();
    SseClient a(server.port(), "/stream/github", auth());
    SseClient b(server.port(), "/stream/github", auth());
    expect_ready(a, -1);
    expect_ready(b, -1);
    SseClient c(server.port(), "/stream/github", auth());
    EXPECT_EQ(c.status(), 503);
    EXPECT_EQ(c.headers().at("retry-after"), "5");
  }
  write_config("", "max_streams = 1\n");
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  auto a = std::make_unique<SseClient>(server.port(), "/stream/github", auth());
  expect_ready(*a, -1);
  SseClient b(server.port(), "/stream/github", auth());
  EXPECT_EQ(b.status(), 503);
  // A closed stream frees its place.
  a.reset();
  ASSERT_TRUE(eventually([&] { return gauge(server.port(), "hookgate_streams_open") == 0; }, 20s));
  SseClient c(server.port(), "/stream/github", auth());
  expect_ready(c, -1);
}

TEST_F(Stream, HeaderAndIdleTimeoutsDoNotEndAStreamPingsKeepItAlive) {
  write_config("header_timeout_ms = 300\nidle_timeout_ms = 300\nbody_timeout_ms = 300\n",
               "ping_interval_ms = 200\n");
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  SseClient s(server.port(), "/stream/github", auth());
  expect_ready(s, 0);
  // Several times every timeout of a request: the stream outlives them, pinging meanwhile.
  ASSERT_TRUE(eventually([&] { return !s.next(1s) && s.comments() >= 5; }, 30s));
  ASSERT_EQ(post_event(server.port(), "{}", "t-1").status, 200);
  const auto m = s.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->id, "1");
}

TEST_F(Stream, AConsumerThatStopsReadingIsCutOffAndMemoryStaysBounded) {
  write_config("max_body_bytes = 1048576\n",
               "buffer_bytes = 65536\nwrite_timeout_ms = 2000\nping_interval_ms = 100000\n");
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  // A reader that takes the head and the ready message, then never reads again.
  SseClient stuck(server.port(), "/stream/github", auth(), 4096);
  expect_ready(stuck, 0);
  ASSERT_EQ(gauge(server.port(), "hookgate_streams_open"), 1);
  [[maybe_unused]] const double rss_before = gauge(server.port(), "process_resident_memory_bytes");
  // 64 MiB of events (base64 and JSON make the stream's form larger still): many times what the
  // kernel's socket buffers can hold, so the stream's own queue must take the rest or refuse it.
  const std::string filler(1000 * 1024, 'x');
  for (int i = 0; i < 64; ++i) {
    const auto body = "\"" + std::to_string(i) + filler + "\"";
    ASSERT_EQ(post_event(server.port(), body, "big-" + std::to_string(i)).status, 200) << i;
  }
  // Cut off: by the bound of its queue, or by the write timeout when nothing moves.
  ASSERT_TRUE(eventually([&] { return gauge(server.port(), "hookgate_streams_open") == 0; }, 60s));
#if !defined(__SANITIZE_ADDRESS__)
  // Kept memory, not copies of the backlog: under ASan freed memory stays in its quarantine, so
  // the figure means something only in a plain build.
  const double rss_after = gauge(server.port(), "process_resident_memory_bytes");
  EXPECT_LT(rss_after - rss_before, 48.0 * 1024 * 1024) << rss_before << " -> " << rss_after;
#endif
  // The consumer comes back and resumes where its stream stopped; the server still serves.
  SseClient back(server.port(), "/stream/github", auth({{"Last-Event-ID", "0"}}));
  expect_ready(back, 0);
  const auto m = back.next();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->id, "1");
}

TEST_F(Stream, AGatewayRestartedUnderAStreamIsResumedWithoutAGap) {
  auto server = std::make_unique<ServerProcess>(config_);
  ASSERT_TRUE(server->started()) << server->stderr_text();
  for (int i = 1; i <= 3; ++i)
    ASSERT_EQ(post_event(server->port(), "{}", "r-" + std::to_string(i)).status, 200);
  SseClient s(server->port(), "/stream/github?after=0", auth());
  expect_ready(s, 0);
  std::string last;
  for (int i = 1; i <= 2; ++i) {
    const auto m = s.next();
    ASSERT_TRUE(m);
    last = m->id;
  }
  // SIGTERM ends the stream cleanly (its last chunk) within the shutdown, not at a timeout.
  const auto stopping = std::chrono::steady_clock::now();
  EXPECT_EQ(server->stop(SIGTERM), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 20s);
  ASSERT_TRUE(s.ended(5s));
  EXPECT_TRUE(s.clean());
  server = std::make_unique<ServerProcess>(config_);
  ASSERT_TRUE(server->started()) << server->stderr_text();
  for (int i = 4; i <= 5; ++i)
    ASSERT_EQ(post_event(server->port(), "{}", "r-" + std::to_string(i)).status, 200);
  SseClient again(server->port(), "/stream/github", auth({{"Last-Event-ID", last}}));
  expect_ready(again, 2);
  for (int i = 3; i <= 5; ++i) {
    const auto m = again.next();
    ASSERT_TRUE(m) << i;
    EXPECT_EQ(m->id, std::to_string(i));
  }
}

TEST_F(Stream, AStreamOnOneNodeSeesEventsAcceptedByAnother) {
  if (!store_.postgres()) GTEST_SKIP() << "needs a shared PostgreSQL store";
  ServerProcess one(config_);
  ASSERT_TRUE(one.started()) << one.stderr_text();
  ServerProcess two(config_);
  ASSERT_TRUE(two.started()) << two.stderr_text();
  SseClient s(one.port(), "/stream/github", auth());
  expect_ready(s, -1);
  for (int i = 1; i <= 3; ++i)
    ASSERT_EQ(post_event(two.port(), "{}", "n-" + std::to_string(i)).status, 200);
  // Node one learns of them from the store's notifications (LISTEN/NOTIFY), not by polling.
  for (int i = 1; i <= 3; ++i) {
    const auto m = s.next(20s);
    ASSERT_TRUE(m) << i;
    EXPECT_EQ(m->id, std::to_string(i));
  }
}

}  // namespace
}  // namespace hookgate::e2e
