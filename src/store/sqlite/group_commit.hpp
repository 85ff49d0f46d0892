// Group commit: one writer thread owns the write connection and commits whatever writes are queued
// together in one transaction, so N concurrent writers pay for one fsync instead of N.
//
// submit() queues a job and blocks until the transaction holding it has committed (or failed). A
// job runs inside its own SAVEPOINT: a job that fails is rolled back alone and the rest of its
// batch still commits. Jobs run on the writer thread, in submission order; anything a job throws
// becomes its Error. The queue is bounded: when it is full, WhenFull::fail_busy fails at once with
// an Error starting with store::kBusy, WhenFull::wait blocks until there is room.
// Destruction stops accepting jobs, commits the ones already queued, then joins the thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
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

  GroupCommit(Db db, std::size_t capacity);
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;
  ~GroupCommit();

  // work: Result<T>(Db&), run on the writer thread inside the batch's transaction.
  template <class T, class Work>
  Result<T> submit(Work work, WhenFull when_full);

 private:
  class Job {
   public:
    virtual ~Job() = default;
    virtual void run(Db& db) = 0;  // records the outcome; the promise waits for the commit
    [[nodiscard]] virtual bool failed() const = 0;
    virtual void fail(const Error& error) = 0;  // the transaction did not commit
    virtual void deliver() = 0;
  };

  template <class T, class Work>
  class TypedJob final : public Job {
   public:
    explicit TypedJob(Work work) : work_(std::move(work)) {}
    std::future<Result<T>> future() { return promise_.get_future(); }
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
      promise_.set_value(std::move(*outcome_));
    }

   private:
    Work work_;
    std::optional<Result<T>> outcome_;
    std::promise<Result<T>> promise_;
  };

  Result<bool> post(std::unique_ptr<Job> job, WhenFull when_full);
  void writer_loop();
  void commit_batch();
  void abandon_batch() noexcept;
  void run_in_savepoint(Job& job);
  void fail_range(std::size_t begin, std::size_t end, const Error& error);

  Db db_;  // touched only by writer_
  const std::size_t capacity_;

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable room_ready_;
  std::vector<std::unique_ptr<Job>> queue_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_

  std::vector<std::unique_ptr<Job>> batch_;  // writer_ only; swapped with queue_ to reuse memory
  std::thread writer_;                       // last: starts once everything above exists
};

template <class T, class Work>
Result<T> GroupCommit::submit(Work work, WhenFull when_full) {
  try {
    auto job = std::make_unique<TypedJob<T, Work>>(std::move(work));
    auto done = job->future();
    if (auto posted = post(std::move(job), when_full); !posted) return Error{posted.error()};
    return done.get();
  } catch (const std::exception& e) {
    return Error{std::string("store write failed: ") + e.what()};
  }
}

}  // namespace hookgate::store::sqlite
