// The dispatcher and an operator's pause (TargetDirectory::paused()) against a real SQLite store:
// while a destination is paused its deliveries are neither claimed nor attempted (they stay
// pending with their attempts untouched, however many claims pass), other destinations go on,
// and once it is resumed its deliveries are delivered.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "hookgate/engine/dispatcher.hpp"

namespace hookgate::engine {
namespace {

constexpr std::int64_t kStart = 1'700'000'000'000;

// Answers every attempt with success at once, counting them.
class CountingTarget : public Target {
 public:
  std::size_t concurrency() const override { return 4; }
  std::chrono::milliseconds timeout() const override { return std::chrono::seconds(5); }
  const RetrySchedule& schedule() const override { return schedule_; }
  bool http() const override { return false; }
  Gate before(const store::Delivery& /*d*/, std::int64_t /*now*/) override { return {}; }
  void send_async(const store::Delivery& /*d*/, int /*attempt*/, SendDone done) override {
    ++sent;
    SendResult r;
    r.outcome.status = 0;  // exit status 0: delivered
    done(std::move(r));
  }
  void after(const store::Delivery& /*d*/, const SendResult& /*r*/, Verdict /*v*/,
             std::int64_t /*now*/) override {}
  std::atomic<int> sent{0};

 private:
  RetrySchedule schedule_{{std::chrono::seconds(5)}, 0};
};

class PausingDirectory : public TargetDirectory {
 public:
  std::shared_ptr<Target> find(std::string_view name) override {
    if (name == "held") return held;
    if (name == "free") return free;
    return nullptr;
  }
  std::vector<std::string> paused() override {
    ++asked;
    const std::lock_guard lock(m);
    return {names.begin(), names.end()};
  }
  void set(std::set<std::string> n) {
    const std::lock_guard lock(m);
    names = std::move(n);
  }
  std::shared_ptr<CountingTarget> held = std::make_shared<CountingTarget>();
  std::shared_ptr<CountingTarget> free = std::make_shared<CountingTarget>();
  std::atomic<int> asked{0};

 private:
  std::mutex m;
  std::set<std::string> names;
};

template <class Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

TEST(DispatcherPause, APausedDestinationIsNotClaimedUntilResumed) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("hookgate-dispatcher-pause-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    auto opened = store::open_store("sqlite://" + (dir / "store.db").string());
    ASSERT_TRUE(opened) << opened.error();
    auto& store = **opened;
    PausingDirectory directory;
    directory.set({"held"});
    std::vector<std::int64_t> seqs;
    for (int i = 0; i < 3; ++i) {
      store::NewEvent e;
      e.source = "test";
      e.body = "{}";
      e.received_ms = kStart;
      e.destinations = {"held", "free"};
      auto appended = store.append(std::move(e));
      ASSERT_TRUE(appended) << appended.error();
      seqs.push_back(appended->seq);
    }
    DispatcherOptions options;
    options.owner = "node-a";
    options.idle_poll = std::chrono::milliseconds(10);
    options.busy_backoff = std::chrono::milliseconds(0);
    Dispatcher dispatcher(store, directory, options, [] { return kStart + 1000; });
    dispatcher.start();
    ASSERT_TRUE(eventually([&] { return directory.free->sent.load() == 3; }));
    // Many claims later (each asks paused() first), nothing of the paused destination went out
    // nor was leased: its deliveries wait, pending, with no attempt recorded.
    const int asked = directory.asked.load();
    ASSERT_TRUE(eventually(
        [&] { return directory.asked.load() >= asked + 5 || directory.held->sent.load() > 0; }));
    EXPECT_EQ(directory.held->sent.load(), 0);
    for (const auto seq : seqs) {
      auto deliveries = store.deliveries(seq);
      ASSERT_TRUE(deliveries);
      for (const auto& d : *deliveries) {
        if (d.destination != "held") continue;
        EXPECT_EQ(d.state, "pending");
        EXPECT_EQ(d.attempts, 0);
        EXPECT_EQ(d.lease_until_ms, 0);  // never claimed
      }
    }
    directory.set({});
    dispatcher.notify();
    ASSERT_TRUE(eventually([&] { return directory.held->sent.load() == 3; }));
    dispatcher.stop();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hookgate::engine
