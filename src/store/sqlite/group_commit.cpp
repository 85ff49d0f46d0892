// The writer thread of the group commit: drains the queue into one transaction per batch.
#include "store/sqlite/group_commit.hpp"

#include <string>

#include "hookgate/store/store.hpp"

namespace hookgate::store::sqlite {

GroupCommit::GroupCommit(Db db, std::size_t capacity)
    : db_(std::move(db)), capacity_(capacity), writer_([this] { writer_loop(); }) {}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  room_ready_.notify_all();
  writer_.join();
}

Result<bool> GroupCommit::post(std::unique_ptr<Job> job, WhenFull when_full) {
  {
    std::unique_lock lock(mutex_);
    if (when_full == WhenFull::wait) {
      room_ready_.wait(lock, [&] { return stopping_ || queue_.size() < capacity_; });
    }
    if (stopping_) return Error{"store is closing"};
    if (queue_.size() >= capacity_) {
      return Error{std::string(kBusy) + " store write queue is full (" + std::to_string(capacity_) +
                   " pending)"};
    }
    queue_.push_back(std::move(job));
  }
  work_ready_.notify_one();
  return true;
}

void GroupCommit::writer_loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      // Stopping still drains: everything accepted before the stop gets its answer.
      if (queue_.empty()) return;
      batch_.swap(queue_);
    }
    room_ready_.notify_all();
    try {
      commit_batch();
    } catch (...) {
      abandon_batch();
    }
    batch_.clear();
  }
}

void GroupCommit::abandon_batch() noexcept {
  try {
    if (db_.in_transaction()) (void)db_.run("ROLLBACK");
  } catch (...) {
  }
  for (auto& job : batch_) {
    try {
      job->fail(Error{"store write failed: internal error"});
      job->deliver();
    } catch (...) {
      // Already delivered, or out of memory: nothing more can be told to that caller.
    }
  }
}

void GroupCommit::fail_range(std::size_t begin, std::size_t end, const Error& error) {
  for (std::size_t i = begin; i < end; ++i)
    batch_[i]->fail(error);
}

void GroupCommit::run_in_savepoint(Job& job) {
  if (auto opened = db_.run("SAVEPOINT job"); !opened) {
    job.fail(Error{"store write: " + opened.error()});
    return;
  }
  job.run(db_);
  if (!db_.in_transaction()) return;  // SQLite abandoned the transaction; commit_batch sees it
  if (job.failed()) (void)db_.run("ROLLBACK TO job");
  (void)db_.run("RELEASE job");
}

void GroupCommit::commit_batch() {
  std::size_t begin = 0;
  while (begin < batch_.size()) {
    if (auto begun = db_.run("BEGIN IMMEDIATE"); !begun) {
      fail_range(begin, batch_.size(), Error{"store write: " + begun.error()});
      break;
    }
    std::size_t end = begin;
    for (; end < batch_.size(); ++end) {
      run_in_savepoint(*batch_[end]);
      if (!db_.in_transaction()) break;
    }
    if (end < batch_.size()) {
      // Some errors (disk full, I/O) make SQLite abandon the whole transaction: the jobs before
      // this one are lost with it, so they fail; the rest of the batch gets a fresh transaction.
      const Error lost{"store write: transaction rolled back by SQLite"};
      fail_range(begin, end, lost);
      if (!batch_[end]->failed()) batch_[end]->fail(lost);
      begin = end + 1;
      continue;
    }
    if (auto committed = db_.run("COMMIT"); !committed) {
      if (db_.in_transaction()) (void)db_.run("ROLLBACK");
      fail_range(begin, end, Error{"store commit: " + committed.error()});
    }
    break;
  }
  for (auto& job : batch_)
    job->deliver();
}

}  // namespace hookgate::store::sqlite
