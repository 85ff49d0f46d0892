// The delivery engine under the conditions real endpoints create, through the real `hookgate
// serve` and its management API, against a receiver that serves every connection at once: slow
// and hanging endpoints do not starve healthy ones; a thousand attempts in flight survive a
// SIGKILL (every acknowledged message is delivered after the restart); and a rate limit holds as
// the receiver sees it: sends paced at their slots, not bursts.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "concurrent_receiver.hpp"
#include "server_process.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"
#include "wait.hpp"

namespace hookgate::e2e {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kAdminKey = "e2e-admin-key-engine-0123456789";
constexpr const char* kSealKey = "c2VhbGluZy1rZXktZm9yLW91dGJvdW5kLWUyZS10c3Q=";

json::object object_of(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The message id the receiver sees in the path ("/<kind>?m=<n>") of each hit.
std::size_t count_path(const std::vector<Hit>& hits, const std::string& prefix) {
  return static_cast<std::size_t>(std::count_if(
      hits.begin(), hits.end(), [&](const Hit& h) { return h.target.starts_with(prefix); }));
}

class Deliver : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    dir_ = fresh_test_dir("hookgate-deliver");
    config_ = (dir_ / "hookgate.toml").string();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // API on, loopback endpoints allowed; the outbound timeout and per-endpoint concurrency as the
  // test needs them.
  void write_config(int timeout_ms, int concurrency, int lease_seconds,
                    const std::string& delivery_extra = "") {
    std::ofstream(config_) << R"([server]
listen = "127.0.0.1:0"
[store]
url = ")" << store_.url() << R"("
[delivery]
schedule = [1, 1, 1, 1, 1]
jitter = 0
lease_seconds = )" << lease_seconds
                           << "\n"
                           << delivery_extra << R"(
[outbound]
allow_cidrs = ["127.0.0.1/32"]
require_https = false
timeout_ms = )" << timeout_ms
                           << R"(
concurrency = )" << concurrency
                           << R"(
secret_key = ")" << kSealKey
                           << R"("
[api]
enabled = true
admin_keys = [")" << kAdminKey
                           << R"("]
)";
  }

  void start() {
    server_ = std::make_unique<ServerProcess>(config_);
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
  }

  HttpResult call(const std::string& method, const std::string& path,
                  const std::string& body = "") const {
    std::vector<std::pair<std::string, std::string>> headers{
        {"Authorization", std::string("Bearer ") + kAdminKey}};
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return http_request(server_->port(), method, path, headers, body);
  }

  std::string create_app() const {
    const auto r = call("POST", "/api/v1/app", R"({"name":"engine"})");
    EXPECT_EQ(r.status, 201) << r.body;
    return str(object_of(r.body), "id");
  }

  // An endpoint receiving the event type `kind` at /<kind>/<n>.
  std::string create_endpoint(const std::string& app, int port, const std::string& kind,
                              json::object extra = {}) const {
    extra["url"] = "http://127.0.0.1:" + std::to_string(port) + "/" + kind;
    extra["eventTypes"] = json::array{json::string(kind)};
    const auto r = call("POST", "/api/v1/app/" + app + "/endpoint", json::serialize(extra));
    EXPECT_EQ(r.status, 201) << r.body;
    return str(object_of(r.body), "id");
  }

  bool publish(const std::string& app, const std::string& kind, int n) const {
    const auto r =
        call("POST", "/api/v1/app/" + app + "/msg",
             R"({"eventType":")" + kind + R"(","payload":{"n":)" + std::to_string(n) + "}}");
    EXPECT_EQ(r.status, 202) << r.body;
    return r.status == 202;
  }

  std::filesystem::path dir_;
  std::string config_;
  TestStore store_;
  std::unique_ptr<ServerProcess> server_;
};

// Four endpoints hang until the timeout, one answers after a second, one is healthy: the
// healthy endpoint's 100 messages all arrive while the hanging ones are still being waited for
// (their attempts outnumber the threads the old engine had).
TEST_F(Deliver, SlowAndHangingEndpointsDoNotStarveHealthyOnes) {
  ConcurrentReceiver receiver([](const Hit& hit) {
    Reply reply;
    if (hit.target.starts_with("/hang")) reply.hold = true;
    if (hit.target.starts_with("/slow")) reply.delay = milliseconds(1000);
    return reply;
  });
  // A 20 s timeout: the hanging attempts are still open when the bounded wait below ends.
  write_config(20'000, 4, 30);
  start();
  const auto app = create_app();
  for (int h = 0; h < 4; ++h)
    create_endpoint(app, receiver.port(), "hang" + std::to_string(h));
  create_endpoint(app, receiver.port(), "slow");
  create_endpoint(app, receiver.port(), "ok");
  for (int h = 0; h < 4; ++h) {
    for (int i = 0; i < 8; ++i)
      ASSERT_TRUE(publish(app, "hang" + std::to_string(h), i));
  }
  for (int i = 0; i < 8; ++i)
    ASSERT_TRUE(publish(app, "slow", i));
  // Every hanging endpoint holds its whole concurrency before the healthy messages go out.
  ASSERT_TRUE(eventually([&] { return receiver.held() == 16; }, seconds(15))) << receiver.held();
  const auto healthy_start = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(publish(app, "ok", i));
  ASSERT_TRUE(eventually([&] { return count_path(receiver.hits(), "/ok") >= 100; }, seconds(15)))
      << count_path(receiver.hits(), "/ok") << " of 100 healthy messages arrived";
  // Still within the hanging attempts' timeout: they were waited for all along.
  EXPECT_LT(std::chrono::steady_clock::now() - healthy_start, seconds(20));
  EXPECT_EQ(receiver.held(), 16U);  // each hanging endpoint within its own concurrency
  EXPECT_GE(count_path(receiver.hits(), "/slow"), 4U);
  receiver.release_held(200);
}

// A thousand attempts held open by the receiver, then SIGKILL: after a restart (leases expire)
// every message the API acknowledged reaches the receiver at least once.
TEST_F(Deliver, AThousandAttemptsInFlightSurviveSigkill) {
  std::atomic<bool> answer{false};
  ConcurrentReceiver receiver([&](const Hit&) {
    Reply reply;
    reply.hold = !answer.load();
    return reply;
  });
  write_config(10'000, 4, 12, "max_in_flight = 2000\n");
  start();
  const auto app = create_app();
  constexpr int kEndpoints = 250;
  for (int e = 0; e < kEndpoints; ++e)
    create_endpoint(app, receiver.port(), "e" + std::to_string(e));
  std::set<std::string> acknowledged;
  for (int e = 0; e < kEndpoints; ++e) {
    for (int i = 0; i < 4; ++i) {
      if (publish(app, "e" + std::to_string(e), i))
        acknowledged.insert("/e" + std::to_string(e) + "#" + std::to_string(i));
    }
  }
  ASSERT_TRUE(eventually([&] { return receiver.held() >= 1000; }, seconds(60)))
      << receiver.held() << " attempts in flight";
  EXPECT_EQ(server_->stop(SIGKILL), 128 + SIGKILL);
  server_.reset();
  answer = true;
  receiver.release_held(500);  // the killed node's connections are gone; nothing counts
  const auto before_restart = receiver.hits().size();
  start();
  // Redelivered once the dead node's leases (12 s) expire.
  const auto delivered = [&] {
    std::set<std::string> seen;
    const auto hits = receiver.hits();
    for (std::size_t i = before_restart; i < hits.size(); ++i) {
      const auto body = object_of(hits[i].body);
      const auto* n = body.if_contains("n");
      const auto path = hits[i].target;
      if (n != nullptr && n->is_int64()) {
        seen.insert(path + "#" + std::to_string(n->as_int64()));
      }
    }
    return seen;
  };
  ASSERT_TRUE(eventually(
      [&] {
        const auto seen = delivered();
        return std::includes(seen.begin(), seen.end(), acknowledged.begin(), acknowledged.end());
      },
      seconds(90)))
      << delivered().size() << " of " << acknowledged.size() << " acknowledged messages delivered";
}

// SIGKILL while one fast endpoint's results are written in batches and its claims are answered
// at their commit (no sync of their own): some attempts answered and recorded, some answered and
// not recorded yet, some claimed and not sent. After a restart every acknowledged message reaches
// the receiver and is answered at least once.
TEST_F(Deliver, SigkillAmidBatchedClaimsAndRecordsLosesNothingAcknowledged) {
  std::atomic<bool> answer{false};
  std::atomic<int> answered{0};
  std::mutex m;
  std::set<std::string> answered_200;  // only what the receiver answered counts as delivered
  ConcurrentReceiver receiver([&](const Hit& hit) {
    Reply reply;
    // The first 150 are answered at once (their results batched); the rest are held open.
    reply.hold = !answer.load() && answered.fetch_add(1) >= 150;
    if (!reply.hold) {
      const auto body = object_of(hit.body);
      const auto* n = body.if_contains("n");
      const std::lock_guard lock(m);
      if (n != nullptr && n->is_int64())
        answered_200.insert(hit.target + "#" + std::to_string(n->as_int64()));
    }
    return reply;
  });
  write_config(10'000, 16, 12);
  start();
  const auto app = create_app();
  create_endpoint(app, receiver.port(), "fast");
  std::set<std::string> acknowledged;
  for (int i = 0; i < 400; ++i) {
    if (publish(app, "fast", i)) acknowledged.insert("/fast#" + std::to_string(i));
  }
  ASSERT_TRUE(eventually([&] { return receiver.held() >= 16; }, seconds(60)))
      << receiver.held() << " attempts in flight";
  EXPECT_EQ(server_->stop(SIGKILL), 128 + SIGKILL);
  server_.reset();
  answer = true;
  receiver.release_held(500);
  start();
  const auto seen = [&] {
    const std::lock_guard lock(m);
    return answered_200;
  };
  ASSERT_TRUE(eventually(
      [&] {
        const auto s = seen();
        return std::includes(s.begin(), s.end(), acknowledged.begin(), acknowledged.end());
      },
      seconds(90)))
      << seen().size() << " of " << acknowledged.size() << " acknowledged messages delivered";
}

// 40 messages to an endpoint limited to 5 per second arrive paced, 200 ms apart, not in bursts
// (burst 1). Before, the claimer woke once a second and sent what was due at once.
TEST_F(Deliver, ARateLimitHoldsInEverySlidingSecondAtTheReceiver) {
  ConcurrentReceiver receiver([](const Hit&) { return Reply{}; });
  write_config(5'000, 4, 30);
  start();
  const auto app = create_app();
  create_endpoint(app, receiver.port(), "limited", json::object{{"throttleRate", 5}});
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(publish(app, "limited", i));
  ASSERT_TRUE(
      eventually([&] { return count_path(receiver.hits(), "/limited") >= 40; }, seconds(60)))
      << count_path(receiver.hits(), "/limited");
  std::vector<std::chrono::steady_clock::time_point> at;
  for (const auto& h : receiver.hits())
    at.push_back(h.at);
  std::sort(at.begin(), at.end());
  // The most arrivals inside any sliding window.
  const auto most_within = [&](milliseconds window) {
    std::size_t most = 0;
    for (std::size_t i = 0; i < at.size(); ++i) {
      std::size_t j = i;
      while (j < at.size() && at[j] - at[i] < window)
        ++j;
      most = std::max(most, j - i);
    }
    return most;
  };
  // Paced, not bursts: consecutive arrivals are 200 ms apart. The old engine sent what a
  // once-a-second claim found due at once: 5 within a few ms, so 4 of every 5 gaps were tiny.
  // A few close pairs are allowed for a loaded two-core machine, where a thread that is not
  // scheduled for a few hundred ms makes the sends due meanwhile go out together.
  std::size_t close_pairs = 0;
  for (std::size_t i = 1; i < at.size(); ++i)
    close_pairs += at[i] - at[i - 1] < milliseconds(100) ? 1 : 0;
  EXPECT_LE(close_pairs, 5U);
  // The windows themselves, printed: at most 5 in any second unless the machine stalled.
  std::cerr << "most arrivals in a sliding second: " << most_within(milliseconds(1000))
            << ", gaps under 100 ms: " << close_pairs << " of " << at.size() - 1 << "\n";
  // And the rate itself: 40 sends at 5 per second span at least 39 intervals (less the noise).
  EXPECT_GE(at.back() - at.front(), milliseconds(39 * 200 - 500));
}

}  // namespace
}  // namespace hookgate::e2e
