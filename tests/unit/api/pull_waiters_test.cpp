// Parked long polls: a new event resumes the polls of its source and no other, an event that
// arrives between the query and the park is not missed, the number parked is bounded, deadlines
// and shutdown answer every poll, and a poll no worker can take stays parked until one can.
#include "api/pull_waiters.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace hookgate::api {
namespace {

using namespace std::chrono_literals;

struct Counts {
  std::atomic<int> resumed{0};
  std::atomic<int> expired{0};
};

std::shared_ptr<ParkedPoll> poll(const std::string& source, Counts& c,
                                 std::chrono::steady_clock::duration wait = 60s,
                                 std::function<bool()> resume = {}) {
  auto p = std::make_shared<ParkedPoll>();
  p->source = source;
  p->deadline = std::chrono::steady_clock::now() + wait;
  p->resume = resume ? std::move(resume) : std::function<bool()>([&c] {
    ++c.resumed;
    return true;
  });
  p->expire = [&c] { ++c.expired; };
  return p;
}

template <class Pred>
bool within(Pred pred, std::chrono::seconds limit = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  return pred();
}

TEST(PullWaiters, AnEventResumesThePollsOfItsSourceOnly) {
  PullWaiters w(100, 0ms);
  Counts a, b;
  ASSERT_EQ(w.park(poll("a", a), w.generation("a")), PullWaiters::Park::parked);
  ASSERT_EQ(w.park(poll("a", a), w.generation("a")), PullWaiters::Park::parked);
  ASSERT_EQ(w.park(poll("b", b), w.generation("b")), PullWaiters::Park::parked);
  w.notify("a");
  EXPECT_EQ(a.resumed, 2);
  EXPECT_EQ(b.resumed, 0);
  EXPECT_EQ(w.parked(), 1U);
  w.notify("c");
  EXPECT_EQ(b.resumed, 0);
  w.stop();
  EXPECT_EQ(b.expired, 1);
  EXPECT_EQ(a.expired, 0);
}

TEST(PullWaiters, AnEventBetweenQueryAndParkIsNotMissed) {
  PullWaiters w(100, 0ms);
  Counts c;
  const auto seen = w.generation("a");
  w.notify("a");  // the event lands after the poll's query saw nothing
  EXPECT_EQ(w.park(poll("a", c), seen), PullWaiters::Park::stale);
  EXPECT_EQ(w.park(poll("a", c), w.generation("a")), PullWaiters::Park::parked);
  w.notify("b");  // another source's event does not make a's poll stale
  EXPECT_EQ(w.park(poll("a", c), w.generation("a")), PullWaiters::Park::parked);
}

TEST(PullWaiters, TheNumberParkedIsBounded) {
  PullWaiters w(3, 0ms);
  Counts c;
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(w.park(poll("a", c), w.generation("a")), PullWaiters::Park::parked);
  EXPECT_EQ(w.park(poll("a", c), w.generation("a")), PullWaiters::Park::full);
  EXPECT_EQ(w.parked(), 3U);
}

TEST(PullWaiters, DeadlinesAndShutdownAnswerEveryPoll) {
  PullWaiters w(100, 0ms);
  Counts soon, late;
  ASSERT_EQ(w.park(poll("a", soon, 50ms), 0), PullWaiters::Park::parked);
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(w.park(poll("a", late, 3600s), 0), PullWaiters::Park::parked);
  EXPECT_TRUE(within([&] { return soon.expired == 1; }));
  EXPECT_EQ(late.expired, 0);
  w.stop();
  EXPECT_EQ(late.expired, 5);
  EXPECT_EQ(w.parked(), 0U);
  EXPECT_EQ(w.park(poll("a", late), 0), PullWaiters::Park::stopping);
  w.stop();  // again: nothing more happens
  EXPECT_EQ(late.expired, 5);
  EXPECT_EQ(soon.resumed + late.resumed, 0);
}

TEST(PullWaiters, RecheckResumesParkedPollsWithoutAnAnnouncement) {
  PullWaiters w(100, 20ms);
  Counts c;
  ASSERT_EQ(w.park(poll("a", c), 0), PullWaiters::Park::parked);
  EXPECT_TRUE(within([&] { return c.resumed == 1; }));
  EXPECT_EQ(w.parked(), 0U);  // handed to a worker, which parks it again if still empty
}

TEST(PullWaiters, APollNoWorkerTakesStaysParkedAndIsOfferedAgain) {
  PullWaiters w(100, 0ms);
  Counts c;
  std::atomic<int> offers{0};
  ASSERT_EQ(w.park(poll("a", c, 60s, [&] { return ++offers >= 3; }), 0), PullWaiters::Park::parked);
  w.notify("a");
  EXPECT_TRUE(within([&] { return offers >= 3; }));
  EXPECT_TRUE(within([&] { return w.parked() == 0; }));
  EXPECT_EQ(c.expired, 0);
}

}  // namespace
}  // namespace hookgate::api
