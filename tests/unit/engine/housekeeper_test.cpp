// The housekeeper against a real SQLite store: a round prunes every expired window in batches,
// leaves live ones, reports what it did, and the background thread runs rounds until stopped.
#include "hookgate/engine/housekeeper.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "../store/sqlite/sqlite_backend.hpp"

namespace hookgate::engine {
namespace {

using namespace std::chrono_literals;

class HousekeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = instance_.open({});
    ASSERT_TRUE(opened) << opened.error();
    store_ = std::move(opened).value();
  }
  void keyed(const std::string& key, std::int64_t until_ms) {
    store::NewEvent e;
    e.source = "github";
    e.received_ms = 1000;
    e.dedupe_key = key;
    e.dedupe_until_ms = until_ms;
    e.body = "{}";
    auto appended = store_->append(std::move(e));
    ASSERT_TRUE(appended) << appended.error();
    ASSERT_FALSE(appended->duplicate);
  }
  bool is_duplicate(const std::string& key) {
    store::NewEvent e;
    e.source = "github";
    e.received_ms = 50'000;
    e.dedupe_key = key;
    e.dedupe_until_ms = 60'000;
    auto appended = store_->append(std::move(e));
    return appended && appended->duplicate;
  }

  store::testing::SqliteInstance instance_;  // the file, removed after the store closes
  std::unique_ptr<store::Store> store_;
};

TEST_F(HousekeeperTest, ARoundPrunesEveryExpiredWindowInBatches) {
  for (int i = 0; i < 12; ++i)
    keyed("old-" + std::to_string(i), 2000 + i);
  keyed("live", 100'000);
  Housekeeper keeper(*store_, [] { return std::int64_t{40'000}; }, {60s, 5});
  auto round = keeper.run_once();
  ASSERT_TRUE(round) << round.error();
  EXPECT_EQ(*round, 12);  // 5 + 5 + 2: batches until one comes back short
  auto again = keeper.run_once();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
  EXPECT_TRUE(is_duplicate("live"));
  EXPECT_FALSE(is_duplicate("old-3"));
}

TEST_F(HousekeeperTest, TheBackgroundThreadRunsRoundsAndReportsUntilStopped) {
  keyed("a", 2000);
  std::mutex m;
  std::int64_t reported = 0;
  std::atomic<std::int64_t> now{1000};  // nothing expired yet at the first round
  Housekeeper keeper(
      *store_, [&] { return now.load(); }, {20ms, 100},
      [&](std::int64_t pruned, const std::string& error) {
        EXPECT_TRUE(error.empty()) << error;
        const std::lock_guard lock(m);
        reported += pruned;
      });
  keeper.start();
  now = 3000;  // a later round finds the window over
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (;;) {
    {
      const std::lock_guard lock(m);
      if (reported == 1 || std::chrono::steady_clock::now() > deadline) break;
    }
    std::this_thread::sleep_for(5ms);
  }
  keeper.stop();
  const std::lock_guard lock(m);
  EXPECT_EQ(reported, 1);
}

TEST_F(HousekeeperTest, ARoundDeletesFinishedEventsPastTheRetentionAgeInBatches) {
  constexpr std::int64_t kDayMs = 86'400'000;
  const auto append = [&](std::int64_t received_ms, std::vector<std::string> destinations) {
    store::NewEvent e;
    e.source = "github";
    e.received_ms = received_ms;
    e.body = "{}";
    e.destinations = std::move(destinations);
    auto appended = store_->append(std::move(e));
    EXPECT_TRUE(appended) << appended.error();
    return appended ? appended->seq : 0;
  };
  const auto pending = append(1000, {"d"});  // oldest, and never delivered
  for (int i = 0; i < 11; ++i)
    append(1001 + i, {});
  const auto young = append(2 * kDayMs, {});
  HousekeeperOptions options{60s, 100};
  options.retention = 24h;
  options.retention_batch = 4;  // the round walks 12 old events in 4 calls
  Housekeeper keeper(
      *store_, [] { return std::int64_t{2 * kDayMs + 1000}; }, options);
  auto round = keeper.run_once();
  ASSERT_TRUE(round) << round.error();
  EXPECT_EQ(*round, 11);
  auto left = store_->events_after("github", 0, 100);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 2U);
  EXPECT_EQ((*left)[0].seq, pending);
  EXPECT_EQ((*left)[1].seq, young);
  // Without a retention age nothing is deleted.
  Housekeeper keep_all(*store_, [] { return std::int64_t{9 * kDayMs}; }, {60s, 100});
  auto none = keep_all.run_once();
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
}

}  // namespace
}  // namespace hookgate::engine
