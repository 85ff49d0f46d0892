// The per-node stats mirror against a real SQLite store (the records are the same on every
// backend) and a clock the test sets: a node's hour goes into one record, read back by another
// node as the same counts; windows are summed second by second; stale nodes and the reader's own
// record are left out; an unchanged record is not rewritten before its heartbeat; malformed or
// oversized records are refused.
#include "engine/stats_mirror.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "engine/inspector.hpp"

namespace hookgate::engine {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;

std::uint64_t sum(const std::vector<std::uint64_t>& v) {
  std::uint64_t s = 0;
  for (const auto x : v)
    s += x;
  return s;
}

class StatsMirrorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hookgate-stats-mirror-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto s = store::open_store("sqlite://" + (dir_ / "h.db").string());
    ASSERT_TRUE(s) << s.error();
    store_ = std::move(s.value());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::int64_t now_ = kNow;
};

TEST_F(StatsMirrorTest, AnotherNodeReadsThisNodesCountsAndCircuits) {
  StatsSeries series;
  for (int i = 0; i < 3; ++i)
    series.add(StatsSeries::accepted, kNow - 2000);
  series.add(StatsSeries::delivered, kNow);
  series.refused_for("no_match", kNow - 30'000);
  StatsMirror mirror(
      series, "node-2", [] { return std::vector<std::string>{"ep_1"}; }, *store_,
      [this] { return now_; });
  mirror.flush();

  auto others = mirrored_stats(*store_, node_tag("node-1"), now_);
  ASSERT_TRUE(others) << others.error();
  ASSERT_EQ(others->size(), 1u);
  const auto& n2 = (*others)[0];
  EXPECT_EQ(n2.node, "node-2");
  EXPECT_EQ(n2.open_circuits, std::vector<std::string>{"ep_1"});
  EXPECT_EQ(sum(n2.window.counters[StatsSeries::accepted]), 3u);
  EXPECT_EQ(sum(n2.window.counters[StatsSeries::delivered]), 1u);
  ASSERT_TRUE(n2.window.reasons.contains("no_match"));

  // Summed into node 1's own window of the last minute, second by second.
  StatsSeries own;
  own.add(StatsSeries::accepted, kNow - 2000);
  auto w = own.window(now_, 60);
  add_window(w, n2.window);
  EXPECT_EQ(w.counters[StatsSeries::accepted][57], 4u);  // the second of kNow - 2000
  EXPECT_EQ(sum(w.counters[StatsSeries::accepted]), 4u);
  EXPECT_EQ(sum(w.counters[StatsSeries::refused]), 1u);
  EXPECT_EQ(sum(w.reasons.at("no_match")), 1u);
  // A window that ends before the refusal does not get it.
  auto early = own.window(now_, 10);
  add_window(early, n2.window);
  EXPECT_EQ(sum(early.counters[StatsSeries::refused]), 0u);
  EXPECT_FALSE(early.reasons.contains("no_match"));

  // Its own record is not "another node"; a node not heard from for kStatsStaleMs is left out.
  auto own_view = mirrored_stats(*store_, node_tag("node-2"), now_);
  ASSERT_TRUE(own_view);
  EXPECT_TRUE(own_view->empty());
  now_ += kStatsStaleMs + 1;
  auto stale = mirrored_stats(*store_, node_tag("node-1"), now_);
  ASSERT_TRUE(stale);
  EXPECT_TRUE(stale->empty());
}

TEST_F(StatsMirrorTest, AnUnchangedRecordWaitsForItsHeartbeat) {
  StatsSeries series;
  series.add(StatsSeries::accepted, kNow);
  StatsMirror mirror(series, "node-2", {}, *store_, [this] { return now_; });
  mirror.flush();
  const auto version = [&] {
    auto r = store_->record(kStatsRecordKind, node_tag("node-2"));
    return r && *r ? (*r)->version : 0;
  };
  EXPECT_EQ(version(), 1);
  now_ += 1000;
  mirror.flush();
  EXPECT_EQ(version(), 1);  // nothing changed
  series.add(StatsSeries::accepted, now_);
  mirror.flush();
  EXPECT_EQ(version(), 2);
  now_ += kStatsHeartbeatMs;
  mirror.flush();
  EXPECT_EQ(version(), 3);  // the heartbeat keeps it fresh
}

TEST_F(StatsMirrorTest, MalformedAndOversizedRecordsAreRefused) {
  NodeStats s;
  s.node = "n";
  s.updated_ms = kNow;
  s.window.start_s = kNow / 1000 - 3599;
  for (auto& c : s.window.counters)
    c.assign(StatsSeries::kSeconds, 0);
  s.window.counters[0][5] = 7;
  const auto text = encode_node_stats(s);
  const auto back = decode_node_stats(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->window.counters[0][5], 7u);
  const auto start = std::to_string(s.window.start_s);
  const auto before = std::to_string(s.window.start_s - 1);
  const auto after = std::to_string(s.window.start_s + 3600);
  const auto doc = [&](const std::string& rows, const std::string& reasons = "{}",
                       const std::string& open = "[]") {
    return R"({"node":"n","updated_ms":1,"start_s":)" + start + R"(,"rows":)" + rows +
           R"(,"reasons":)" + reasons + R"(,"open":)" + open + "}";
  };
  EXPECT_TRUE(decode_node_stats(doc("[[" + start + ",1,0,0,0,0,0]]")));
  EXPECT_FALSE(decode_node_stats(doc("[[" + before + ",1,0,0,0,0,0]]")));  // outside the hour
  EXPECT_FALSE(decode_node_stats(doc("[[" + after + ",1,0,0,0,0,0]]")));
  EXPECT_FALSE(decode_node_stats(doc("[[" + start + ",-1,0,0,0,0,0]]")));  // negative
  EXPECT_FALSE(decode_node_stats(doc("[[" + start + ",1,0,0]]")));         // short row
  EXPECT_FALSE(decode_node_stats(doc("[]", R"({"x":[[)" + before + ",1]]}")));
  std::string many = "[";
  for (std::size_t i = 0; i <= kMaxMirroredCircuits; ++i)
    many += std::string(i == 0 ? "" : ",") + "\"ep\"";
  EXPECT_FALSE(decode_node_stats(doc("[]", "{}", many + "]")));
  EXPECT_FALSE(decode_node_stats("not json"));
  EXPECT_FALSE(decode_node_stats(std::string((std::size_t{4} << 20) + 1, ' ')));
}

}  // namespace
}  // namespace hookgate::engine
