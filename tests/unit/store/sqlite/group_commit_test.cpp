// The SQLite group commit on its own: a failing job is rolled back alone while its batch
// commits, the durability step runs before any outcome is handed out and overlaps the next
// batch's SQLite work, a failed sync fails what it covered, and refusals answer at once.
#include "store/sqlite/group_commit.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "hookgate/store/store.hpp"
#include "sqlite_backend.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {
namespace {

using namespace std::chrono_literals;

// A gate the writer (or sync) thread waits at until the test opens it.
class Gate {
 public:
  void open() {
    {
      const std::lock_guard lock(m_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void pass() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Collects outcomes delivered from other threads.
template <class T>
class Outcomes {
 public:
  auto sink(std::size_t index) {
    return [this, index](Result<T> r) {
      const std::lock_guard lock(m_);
      got_.at(index).emplace(std::move(r));
      cv_.notify_all();
    };
  }
  explicit Outcomes(std::size_t n) : got_(n) {}
  // Waits (bounded) until every outcome arrived.
  bool wait_all() {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, 30s, [&] {
      for (const auto& g : got_)
        if (!g) return false;
      return true;
    });
  }
  std::optional<Result<T>> at(std::size_t i) {
    const std::lock_guard lock(m_);
    return got_.at(i);
  }
  std::size_t arrived() {
    const std::lock_guard lock(m_);
    std::size_t n = 0;
    for (const auto& g : got_)
      n += g.has_value() ? 1 : 0;
    return n;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<std::optional<Result<T>>> got_;
};

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Db::open(instance_.path(), Db::Mode::read_write_create);
    ASSERT_TRUE(db) << db.error();
    ASSERT_TRUE(db->exec("PRAGMA journal_mode = WAL; CREATE TABLE t (v INTEGER NOT NULL)"));
  }
  Db connection() {
    return std::move(Db::open(instance_.path(), Db::Mode::read_write_create)).value();
  }
  std::int64_t rows(std::string_view where = "1") {
    auto db = connection();
    return std::stoll(db.query_text("SELECT count(*) FROM t WHERE " + std::string(where)).value());
  }
  static Result<bool> insert(Db& db, int v) {
    auto s = db.cached("INSERT INTO t (v) VALUES (?1)");
    if (!s) return Error{s.error()};
    (*s)->bind_int64(1, v);
    return (*s)->run();
  }

  store::testing::SqliteInstance instance_;
};

TEST_F(GroupCommitTest, AFailingJobIsRolledBackAloneAndItsBatchCommits) {
  GroupCommit commit(connection(), 64);
  Gate gate;
  constexpr int kJobs = 10;
  Outcomes<bool> outcomes(kJobs + 1);
  // The first job holds the writer so that the next ten are queued, and committed, together.
  commit.submit_async<bool>(
      [&gate](Db& db) {
        gate.pass();
        return insert(db, 100);
      },
      outcomes.sink(0), GroupCommit::WhenFull::fail_busy);
  for (int i = 1; i <= kJobs; ++i) {
    commit.submit_async<bool>(
        [i](Db& db) -> Result<bool> {
          auto inserted = insert(db, i);
          if (!inserted) return inserted;
          // Job 5 writes, then fails: its row must go, the others' must stay.
          if (i == 5) return Error{"job five refuses"};
          return true;
        },
        outcomes.sink(static_cast<std::size_t>(i)), GroupCommit::WhenFull::fail_busy);
  }
  gate.open();
  ASSERT_TRUE(outcomes.wait_all());
  for (int i = 0; i <= kJobs; ++i) {
    const auto r = outcomes.at(static_cast<std::size_t>(i));
    if (i == 5) {
      ASSERT_FALSE(*r);
      EXPECT_EQ(r->error(), "job five refuses");
    } else {
      EXPECT_TRUE(*r) << "job " << i << ": " << r->error();
    }
  }
  EXPECT_EQ(rows(), kJobs);  // 100 and 1..10 except 5
  EXPECT_EQ(rows("v = 5"), 0);
}

TEST_F(GroupCommitTest, AFailingJobAloneInItsBatchLeavesNothingAndTheNextOneCommits) {
  GroupCommit commit(connection(), 64);
  auto failed = commit.submit<bool>(
      [](Db& db) -> Result<bool> {
        auto inserted = insert(db, 7);
        if (!inserted) return inserted;
        return Error{"refused after writing"};
      },
      GroupCommit::WhenFull::fail_busy);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), "refused after writing");
  auto next =
      commit.submit<bool>([](Db& db) { return insert(db, 8); }, GroupCommit::WhenFull::fail_busy);
  EXPECT_TRUE(next) << next.error();
  EXPECT_EQ(rows("v = 7"), 0);
  EXPECT_EQ(rows("v = 8"), 1);
}

TEST_F(GroupCommitTest, OutcomesWaitForTheSyncWhichOverlapsTheNextBatch) {
  Gate sync_gate;
  std::atomic<int> syncs{0};
  GroupCommit commit(connection(), 64, [&] {
    sync_gate.pass();
    ++syncs;
    return Result<bool>(true);
  });
  Outcomes<bool> outcomes(2);
  commit.submit_async<bool>([](Db& db) { return insert(db, 1); }, outcomes.sink(0),
                            GroupCommit::WhenFull::fail_busy);
  // The second job commits while the first one's sync is still held: SQLite work and the sync
  // of the previous batch overlap.
  std::atomic<bool> second_ran{false};
  commit.submit_async<bool>(
      [&second_ran](Db& db) {
        second_ran = true;
        return insert(db, 2);
      },
      outcomes.sink(1), GroupCommit::WhenFull::fail_busy);
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!second_ran && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(second_ran);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(outcomes.arrived(), 0U) << "an outcome was handed out before its sync";
  EXPECT_EQ(syncs.load(), 0);
  sync_gate.open();
  ASSERT_TRUE(outcomes.wait_all());
  EXPECT_TRUE(*outcomes.at(0));
  EXPECT_TRUE(*outcomes.at(1));
  EXPECT_GE(syncs.load(), 1);
  EXPECT_EQ(rows(), 2);
}

// A commit-only job (a claim's lease) is answered at its commit while the sync of the durable
// job before it is still held, and a batch of only such jobs runs no sync of its own.
TEST_F(GroupCommitTest, ACommitOnlyJobIsAnsweredAtItsCommitAndCostsNoSync) {
  Gate sync_gate;
  std::atomic<int> syncs{0};
  GroupCommit commit(connection(), 64, [&] {
    sync_gate.pass();
    ++syncs;
    return Result<bool>(true);
  });
  Outcomes<bool> durable(1);
  commit.submit_async<bool>([](Db& db) { return insert(db, 1); }, durable.sink(0),
                            GroupCommit::WhenFull::fail_busy);
  Outcomes<bool> quick(1);
  commit.submit_async<bool>([](Db& db) { return insert(db, 2); }, quick.sink(0),
                            GroupCommit::WhenFull::fail_busy, GroupCommit::Sync::commit_only);
  ASSERT_TRUE(quick.wait_all()) << "a commit-only job waited for a sync";
  EXPECT_TRUE(*quick.at(0));
  EXPECT_EQ(durable.arrived(), 0U) << "a durable outcome was handed out before its sync";
  EXPECT_EQ(rows(), 2);
  sync_gate.open();
  ASSERT_TRUE(durable.wait_all());
  EXPECT_TRUE(*durable.at(0));
  const int after_durable = syncs.load();
  EXPECT_GE(after_durable, 1);
  for (int v = 3; v < 8; ++v) {
    auto done = commit.submit<bool>([v](Db& db) { return insert(db, v); },
                                    GroupCommit::WhenFull::wait, GroupCommit::Sync::commit_only);
    ASSERT_TRUE(done) << done.error();
  }
  EXPECT_EQ(syncs.load(), after_durable) << "commit-only jobs ran a sync of their own";
  EXPECT_EQ(rows(), 7);
}

TEST_F(GroupCommitTest, AFailedSyncFailsEveryJobItCovered) {
  GroupCommit commit(connection(), 64,
                     [] { return Result<bool>(Error{"fdatasync: Input/output error"}); });
  auto outcome =
      commit.submit<bool>([](Db& db) { return insert(db, 1); }, GroupCommit::WhenFull::fail_busy);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.error().find("store sync"), std::string::npos) << outcome.error();
  EXPECT_NE(outcome.error().find("Input/output error"), std::string::npos) << outcome.error();
}

TEST_F(GroupCommitTest, JobsAwaitingTheirSyncCountAgainstTheBoundAndRefusalsAnswerAtOnce) {
  Gate sync_gate;
  GroupCommit commit(connection(), 2, [&] {
    sync_gate.pass();
    return Result<bool>(true);
  });
  Outcomes<bool> outcomes(2);
  commit.submit_async<bool>([](Db& db) { return insert(db, 1); }, outcomes.sink(0),
                            GroupCommit::WhenFull::fail_busy);
  commit.submit_async<bool>([](Db& db) { return insert(db, 2); }, outcomes.sink(1),
                            GroupCommit::WhenFull::fail_busy);
  // Both are committed or queued and none is synced: the bound of 2 is reached, whatever the
  // writer has done by now, so the third is refused on this thread before submit_async returns.
  std::optional<Result<bool>> third;
  const auto caller = std::this_thread::get_id();
  std::thread::id answered_on;
  commit.submit_async<bool>([](Db& db) { return insert(db, 3); },
                            [&](Result<bool> r) {
                              answered_on = std::this_thread::get_id();
                              third.emplace(std::move(r));
                            },
                            GroupCommit::WhenFull::fail_busy);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(answered_on, caller);
  ASSERT_FALSE(*third);
  EXPECT_TRUE(third->error().starts_with(store::kBusy)) << third->error();
  sync_gate.open();
  ASSERT_TRUE(outcomes.wait_all());
  EXPECT_TRUE(*outcomes.at(0));
  EXPECT_TRUE(*outcomes.at(1));
  EXPECT_EQ(rows(), 2);
}

TEST_F(GroupCommitTest, DestructionAnswersEverythingQueued) {
  constexpr int kJobs = 200;
  Outcomes<bool> outcomes(kJobs);
  {
    GroupCommit commit(connection(), kJobs, [] { return Result<bool>(true); });
    for (int i = 0; i < kJobs; ++i) {
      commit.submit_async<bool>([i](Db& db) { return insert(db, i); },
                                outcomes.sink(static_cast<std::size_t>(i)),
                                GroupCommit::WhenFull::fail_busy);
    }
  }
  EXPECT_EQ(outcomes.arrived(), std::size_t{kJobs});
  for (int i = 0; i < kJobs; ++i)
    EXPECT_TRUE(*outcomes.at(static_cast<std::size_t>(i)));
  EXPECT_EQ(rows(), kJobs);
}

}  // namespace
}  // namespace hookgate::store::sqlite
