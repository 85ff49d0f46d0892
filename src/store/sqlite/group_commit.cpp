// The writer thread of the group commit: drains the queue into one transaction per batch.
#include "store/sqlite/group_commit.hpp"

#include <string>

#include "hookgate/store/store.hpp"

namespace hookgate::store::sqlite {

GroupCommit::GroupCommit(Db db, std::size_t capacity, Durable durable)
    : db_(std::move(db)), capacity_(capacity), durable_(std::move(durable)) {
  if (durable_) syncer_ = std::thread([this] { sync_loop(); });
  writer_ = std::thread([this] { writer_loop(); });
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  room_ready_.notify_all();
  writer_.join();
  {
    std::lock_guard lock(mutex_);
    writer_done_ = true;
  }
  committed_ready_.notify_all();
  if (syncer_.joinable()) syncer_.join();
}

Result<bool> GroupCommit::post(std::unique_ptr<Job>& job, WhenFull when_full) try {
  {
    std::unique_lock lock(mutex_);
    if (when_full == WhenFull::wait) {
      room_ready_.wait(lock, [&] { return stopping_ || queue_.size() + taken_ < capacity_; });
    }
    if (stopping_) return Error{"store is closing"};
    if (queue_.size() + taken_ >= capacity_) {
      return Error{std::string(kBusy) + " store write queue is full (" + std::to_string(capacity_) +
                   " pending)"};
    }
    queue_.push_back(std::move(job));  // strong guarantee: on bad_alloc the job stays ours
  }
  work_ready_.notify_one();
  return true;
} catch (const std::exception& e) {
  // Callers answer through the job's callback, so a refusal must come back, never a throw.
  return Error{std::string("store write failed: ") + e.what()};
}

void GroupCommit::writer_loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      // Stopping still drains: everything accepted before the stop gets its answer.
      if (queue_.empty()) return;
      batch_.swap(queue_);
      taken_ += batch_.size();
    }
    try {
      commit_batch();
    } catch (...) {
      abandon_batch();
    }
    if (durable_) {
      if (const auto answered_now = deliver_committed(); answered_now > 0) answered(answered_now);
      // A batch of commit-only jobs costs no sync: the next durable job's sync covers it.
      if (!batch_.empty()) {
        Batch handed;
        handed.swap(batch_);
        {
          std::lock_guard lock(mutex_);
          committed_.push_back(std::move(handed));
        }
        committed_ready_.notify_one();
      }
    } else {
      deliver_all(batch_);
      answered(batch_.size());
    }
    batch_.clear();
  }
}

void GroupCommit::answered(std::size_t jobs) {
  {
    std::lock_guard lock(mutex_);
    taken_ -= jobs;
  }
  room_ready_.notify_all();
}

void GroupCommit::sync_loop() {
  std::vector<Batch> batches;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      committed_ready_.wait(lock, [&] { return writer_done_ || !committed_.empty(); });
      if (committed_.empty()) return;  // the writer is done and everything was handed out
      batches.swap(committed_);
    }
    // One sync covers every batch committed before it started.
    Result<bool> synced = Error{"store sync failed: internal error"};
    try {
      synced = durable_();
    } catch (const std::exception& e) {
      synced = Error{std::string("store sync failed: ") + e.what()};
    }
    std::size_t jobs = 0;
    for (auto& batch : batches) {
      for (auto& job : batch) {
        if (!synced && !job->failed()) job->fail(Error{"store sync: " + synced.error()});
      }
      jobs += batch.size();
      deliver_all(batch);
    }
    batches.clear();
    answered(jobs);
  }
}

std::size_t GroupCommit::deliver_committed() {
  std::size_t kept = 0;
  std::size_t answered_now = 0;
  for (std::size_t i = 0; i < batch_.size(); ++i) {
    if (batch_[i]->needs_sync) {
      if (i != kept) batch_[kept] = std::move(batch_[i]);
      ++kept;
    } else {
      batch_[i]->deliver();
      ++answered_now;
    }
  }
  batch_.resize(kept);
  return answered_now;
}

void GroupCommit::deliver_all(Batch& batch) {
  for (auto& job : batch)
    job->deliver();
}

void GroupCommit::abandon_batch() noexcept {
  try {
    if (db_.in_transaction()) (void)db_.run("ROLLBACK");
  } catch (...) {
  }
  for (auto& job : batch_) {
    try {
      job->fail(Error{"store write failed: internal error"});
    } catch (...) {
      // Out of memory: the job keeps whatever outcome it had.
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
  // Jobs almost never fail, and a SAVEPOINT and RELEASE per job cost as much SQLite work as a
  // small job itself: run the batch bare first, and only when a job failed roll it all back and
  // run it again with each job isolated.
  if (!commit_bare()) commit_isolated();
}

bool GroupCommit::commit_bare() {
  if (auto begun = db_.run("BEGIN IMMEDIATE"); !begun) return false;
  for (auto& job : batch_) {
    job->run(db_);
    if (job->failed() || !db_.in_transaction()) {
      if (db_.in_transaction()) (void)db_.run("ROLLBACK");
      if (batch_.size() > 1) return false;
      // Alone in its batch, the job's rollback is the whole transaction's: nothing to redo.
      if (!job->failed()) job->fail(Error{"store write: transaction rolled back by SQLite"});
      return true;
    }
  }
  if (auto committed = db_.run("COMMIT"); !committed) {
    if (db_.in_transaction()) (void)db_.run("ROLLBACK");
    fail_range(0, batch_.size(), Error{"store commit: " + committed.error()});
  }
  return true;
}

void GroupCommit::commit_isolated() {
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
}

}  // namespace hookgate::store::sqlite
