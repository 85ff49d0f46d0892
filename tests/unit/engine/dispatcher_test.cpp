// The delivery engine against a real SQLite store, with a scripted target and an injected clock:
// retries on the schedule, giving up, 410, Retry-After, unknown destinations, the per-destination
// concurrency limit, and a crashed claimer's lease being taken over.
#include "hookgate/engine/dispatcher.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "engine/blocking_pool.hpp"

namespace hookgate::engine {
namespace {

using std::chrono::seconds;

constexpr std::int64_t kStart = 1'700'000'000'000;

// A destination whose answers the test scripts, attempt by attempt.
class ScriptedTarget : public Target {
 public:
  explicit ScriptedTarget(std::deque<AttemptOutcome> answers, std::size_t concurrency = 4)
      : answers_(std::move(answers)), concurrency_(concurrency) {
    schedule_.delays = {seconds(5), seconds(60)};
    schedule_.jitter = 0;
  }
  std::size_t concurrency() const override { return concurrency_; }
  std::chrono::milliseconds timeout() const override { return std::chrono::seconds(5); }
  const RetrySchedule& schedule() const override { return schedule_; }
  bool http() const override { return true; }
  Gate before(const store::Delivery& /*d*/, std::int64_t /*now*/) override { return gate; }
  // The scripted answer comes from a thread of the target's own, as a real target's would.
  void send_async(const store::Delivery& d, int attempt, SendDone done) override {
    pool_.post([this, d, attempt, done = std::move(done)](bool run) {
      SendResult r;
      if (run) {
        r = send(d, attempt);
      } else {
        r.outcome.error = "cancelled";
      }
      done(std::move(r));
    });
  }
  SendResult send(const store::Delivery& d, int attempt) {
    std::unique_lock lock(m_);
    ++active_;
    max_active_ = std::max(max_active_, active_);
    sent_.emplace_back(d.event.body, attempt);
    AttemptOutcome answer{200, "", {}};
    if (!answers_.empty()) {
      answer = answers_.front();
      answers_.pop_front();
    }
    if (hold_) released_.wait(lock, [&] { return !hold_; });
    --active_;
    SendResult r;
    r.outcome = answer;
    r.response = "answer " + std::to_string(answer.status);
    return r;
  }
  void after(const store::Delivery& /*d*/, const SendResult& /*r*/, Verdict v,
             std::int64_t /*now*/) override {
    const std::lock_guard lock(m_);
    verdicts_.push_back(v);
  }

  void hold() {
    const std::lock_guard lock(m_);
    hold_ = true;
  }
  void release() {
    {
      const std::lock_guard lock(m_);
      hold_ = false;
    }
    released_.notify_all();
  }
  std::size_t sent() const {
    const std::lock_guard lock(m_);
    return sent_.size();
  }
  std::vector<std::pair<std::string, int>> sends() const {
    const std::lock_guard lock(m_);
    return sent_;
  }
  int max_active() const {
    const std::lock_guard lock(m_);
    return max_active_;
  }

  Gate gate;

 private:
  mutable std::mutex m_;
  std::condition_variable released_;
  std::deque<AttemptOutcome> answers_;
  std::size_t concurrency_;
  RetrySchedule schedule_;
  std::vector<std::pair<std::string, int>> sent_;
  std::vector<Verdict> verdicts_;
  int active_ = 0;
  int max_active_ = 0;
  bool hold_ = false;
  BlockingPool pool_{16};  // last: joined before the members its tasks use go
};

class Directory : public TargetDirectory {
 public:
  std::shared_ptr<Target> find(std::string_view name) override {
    const auto it = targets.find(std::string(name));
    return it == targets.end() ? nullptr : it->second;
  }
  std::map<std::string, std::shared_ptr<Target>> targets;
};

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hookgate-dispatcher-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto opened = store::open_store("sqlite://" + (dir_ / "store.db").string());
    ASSERT_TRUE(opened) << opened.error();
    store_ = std::move(opened).value();
  }
  void TearDown() override {
    dispatcher_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  Dispatcher& start(DispatcherOptions options = {}) {
    if (options.owner.empty()) options.owner = "node-a";
    options.idle_poll = std::chrono::milliseconds(20);
    options.busy_backoff = std::chrono::milliseconds(0);
    dispatcher_ = std::make_unique<Dispatcher>(
        *store_, directory_, options, [this] { return now_.load(); },
        [this](const AttemptReport& r) {
          const std::lock_guard lock(m_);
          reports_.push_back(r);
        });
    dispatcher_->start();
    return *dispatcher_;
  }

  std::int64_t publish(const std::string& body, std::vector<std::string> destinations) {
    store::NewEvent e;
    e.source = "test";
    e.received_ms = now_.load();
    e.headers = "{}";
    e.body = body;
    e.destinations = std::move(destinations);
    auto appended = store_->append(std::move(e));
    EXPECT_TRUE(appended) << appended.error();
    if (dispatcher_) dispatcher_->notify();
    return appended ? appended->seq : 0;
  }

  // Waits (bounded, generous for a loaded machine) until pred holds.
  template <class Pred>
  bool eventually(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
  }

  store::Counts counts() {
    auto c = store_->counts();
    EXPECT_TRUE(c) << c.error();
    return c ? *c : store::Counts{};
  }

  std::vector<AttemptReport> reports() {
    const std::lock_guard lock(m_);
    return reports_;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  Directory directory_;
  std::atomic<std::int64_t> now_{kStart};
  std::unique_ptr<Dispatcher> dispatcher_;
  std::mutex m_;
  std::vector<AttemptReport> reports_;
};

TEST_F(DispatcherTest, DeliversOnceAndRecordsTheAttempt) {
  auto target = std::make_shared<ScriptedTarget>(std::deque<AttemptOutcome>{});
  directory_.targets["svc"] = target;
  start();
  const auto seq = publish("hello", {"svc"});
  ASSERT_TRUE(eventually([&] { return counts().delivered == 1; }));
  EXPECT_EQ(target->sends(), (std::vector<std::pair<std::string, int>>{{"hello", 1}}));
  auto deliveries = store_->deliveries(seq);
  ASSERT_TRUE(deliveries);
  ASSERT_EQ(deliveries->size(), 1U);
  auto attempts = store_->attempts(deliveries->front().id);
  ASSERT_TRUE(attempts);
  ASSERT_EQ(attempts->size(), 1U);
  EXPECT_EQ(attempts->front().status, 200);
  EXPECT_EQ(attempts->front().response, "answer 200");
  EXPECT_EQ(attempts->front().started_ms, kStart);
}

TEST_F(DispatcherTest, RetriesOnTheScheduleThenDelivers) {
  auto target = std::make_shared<ScriptedTarget>(
      std::deque<AttemptOutcome>{{500, "", {}}, {0, "connect: connection refused", {}}});
  directory_.targets["svc"] = target;
  start();
  publish("retry me", {"svc"});
  ASSERT_TRUE(eventually([&] { return target->sent() == 1 && reports().size() == 1; }));
  // The retry is due 5 s later (no jitter): not before.
  now_ += 4'000;
  dispatcher_->notify();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(target->sent(), 1U);
  now_ += 1'000;
  dispatcher_->notify();
  ASSERT_TRUE(eventually([&] { return target->sent() == 2 && reports().size() == 2; }));
  now_ += 60'000;
  dispatcher_->notify();
  // The store records the delivery before the report reaches the test's listener: wait for both.
  ASSERT_TRUE(eventually([&] { return counts().delivered == 1 && reports().size() == 3; }));
  const auto sends = target->sends();
  ASSERT_EQ(sends.size(), 3U);
  EXPECT_EQ(sends[2].second, 3);
  const auto r = reports();
  ASSERT_EQ(r.size(), 3U);
  EXPECT_EQ(r[0].verdict, Verdict::retry);
  EXPECT_EQ(r[1].attempt.error, "connect: connection refused");
  EXPECT_EQ(r[2].verdict, Verdict::delivered);
}

TEST_F(DispatcherTest, GivesUpWhenTheScheduleIsExhausted) {
  auto target = std::make_shared<ScriptedTarget>(
      std::deque<AttemptOutcome>{{503, "", {}}, {503, "", {}}, {503, "", {}}, {200, "", {}}});
  directory_.targets["svc"] = target;
  start();
  publish("doomed", {"svc"});
  for (std::size_t n = 1; n <= 3; ++n) {
    ASSERT_TRUE(eventually([&] { return reports().size() == n; })) << n;
    now_ += 120'000;
    dispatcher_->notify();
  }
  ASSERT_TRUE(eventually([&] { return counts().failed == 1 && reports().size() == 3; }));
  EXPECT_EQ(target->sent(), 3U);  // 1 + two scheduled retries
  EXPECT_TRUE(reports().back().gave_up);
}

TEST_F(DispatcherTest, GoneStopsAtOnceAndRetryAfterIsHonoured) {
  auto gone = std::make_shared<ScriptedTarget>(std::deque<AttemptOutcome>{{410, "", {}}});
  auto slow = std::make_shared<ScriptedTarget>(
      std::deque<AttemptOutcome>{{429, "", std::chrono::seconds(600)}});
  directory_.targets["gone"] = gone;
  directory_.targets["slow"] = slow;
  start();
  publish("a", {"gone", "slow"});
  ASSERT_TRUE(eventually([&] { return counts().failed == 1 && slow->sent() == 1; }));
  EXPECT_EQ(gone->sent(), 1U);
  // The schedule says 5 s; the receiver asked for 10 minutes.
  now_ += 300'000;
  dispatcher_->notify();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(slow->sent(), 1U);
  now_ += 300'000;
  dispatcher_->notify();
  ASSERT_TRUE(eventually([&] { return counts().delivered == 1; }));
}

TEST_F(DispatcherTest, UnknownDestinationIsGivenUpWithAReason) {
  start();
  const auto seq = publish("orphan", {"removed-from-config"});
  ASSERT_TRUE(eventually([&] { return counts().failed == 1; }));
  auto deliveries = store_->deliveries(seq);
  ASSERT_TRUE(deliveries);
  auto attempts = store_->attempts(deliveries->front().id);
  ASSERT_TRUE(attempts);
  ASSERT_EQ(attempts->size(), 1U);
  EXPECT_NE(attempts->front().error.find("no longer configured"), std::string::npos);
}

TEST_F(DispatcherTest, PostponedDeliveriesCountNoAttempt) {
  auto target = std::make_shared<ScriptedTarget>(std::deque<AttemptOutcome>{});
  target->gate = Gate{Gate::Action::postpone, kStart + 10'000, ""};
  directory_.targets["svc"] = target;
  start();
  const auto seq = publish("later", {"svc"});
  ASSERT_TRUE(eventually([&] {
    auto d = store_->deliveries(seq);
    return d && !d->empty() && d->front().due_ms == kStart + 10'000;
  }));
  EXPECT_EQ(target->sent(), 0U);
  target->gate = Gate{};
  now_ += 10'000;
  dispatcher_->notify();
  ASSERT_TRUE(eventually([&] { return counts().delivered == 1; }));
  auto d = store_->deliveries(seq);
  ASSERT_TRUE(d);
  auto attempts = store_->attempts(d->front().id);
  ASSERT_TRUE(attempts);
  EXPECT_EQ(attempts->size(), 1U);
  EXPECT_EQ(attempts->front().number, 1);
}

TEST_F(DispatcherTest, KeepsToTheDestinationsConcurrencyLimit) {
  auto target = std::make_shared<ScriptedTarget>(std::deque<AttemptOutcome>{}, 2);
  target->hold();
  directory_.targets["svc"] = target;
  start();
  for (int i = 0; i < 6; ++i)
    publish("e" + std::to_string(i), {"svc"});
  ASSERT_TRUE(eventually([&] { return target->max_active() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(target->max_active(), 2);
  target->release();
  ASSERT_TRUE(eventually([&] { return counts().delivered == 6; }));
  EXPECT_EQ(target->max_active(), 2);
  EXPECT_EQ(target->sent(), 6U);
}

TEST_F(DispatcherTest, TakesOverTheWorkOfAClaimerThatDied) {
  auto target = std::make_shared<ScriptedTarget>(std::deque<AttemptOutcome>{});
  directory_.targets["svc"] = target;
  publish("crashed mid-attempt", {"svc"});
  // Another node claimed it and died without finishing.
  auto claimed = store_->claim_due(now_.load(), 10, "dead-node", 30'000);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 1U);
  start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(target->sent(), 0U);  // the lease still holds
  now_ += 30'001;
  dispatcher_->notify();
  ASSERT_TRUE(eventually([&] { return counts().delivered == 1; }));
  EXPECT_EQ(target->sent(), 1U);
  // The dead node's late finish is refused: the delivery was the new owner's.
  store::Finished late;
  late.attempt.delivery_id = claimed->front().id;
  late.attempt.number = 1;
  late.next = store::Next::give_up;
  auto refused = store_->finish(late, "dead-node");
  EXPECT_FALSE(refused && *refused);
  EXPECT_EQ(counts().delivered, 1);
}

TEST_F(DispatcherTest, StopsPromptlyWithNothingDue) {
  start();
  const auto before = std::chrono::steady_clock::now();
  dispatcher_->stop(std::chrono::milliseconds(1000));
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5));
}

}  // namespace
}  // namespace hookgate::engine
