// Group commit: one writer thread owns the write connection and commits whatever writes are queued
// together in one transaction, so N concurrent writers pay for one fsync instead of N.
//
// submit() queues a job and blocks until the transaction holding it has committed (or failed);
// submit_async() queues it and returns at once, and the job's outcome is handed to a callback on
// the writer thread once the transaction is over (no thread waits per job). Jobs run on the
// writer thread, in submission order; anything a job throws becomes its Error.
//
// A job that fails is rolled back alone and the rest of its batch still commits. A batch first
// runs without savepoints (the common case, and a SAVEPOINT/RELEASE pair costs as much as a small
// job); if a job fails, the batch is rolled back and run again with each job in its own
// SAVEPOINT. So a job's work may run twice: it must only touch the database.
//
// With a durability step (the WAL fsync, see wal_sync.hpp), commits are not synced by SQLite: a
// second thread runs the step for every batch committed since its last run and only then hands
// out their outcomes, so the sync of one batch overlaps the SQLite work of the next.
//
// A job submitted with Sync::commit_only is answered on the writer thread as soon as its batch
// has committed, without waiting for the durability step: for writes whose loss in a power cut
// only repeats work (a delivery's lease: the delivery is claimed and sent again), so they need
// not pay for a sync of their own. Anything a later durable job's sync covers is durable too.
//
// The queue is bounded (jobs queued plus jobs taken by the writer and not answered yet, so jobs
// awaiting their sync count too): when it is full, WhenFull::fail_busy fails at once with an Error
// starting with store::kBusy, WhenFull::wait blocks until there is room. Destruction stops
// accepting jobs, commits the ones already queued, then joins the thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "hookgate/result.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {

class GroupCommit {
 public:
  enum class WhenFull { fail_busy, wait };
  enum class Sync { durable, commit_only };

  // durable: run on the sync thread after commits, before their outcomes are handed out; an
  // error fails every job it covered. Empty: SQLite's own commit is durable (synchronous=FULL).
  using Durable = std::function<Result<bool>()>;
  GroupCommit(Db db, std::size_t capacity, Durable durable = {});
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;
  ~GroupCommit();

  // work: Result<T>(Db&), run on the writer thread inside the batch's transaction.
  template <class T, class Work>
  Result<T> submit(Work work, WhenFull when_full, Sync sync = Sync::durable);

  // done: void(Result<T>), called exactly once: on the writer (or sync) thread once the batch's
  // commit is durable (or failed), or on the calling thread before this returns when the job was
  // refused (queue full, closing). It must be quick: every job of the batch waits for it. Whatever
  // it throws is swallowed there.
  template <class T, class Work, class Done>
  void submit_async(Work work, Done done, WhenFull when_full, Sync sync = Sync::durable);

 private:
  class Job {
   public:
    virtual ~Job() = default;
    virtual void run(Db& db) = 0;  // records the outcome; the promise waits for the commit
    [[nodiscard]] virtual bool failed() const = 0;
    virtual void fail(const Error& error) = 0;  // the transaction did not commit
    virtual void deliver() = 0;
    bool needs_sync = true;  // false: answered at commit (Sync::commit_only)
  };

  template <class T, class Work, class Done>
  class TypedJob final : public Job {
   public:
    TypedJob(Work work, Done done) : work_(std::move(work)), done_(std::move(done)) {}
    void run(Db& db) override {
      try {
        outcome_.emplace(work_(db));
      } catch (const std::exception& e) {
        outcome_.emplace(Error{std::string("store write failed: ") + e.what()});
      } catch (...) {
        outcome_.emplace(Error{"store write failed: unknown exception"});
      }
    }
    [[nodiscard]] bool failed() const override { return !outcome_ || !outcome_->ok(); }
    void fail(const Error& error) override { outcome_.emplace(error); }
    void deliver() override {
      if (!outcome_) outcome_.emplace(Error{"store write was not run"});
      try {
        done_(std::move(*outcome_));
      } catch (...) {
        // The callback's own failure must not stop the writer or the rest of the batch.
      }
    }

   private:
    Work work_;
    Done done_;
    std::optional<Result<T>> outcome_;
  };

  // Moves job into the queue; on refusal job stays with the caller.
  Result<bool> post(std::unique_ptr<Job>& job, WhenFull when_full);
  void writer_loop();
  void commit_batch();
  bool commit_bare();  // false: nothing committed, run the batch isolated
  void commit_isolated();
  void abandon_batch() noexcept;
  void run_in_savepoint(Job& job);
  void fail_range(std::size_t begin, std::size_t end, const Error& error);

  using Batch = std::vector<std::unique_ptr<Job>>;
  void sync_loop();
  static void deliver_all(Batch& batch);
  std::size_t deliver_committed();  // answers the jobs of batch_ that need no sync
  void answered(std::size_t jobs);  // frees room in the bound

  Db db_;  // touched only by writer_
  const std::size_t capacity_;
  const Durable durable_;

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable room_ready_;
  std::vector<std::unique_ptr<Job>> queue_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_
  // Committed batches waiting for the durability step.
  std::vector<Batch> committed_;  // guarded by mutex_
  // Jobs the writer took from the queue and whose outcome is not handed out yet.
  std::size_t taken_ = 0;     // guarded by mutex_
  bool writer_done_ = false;  // guarded by mutex_
  std::condition_variable committed_ready_;

  Batch batch_;         // writer_ only; swapped with queue_ to reuse memory
  std::thread syncer_;  // started before writer_, stopped after it
  std::thread writer_;  // last: starts once everything above exists
};

template <class T, class Work>
Result<T> GroupCommit::submit(Work work, WhenFull when_full, Sync sync) {
  try {
    // Shared with the job: the caller may return the moment the value is set, while set_value()
    // is still running on the writer thread.
    auto promise = std::make_shared<std::promise<Result<T>>>();
    auto done = promise->get_future();
    submit_async<T>(
        std::move(work), [promise](Result<T> outcome) { promise->set_value(std::move(outcome)); },
        when_full, sync);
    return done.get();
  } catch (const std::exception& e) {
    return Error{std::string("store write failed: ") + e.what()};
  }
}

template <class T, class Work, class Done>
void GroupCommit::submit_async(Work work, Done done, WhenFull when_full, Sync sync) {
  std::unique_ptr<Job> job;
  try {
    job = std::make_unique<TypedJob<T, Work, Done>>(std::move(work), std::move(done));
    job->needs_sync = sync == Sync::durable;
  } catch (const std::exception& e) {
    try {
      done(Result<T>(Error{std::string("store write failed: ") + e.what()}));
    } catch (...) {
    }
    return;
  }
  if (auto posted = post(job, when_full); !posted) {
    job->fail(Error{posted.error()});
    job->deliver();
  }
}

}  // namespace hookgate::store::sqlite
