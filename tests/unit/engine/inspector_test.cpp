// The inspector's rings: bounded by count and by bytes whatever arrives, bodies cut to their
// bound, every kind of secret-bearing header redacted, and the mirrored JSON form refused when
// it is malformed or beyond the limits. Plus the per-second series it feeds.
#include "engine/inspector.hpp"

#include <gtest/gtest.h>

#include "engine/stats_series.hpp"

namespace hookgate::engine {
namespace {

constexpr std::string_view kConfig = R"(
[[source]]
name = "github"
path = "/in/github"
scheme = "github"
secrets = ["gh-secret-value"]
[[source]]
name = "gitlab"
path = "/in/gitlab"
scheme = "gitlab"
secrets = ["gl-token-value"]
)";

class InspectorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = config::parse_config(kConfig, "/tmp/hookgate-inspector-test.toml");
    ASSERT_TRUE(c) << c.error();
    config_ = std::move(c.value());
  }

  void capture(Inspector& in, const std::string& source, std::string body,
               schemes::HeaderList headers = {}, std::string_view verdict = "refused",
               std::string_view reason = "no_match") {
    in.capture(source, 1000, {"POST", "/in/x?code=secret", headers, body, body.size(), peer_},
               verdict, reason, 401, 0);
  }

  config::Config config_;
  std::optional<net::IpAddress> peer_ = net::IpAddress::parse("192.0.2.7");
};

TEST_F(InspectorTest, RingIsBoundedByCountAndKeepsTheNewest) {
  InspectorLimits limits;
  limits.max_entries = 5;
  Inspector in(config_, "node-a", nullptr, limits);
  for (int i = 0; i < 50; ++i)
    capture(in, "github", "body" + std::to_string(i));
  const auto ring = in.ring("github");
  ASSERT_TRUE(ring);
  ASSERT_EQ(ring->entries.size(), 5u);
  EXPECT_EQ(ring->entries.back().body, "body49");
  EXPECT_EQ(ring->entries.front().body, "body45");
  EXPECT_LT(ring->entries.front().n, ring->entries.back().n);
  EXPECT_EQ(in.counts("github")->refused, 50u);
  EXPECT_EQ(in.ring("gitlab")->entries.size(), 0u);  // rings are per source
}

TEST_F(InspectorTest, RingIsBoundedByBytesAndBodiesAreCut) {
  InspectorLimits limits;
  limits.max_entries = 1000;
  limits.max_bytes = 64 << 10;
  limits.max_body_bytes = 4 << 10;
  Inspector in(config_, "node-a", nullptr, limits);
  for (int i = 0; i < 200; ++i)
    capture(in, "github", std::string(100 << 10, 'x'));
  const auto counts = in.counts("github");
  EXPECT_LE(counts->bytes, limits.max_bytes);
  EXPECT_GT(counts->entries, 1u);
  EXPECT_LT(counts->entries, 20u);
  const auto ring = in.ring("github");
  EXPECT_EQ(ring->entries.back().body.size(), limits.max_body_bytes);
  EXPECT_EQ(ring->entries.back().body_size, std::size_t{100} << 10);
  EXPECT_EQ(ring->entries.back().path, "/in/x");  // never the query
  EXPECT_EQ(ring->entries.back().peer, "192.0.2.7");
}

TEST_F(InspectorTest, SecretBearingHeadersAreRedacted) {
  Inspector in(config_, "node-a");
  schemes::HeaderList h{{"Authorization", "Bearer abc"},
                        {"cookie", "s=1"},
                        {"Proxy-Authorization", "Basic x"},
                        {"X-Hub-Signature-256", "sha256=00"},
                        {"X-Gitlab-Token", "guess"},
                        {"X-Api-Key", "k"},
                        {"X-Echo", "contains gh-secret-value here"},
                        {"X-Hook-Secret", "s"},
                        {"Content-Type", "application/json"},
                        {"X-Trace", "<script>"}};
  capture(in, "github", "{}", h);
  const auto e = in.ring("github")->entries.back();
  std::map<std::string, std::string> shown(e.headers.begin(), e.headers.end());
  for (const auto* name : {"Authorization", "cookie", "Proxy-Authorization", "X-Hub-Signature-256",
                           "X-Gitlab-Token", "X-Api-Key", "X-Echo", "X-Hook-Secret"}) {
    EXPECT_EQ(shown[name], kRedacted) << name;
  }
  EXPECT_EQ(shown["Content-Type"], "application/json");
  EXPECT_EQ(shown["X-Trace"], "<script>");
  EXPECT_EQ(e.redacted.size(), 8u);
  // The gitlab source's token is its secret: a header carrying it is redacted under any name.
  EXPECT_TRUE(in.secret_header("gitlab", "X-Whatever", "gl-token-value"));
  EXPECT_FALSE(in.secret_header("gitlab", "X-Whatever", "harmless"));
}

TEST_F(InspectorTest, MirroredRingsRoundTripAndBadRecordsAreRefused) {
  InspectorLimits limits;
  limits.max_entries = 3;
  Inspector in(config_, "node-a", nullptr, limits);
  schemes::HeaderList h{{"Authorization", "Bearer abc"}, {"X-A", "b"}};
  capture(in, "github", std::string("\x00\xff binary", 9), h);
  const auto ring = in.ring("github");
  const auto text = encode_ring(*ring);
  EXPECT_EQ(text.find("Bearer abc"), std::string::npos);
  const auto back = decode_ring(text, limits);
  ASSERT_TRUE(back);
  ASSERT_EQ(back->entries.size(), 1u);
  EXPECT_EQ(back->entries[0].body, ring->entries[0].body);
  EXPECT_EQ(back->entries[0].headers, ring->entries[0].headers);
  EXPECT_EQ(back->node, "node-a");

  // More entries than a ring may hold, a body beyond the bound, not JSON: refused.
  for (int i = 0; i < 5; ++i)
    capture(in, "github", "x");
  InspectorLimits smaller = limits;
  smaller.max_entries = 2;
  EXPECT_FALSE(decode_ring(encode_ring(*in.ring("github")), smaller));
  smaller = limits;
  smaller.max_body_bytes = 4;
  capture(in, "github", "0123456789");
  EXPECT_FALSE(decode_ring(encode_ring(*in.ring("github")), smaller));
  EXPECT_FALSE(decode_ring("[1,2", limits));
  EXPECT_FALSE(decode_ring(R"({"node":"n","updated_ms":1,"entries":[{"n":1}]})", limits));
}

TEST_F(InspectorTest, CountersFeedThePerSecondSeries) {
  StatsSeries series;
  Inspector in(config_, "node-a", &series);
  in.accepted("github", 5'000);
  in.accepted("github", 5'999);
  capture(in, "github", "x", {}, "refused", "no_match");
  capture(in, "github", "x", {}, "duplicate", "duplicate");
  const auto w = series.window(6'500, 10);
  ASSERT_EQ(w.counters[StatsSeries::accepted].size(), 10u);
  EXPECT_EQ(w.start_s, -3);  // clamped by nothing: the window simply starts before 0
  EXPECT_EQ(w.counters[StatsSeries::accepted][8], 2u);  // second 5
  EXPECT_EQ(w.counters[StatsSeries::refused][4], 1u);   // second 1 (capture at 1000 ms)
  EXPECT_EQ(w.counters[StatsSeries::duplicate][4], 1u);
  EXPECT_EQ(w.reasons.at("no_match")[4], 1u);
}

TEST(StatsSeriesTest, OldSecondsAreForgottenAndReasonsBounded) {
  StatsSeries s;
  s.add(StatsSeries::delivered, 1'000);
  // An hour later the slot of second 1 holds second 3601: the old count is gone.
  s.add(StatsSeries::delivered, 3'601'000);
  const auto w = s.window(3'601'000, StatsSeries::kSeconds);
  std::uint64_t total = 0;
  for (const auto v : w.counters[StatsSeries::delivered])
    total += v;
  EXPECT_EQ(total, 1u);
  for (int i = 0; i < 100; ++i)
    s.refused_for("reason_" + std::to_string(i), 3'601'000);
  const auto r = s.window(3'601'000, 1);
  EXPECT_LE(r.reasons.size(), StatsSeries::kMaxReasons);
  EXPECT_EQ(r.counters[StatsSeries::refused][0], 100u);
  EXPECT_GT(r.reasons.at("other")[0], 0u);
}

}  // namespace
}  // namespace hookgate::engine
