// The SQLite store's durability promise with the WAL sync injected: every acknowledged append
// was covered by a sync that started after its commit, a failed sync fails what it covered and
// every later write until the store is reopened, and readers never see a committed event before
// the sync covering it has completed.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "sqlite_backend.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/wal_sync.hpp"

namespace hookgate::store::sqlite {
namespace {

using namespace std::chrono_literals;
using store::testing::event;

// The injected sync: counts calls and completions, can hold a sync until released and can fail.
class Syncs {
 public:
  WalSync::SyncFile file() {
    return [this](int fd, const std::string& path) { return sync(fd, path); };
  }
  int sync(int fd, const std::string& path) {
    std::unique_lock lock(m_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !hold_; });
    if (fail_with_ != 0) return fail_with_;
    lock.unlock();
    const int rc = WalSync::fdatasync_file(fd, path);
    lock.lock();
    ++completed_;
    return rc;
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
    cv_.notify_all();
  }
  void fail_with(int error) {
    const std::lock_guard lock(m_);
    fail_with_ = error;
  }
  // Waits (bounded) until at least n syncs were entered.
  bool wait_entered(int n) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, 30s, [&] { return entered_ >= n; });
  }
  int entered() {
    const std::lock_guard lock(m_);
    return entered_;
  }
  int completed() {
    const std::lock_guard lock(m_);
    return completed_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool hold_ = false;
  int fail_with_ = 0;
  int entered_ = 0;
  int completed_ = 0;
};

class SqliteDurability : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> open_store() {
    auto opened = SqliteStore::open(instance_.path(), {}, syncs_.file());
    EXPECT_TRUE(opened) << opened.error();
    return opened ? std::move(opened).value() : nullptr;
  }
  // Whether seq is committed in the file, seen by a connection of the test's own.
  bool committed(std::int64_t seq) {
    auto db = Db::open(instance_.path(), Db::Mode::read_only);
    EXPECT_TRUE(db) << db.error();
    auto found = db->query_text("SELECT count(*) FROM events WHERE seq = " + std::to_string(seq));
    return found && *found == "1";
  }

  store::testing::SqliteInstance instance_;
  Syncs syncs_;
};

TEST_F(SqliteDurability, EveryAcknowledgedAppendWasCoveredByASyncThatCompletedAfterItsCommit) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 20; ++i) {
    const int before = syncs_.completed();
    auto appended = store->append(event("github", 1000 + i));
    ASSERT_TRUE(appended) << appended.error();
    // Nothing else was being written, so the sync that covered this append ran after the call.
    EXPECT_GE(syncs_.completed(), before + 1) << "append " << i << " was acknowledged unsynced";
  }
  // Concurrent appends share syncs (group commit) but none is answered before one covered it.
  std::atomic<int> unsynced_answers = 0;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const int before = syncs_.completed();
        auto appended = store->append(event("github", 5000 + t * 100 + i));
        if (!appended || syncs_.completed() < before + 1) ++unsynced_answers;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(unsynced_answers.load(), 0);
}

TEST_F(SqliteDurability, AFailedSyncFailsItsBatchAndEveryLaterWriteUntilTheStoreIsReopened) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto kept = store->append(event("github", 1000, "kept"));
  ASSERT_TRUE(kept) << kept.error();

  syncs_.fail_with(EIO);
  auto lost = store->append(event("github", 1001, "lost"));
  ASSERT_FALSE(lost);
  EXPECT_NE(lost.error().find("fdatasync"), std::string::npos) << lost.error();
  // The sync fails no more, but after a failed fsync Linux may have dropped the dirty pages and
  // marked them clean: this process can never again tell what reached the disk.
  syncs_.fail_with(0);
  const int entered = syncs_.entered();
  for (int i = 0; i < 3; ++i) {
    auto later = store->append(event("github", 1002 + i, "later"));
    ASSERT_FALSE(later) << "a write after a failed fsync was acknowledged";
    EXPECT_NE(later.error().find("until hookgate restarts"), std::string::npos) << later.error();
  }
  EXPECT_FALSE(store->put_setting("k", "v"));
  EXPECT_EQ(syncs_.entered(), entered) << "a failed fsync must not be retried";
  // Readers stay at what was durable: the failed batch's event is committed in the file, but a
  // pull cursor must never pass a seq that a crash could take back.
  ASSERT_TRUE(committed(kept->seq + 1));
  auto seen = store->events_after("github", 0, 100);
  ASSERT_TRUE(seen) << seen.error();
  ASSERT_EQ(seen->size(), 1U);
  EXPECT_EQ(seen->front().body, "kept");
  EXPECT_EQ(store->durable_seq(), kept->seq);

  // A restart syncs the WAL before showing anything, and writes again.
  store.reset();
  store = open_store();
  ASSERT_NE(store, nullptr);
  auto again = store->append(event("github", 2000, "again"));
  EXPECT_TRUE(again) << again.error();
}

TEST_F(SqliteDurability, ReadersDoNotSeeACommittedEventUntilTheSyncCoveringItCompletes) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto first = store->append(event("github", 1000, "first"));
  ASSERT_TRUE(first) << first.error();
  std::atomic<std::int64_t> heard = 0;
  store->on_durable([&](std::int64_t seq) { heard = seq; });

  syncs_.hold();
  // Released however the test ends: the store's destructor waits for the held sync.
  const std::shared_ptr<void> release(nullptr, [this](void*) { syncs_.release(); });
  const int entered = syncs_.entered();
  std::mutex m;
  std::condition_variable cv;
  std::optional<Result<Appended>> outcome;
  store->append_async(event("github", 1001, "second"), [&](Result<Appended> r) {
    const std::lock_guard lock(m);
    outcome.emplace(std::move(r));
    cv.notify_all();
  });
  // The sync thread is inside the sync covering the second event: it is committed, not durable.
  ASSERT_TRUE(syncs_.wait_entered(entered + 1));
  const std::int64_t second = first->seq + 1;
  ASSERT_TRUE(committed(second));
  auto seen = store->events_after("github", 0, 100);
  ASSERT_TRUE(seen) << seen.error();
  ASSERT_EQ(seen->size(), 1U) << "an event not yet synced was handed to a reader";
  EXPECT_EQ(seen->front().seq, first->seq);
  auto single = store->event(second);
  ASSERT_TRUE(single);
  EXPECT_FALSE(single->has_value());
  EXPECT_EQ(store->durable_seq(), first->seq);
  {
    const std::lock_guard lock(m);
    EXPECT_FALSE(outcome.has_value()) << "answered before its sync completed";
  }

  syncs_.release();
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return outcome.has_value(); }));
    ASSERT_TRUE(*outcome) << outcome->error();
    EXPECT_EQ((*outcome)->seq, second);
  }
  EXPECT_EQ(store->durable_seq(), second);
  EXPECT_EQ(heard.load(), second);
  seen = store->events_after("github", 0, 100);
  ASSERT_TRUE(seen) << seen.error();
  ASSERT_EQ(seen->size(), 2U);
  EXPECT_EQ(seen->back().body, "second");
}

TEST_F(SqliteDurability, AReopenedStoreShowsWhatAnEarlierProcessCommittedOnlyAfterSyncingIt) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->append(event("github", 1000)));
  store.reset();
  const int before = syncs_.entered();
  store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_GE(syncs_.entered(), before + 1);
  EXPECT_EQ(store->durable_seq(), 1);
  auto seen = store->events_after("github", 0, 10);
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->size(), 1U);
}

// A claim writes only leases, which a power cut may take back (the delivery is then claimed and
// sent again): it is answered at its commit, so a claim-send-record cycle pays for one sync, not
// two. It never takes a delivery of an event whose own sync has not completed, so nothing is sent
// that a power cut could take back after the receiver saw it.
TEST_F(SqliteDurability, AClaimWaitsForNoSyncAndTakesOnlyDurableEvents) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->append(event("s", 1000, "b", {"d"})));
  syncs_.hold();
  const int entered = syncs_.entered();
  // Committed, its sync held: not durable yet.
  std::promise<Result<Appended>> second;
  store->append_async(event("s", 1001, "b", {"d"}),
                      [&second](Result<Appended> r) { second.set_value(std::move(r)); });
  ASSERT_TRUE(syncs_.wait_entered(entered + 1));
  ClaimRequest claim;
  claim.now_ms = 2000;
  claim.limit = 10;
  claim.owner = "w";
  claim.lease_ms = 10'000;
  auto claiming = std::async(std::launch::async, [&] { return store->claim(claim); });
  ASSERT_EQ(claiming.wait_for(30s), std::future_status::ready)
      << "the claim waited for the held sync";
  auto claimed = claiming.get();
  ASSERT_TRUE(claimed) << claimed.error();
  ASSERT_EQ(claimed->deliveries.size(), 1U) << "a delivery of an event not yet durable was claimed";
  EXPECT_EQ(claimed->deliveries[0].event.received_ms, 1000);
  EXPECT_FALSE(claimed->next_due_ms) << "the undurable delivery counted as due";
  syncs_.release();
  auto appended = second.get_future().get();
  ASSERT_TRUE(appended) << appended.error();
  auto again = store->claim(claim);
  ASSERT_TRUE(again) << again.error();
  ASSERT_EQ(again->deliveries.size(), 1U);
  EXPECT_EQ(again->deliveries[0].event.seq, appended->seq);
}

TEST_F(SqliteDurability, ABatchOfFinishesOrPostponementsIsOneSync) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(store->append(event("s", 1000 + i, "b", {"d"})));
  ClaimRequest claim;
  claim.now_ms = 2000;
  claim.limit = 40;
  claim.owner = "w";
  claim.lease_ms = 10'000;
  auto claimed = store->claim(claim);
  ASSERT_TRUE(claimed) << claimed.error();
  ASSERT_EQ(claimed->deliveries.size(), 40u);
  std::vector<Finished> results;
  std::vector<Postponement> later;
  for (std::size_t i = 0; i < claimed->deliveries.size(); ++i) {
    const Delivery& d = claimed->deliveries[i];
    if (i % 2 == 0) {
      later.push_back(Postponement{d.id, 5000});
      continue;
    }
    Finished f;
    f.attempt.delivery_id = d.id;
    f.attempt.status = 200;
    results.push_back(f);
  }
  const int before = syncs_.entered();
  auto finished = store->finish_many(results, "w");
  ASSERT_TRUE(finished) << finished.error();
  EXPECT_EQ(*finished, std::vector<bool>(20, true));
  EXPECT_EQ(syncs_.entered(), before + 1) << "20 attempts recorded in one transaction";
  auto postponed = store->postpone_many(later, "w");
  ASSERT_TRUE(postponed) << postponed.error();
  EXPECT_EQ(*postponed, std::vector<bool>(20, true));
  EXPECT_EQ(syncs_.entered(), before + 2);
}

}  // namespace
}  // namespace hookgate::store::sqlite
