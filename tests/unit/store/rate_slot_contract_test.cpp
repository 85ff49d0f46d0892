// Store contract, the shared rate limiter: reserve_slot() hands out GCRA send slots spaced by the
// interval after at most a burst, never a slot in the past, and never the same slot twice under
// concurrency.
#include <latch>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "store_contract.hpp"

namespace hookgate::store::testing {
namespace {

std::int64_t reserve(Store& store, std::string_view key, std::int64_t interval_ms,
                     std::int64_t now_ms, std::int64_t burst = 1) {
  auto slot = store.reserve_slot(key, interval_ms, burst, now_ms);
  EXPECT_TRUE(slot) << slot.error();
  return slot ? *slot : -1;
}

TEST_P(StoreContract, ReservedSlotsAreSpacedByTheInterval) {
  EXPECT_EQ(reserve(*store_, "ep_1", 100, 1000), 1000) << "free now: starts now";
  EXPECT_EQ(reserve(*store_, "ep_1", 100, 1000), 1100);
  EXPECT_EQ(reserve(*store_, "ep_1", 100, 1050), 1200);
  EXPECT_EQ(reserve(*store_, "ep_1", 100, 1250), 1300);
  // Keys are independent.
  EXPECT_EQ(reserve(*store_, "ep_2", 100, 1000), 1000);
  EXPECT_EQ(reserve(*store_, "ep_2", 500, 1000), 1100) << "spaced by the previous reservation";
  EXPECT_EQ(reserve(*store_, "ep_2", 500, 1000), 1600);
}

TEST_P(StoreContract, ASlotInThePastIsNotReused) {
  EXPECT_EQ(reserve(*store_, "ep", 100, 1000), 1000);
  EXPECT_EQ(reserve(*store_, "ep", 100, 1000), 1100);
  // Idle until 5000: the unused slots 1200..4900 are gone, no burst makes up for them.
  EXPECT_EQ(reserve(*store_, "ep", 100, 5000), 5000);
  EXPECT_EQ(reserve(*store_, "ep", 100, 5000), 5100);
  EXPECT_EQ(reserve(*store_, "ep", 100, 5000), 5200);

  store_.reset();
  store_ = reopen();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(reserve(*store_, "ep", 100, 5000), 5300) << "reservations are durable";
}

TEST_P(StoreContract, ABurstStartsAtOnceThenSlotsAreSpaced) {
  // Burst 3 at 5 per second: three slots now, then one per 200 ms.
  std::vector<std::int64_t> slots;
  slots.reserve(6);
  for (int i = 0; i < 6; ++i)
    slots.push_back(reserve(*store_, "ep", 200, 1000, 3));
  EXPECT_EQ(slots, (std::vector<std::int64_t>{1000, 1000, 1000, 1200, 1400, 1600}));
  // No window of one interval holds more than the burst.
  for (std::size_t i = 0; i + 3 < slots.size(); ++i)
    EXPECT_GE(slots[i + 3] - slots[i], 200) << i;

  // Idle time refills the burst, never beyond it.
  slots.clear();
  for (int i = 0; i < 5; ++i)
    slots.push_back(reserve(*store_, "ep", 200, 60'000, 3));
  EXPECT_EQ(slots, (std::vector<std::int64_t>{60'000, 60'000, 60'000, 60'200, 60'400}));

  // Half way through: the burst has partly refilled.
  EXPECT_EQ(reserve(*store_, "ep", 200, 60'500, 3), 60'600) << "one interval after the last slot";
  EXPECT_EQ(reserve(*store_, "ep", 200, 60'500, 3), 60'800);

  // Burst 1 (and anything below) is strict spacing.
  EXPECT_EQ(reserve(*store_, "strict", 100, 0, 1), 0);
  EXPECT_EQ(reserve(*store_, "strict", 100, 0, 0), 100);
  EXPECT_EQ(reserve(*store_, "strict", 100, 0, -5), 200);
}

TEST_P(StoreContract, ConcurrentReservationsGetDistinctSlots) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10;
  constexpr std::int64_t kInterval = 10;
  std::mutex mutex;
  std::multiset<std::int64_t> slots;
  std::latch start(kThreads);
  {
    std::vector<std::jthread> threads;
    threads.reserve(static_cast<std::size_t>(kThreads));
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        for (int i = 0; i < kPerThread; ++i) {
          const std::int64_t slot = reserve(*store_, "shared", kInterval, 0);
          std::lock_guard lock(mutex);
          slots.insert(slot);
        }
      });
    }
  }
  std::multiset<std::int64_t> expected;
  for (int i = 0; i < kThreads * kPerThread; ++i)
    expected.insert(i * kInterval);
  EXPECT_EQ(slots, expected);
}

}  // namespace
}  // namespace hookgate::store::testing
