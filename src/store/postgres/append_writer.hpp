// Group commit of appends on PostgreSQL: one writer thread owns a connection and writes whatever
// appends are queued in one transaction, so N concurrent appends share one commit (one WAL
// flush) instead of paying for N. A batch also costs two round trips whatever its size: its
// set-based statements (AppendBatch) go in one pipeline, then COMMIT on its own.
//
// append_async() queues the event and returns; its callback gets the outcome on the writer thread
// once the transaction holding it has committed (or failed). A batch whose transaction fails
// because of one append is written again one append per transaction, so only that append fails. A
// connection that broke before COMMIT was sent is reconnected and the batch written again; a break
// during COMMIT leaves the outcome unknown and fails the batch. The queue is bounded: when it is
// full, append() fails at once with an Error starting with store::kBusy (the callback runs before
// append_async returns). Destruction stops accepting appends, writes the ones already queued, then
// joins the thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/postgres/notify.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::postgres {

// Taken by every append transaction of every node (advisory locks are per database), before it
// draws a seq and until it has committed: seqs then become visible in the order they were drawn,
// so a reader paging by seq can never pass a seq that another node's transaction has taken but
// not yet committed (and skip that event for ever once it commits).
inline constexpr std::int64_t kAppendLock = 0x686f6f6b67617466;

class AppendWriter {
 public:
  // channel: every committed batch notifies it (notify.hpp) in the COMMIT's round trip, one
  // notice per source that got new events, so other nodes' claimers and long polls wake.
  AppendWriter(Conn conn, std::size_t capacity, NotifyChannel channel);
  AppendWriter(const AppendWriter&) = delete;
  AppendWriter& operator=(const AppendWriter&) = delete;
  ~AppendWriter();

  void append_async(NewEvent event, AppendDone done);

 private:
  struct Job {
    NewEvent event;
    AppendDone done;
    std::optional<Result<Appended>> outcome;
  };
  enum class Ended { committed, job_failed, broken_before_commit, failed };

  using Jobs = std::span<std::unique_ptr<Job>>;

  void writer_loop();
  void write(Jobs jobs);
  // One transaction for jobs, reconnecting and trying once more if it broke before COMMIT.
  Ended write_with_retry(Jobs jobs);
  Ended write_once(Jobs jobs);
  static void fail(Jobs jobs, const Error& error);
  // "SELECT pg_notify(...); ... COMMIT": the batch's notices, sent with its COMMIT.
  [[nodiscard]] std::string commit_with_notices(Jobs jobs) const;

  Conn conn_;  // touched only by writer_
  const std::size_t capacity_;
  const NotifyChannel channel_;

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::vector<std::unique_ptr<Job>> queue_;  // guarded by mutex_
  bool stopping_ = false;                    // guarded by mutex_

  std::vector<std::unique_ptr<Job>> batch_;  // writer_ only; swapped with queue_ to reuse memory
  std::thread writer_;                       // last: starts once everything above exists
};

}  // namespace hookgate::store::postgres
