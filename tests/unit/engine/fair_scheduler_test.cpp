// The fair scheduler's rules as plain bookkeeping: destinations take turns, each stays within its
// own concurrency, all within the global cap, and a destination whose attempts never end (a
// hanging endpoint) never keeps another destination's work from starting.
#include "engine/fair_scheduler.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hookgate::engine {
namespace {

using Scheduler = FairScheduler<int>;

void push(Scheduler& s, const std::string& destination, std::size_t limit, int job) {
  ASSERT_TRUE(s.push(destination, limit, job)) << destination << " " << job;
}

// Starts jobs until nothing more can start; returns (destination, job) in start order.
std::vector<std::pair<std::string, int>> start_all(Scheduler& s) {
  std::vector<std::pair<std::string, int>> out;
  while (auto started = s.next())
    out.emplace_back(started->destination, started->job);
  return out;
}

TEST(FairScheduler, DestinationsTakeTurnsInsteadOfTheFirstBacklogGoingFirst) {
  Scheduler s(100);
  for (int i = 0; i < 4; ++i)
    push(s, "a", 8, i);  // a's backlog arrived first
  push(s, "b", 8, 100);
  push(s, "c", 8, 200);
  push(s, "b", 8, 101);
  const auto order = start_all(s);
  ASSERT_EQ(order.size(), 7U);
  // a, b, c each start one before any starts a second.
  EXPECT_EQ(order[0], (std::pair<std::string, int>{"a", 0}));
  EXPECT_EQ(order[1], (std::pair<std::string, int>{"b", 100}));
  EXPECT_EQ(order[2], (std::pair<std::string, int>{"c", 200}));
  EXPECT_EQ(order[3], (std::pair<std::string, int>{"a", 1}));
  EXPECT_EQ(order[4], (std::pair<std::string, int>{"b", 101}));
  EXPECT_EQ(order[5], (std::pair<std::string, int>{"a", 2}));
  EXPECT_EQ(order[6], (std::pair<std::string, int>{"a", 3}));
}

TEST(FairScheduler, EachDestinationStaysWithinItsConcurrencyAndOneRoundOfWaiting) {
  Scheduler s(100);
  push(s, "a", 2, 1);
  push(s, "a", 2, 2);
  push(s, "a", 2, 3);
  push(s, "a", 2, 4);
  int fifth = 5;
  EXPECT_FALSE(s.push("a", 2, fifth));  // 2 in flight + 2 waiting is a full round
  EXPECT_EQ(s.room("a", 2), 0U);
  EXPECT_EQ(start_all(s).size(), 2U);
  EXPECT_EQ(s.in_flight("a"), 2U);
  EXPECT_EQ(s.queued(), 2U);
  EXPECT_FALSE(s.next());
  s.finish("a");
  auto next = s.next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->job, 3);  // FIFO within a destination
  EXPECT_EQ(s.in_flight("a"), 2U);
  EXPECT_EQ(s.room("a", 2), 1U);
  EXPECT_EQ(s.room("unknown", 3), 6U);
}

TEST(FairScheduler, TheGlobalCapBoundsAllDestinationsTogether) {
  Scheduler s(3);
  for (int i = 0; i < 4; ++i) {
    push(s, "a", 4, i);
    push(s, "b", 4, 10 + i);
  }
  EXPECT_EQ(start_all(s).size(), 3U);
  EXPECT_EQ(s.in_flight(), 3U);
  s.finish("a");
  EXPECT_EQ(start_all(s).size(), 1U);
  EXPECT_EQ(s.in_flight(), 3U);
}

TEST(FairScheduler, AHangingDestinationNeverBlocksTheOthers) {
  Scheduler s(16);
  // "hang" holds its whole concurrency forever (its attempts never finish) and has a backlog.
  for (int i = 0; i < 8; ++i)
    push(s, "hang", 4, i);
  EXPECT_EQ(start_all(s).size(), 4U);
  const auto rooms = s.rooms();
  ASSERT_TRUE(rooms.contains("hang"));
  EXPECT_EQ(rooms.at("hang"), 0U);  // a claim takes nothing more of it
  // A healthy destination's 100 deliveries all start and finish while "hang" still hangs.
  int delivered = 0;
  int next_job = 1000;
  while (delivered < 100) {
    while (s.room("ok", 4) > 0 && next_job < 1100)
      push(s, "ok", 4, next_job++);
    auto started = s.next();
    ASSERT_TRUE(started) << "healthy work could not start after " << delivered;
    ASSERT_EQ(started->destination, "ok");
    s.finish("ok");
    ++delivered;
  }
  EXPECT_EQ(s.in_flight("hang"), 4U);
  EXPECT_EQ(s.in_flight("ok"), 0U);
}

// A finished attempt's slot goes straight to its destination's next job (no turn through the
// ring, no change in what is in flight), unless the job may not be started there or another
// destination waits for the global cap: then the slot is freed and the turns decide.
TEST(FairScheduler, AFreedSlotIsHandedToTheDestinationsNextJobUnlessOthersWaitForTheCap) {
  const auto yes = [](const int&) { return true; };
  Scheduler s(3);
  for (int i = 0; i < 4; ++i)
    push(s, "a", 2, i);
  EXPECT_EQ(start_all(s).size(), 2U);  // a0, a1
  auto handed = s.hand_over("a", yes);
  ASSERT_TRUE(handed);
  EXPECT_EQ(*handed, 2);
  EXPECT_EQ(s.in_flight("a"), 2U);
  EXPECT_EQ(s.queued(), 1U);
  // The job it would hand over may not be started by the caller: the slot is freed instead.
  EXPECT_FALSE(s.hand_over("a", [](const int&) { return false; }));
  EXPECT_EQ(s.in_flight("a"), 1U);
  const auto next = s.next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->job, 3);
  // Nothing queued: the slot is freed.
  EXPECT_FALSE(s.hand_over("a", yes));
  EXPECT_EQ(s.in_flight("a"), 1U);
  // At the global cap with b waiting, a's freed slot is b's turn, not a's next job.
  push(s, "b", 2, 100);
  push(s, "b", 2, 101);
  push(s, "a", 2, 4);
  ASSERT_EQ(start_all(s).size(), 2U);  // a4, b100: cap 3 reached (a3, a4, b100)
  push(s, "a", 2, 5);
  EXPECT_FALSE(s.hand_over("a", yes));
  const auto turn = s.next();
  ASSERT_TRUE(turn);
  EXPECT_EQ(turn->destination, "b");
  EXPECT_EQ(turn->job, 101);
  EXPECT_EQ(s.in_flight(), 3U);
}

TEST(FairScheduler, StoppingTakesTheQueuedWorkAndKeepsWhatIsInFlight) {
  Scheduler s(16);
  for (int i = 0; i < 4; ++i)
    push(s, "a", 2, i);
  EXPECT_EQ(start_all(s).size(), 2U);
  const auto queued = s.take_queued();
  EXPECT_EQ(queued, (std::vector<int>{2, 3}));
  EXPECT_FALSE(s.next());
  s.finish("a");
  s.finish("a");
  EXPECT_EQ(s.in_flight(), 0U);
  EXPECT_EQ(s.destinations(), 0U);  // an idle destination costs nothing
}

}  // namespace
}  // namespace hookgate::engine
