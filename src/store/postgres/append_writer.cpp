// The append writer thread: drains the queue into one transaction per batch.
#include "store/postgres/append_writer.hpp"

#include <algorithm>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/postgres/writes.hpp"

namespace hookgate::store::postgres {
AppendWriter::AppendWriter(Conn conn, std::size_t capacity, NotifyChannel channel)
    : conn_(std::move(conn)),
      capacity_(capacity),
      channel_(std::move(channel)),
      writer_([this] { writer_loop(); }) {}

AppendWriter::~AppendWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  writer_.join();
}

void AppendWriter::append_async(NewEvent event, AppendDone done) {
  const auto answer_now = [](const AppendDone& answer, Error error) {
    try {
      if (answer) answer(std::move(error));
    } catch (...) {
      // The callback's own failure is its own; the append was refused either way.
    }
  };
  std::unique_ptr<Job> job;
  try {
    job = std::make_unique<Job>();
  } catch (const std::exception& e) {
    return answer_now(done, Error{std::string("store write failed: ") + e.what()});
  }
  job->event = std::move(event);
  job->done = std::move(done);
  Error refused{"store is closing"};
  {
    std::unique_lock lock(mutex_);
    if (!stopping_ && queue_.size() >= capacity_) {
      refused = Error{std::string(kBusy) + " store write queue is full (" +
                      std::to_string(capacity_) + " pending)"};
    } else if (!stopping_) {
      try {
        // Room first, so the push cannot throw and lose the job with its callback.
        queue_.reserve(queue_.size() + 1);
        queue_.push_back(std::move(job));
        lock.unlock();
        work_ready_.notify_one();
        return;
      } catch (const std::exception& e) {
        refused = Error{std::string("store write failed: ") + e.what()};
      }
    }
  }
  answer_now(job->done, std::move(refused));
}

void AppendWriter::writer_loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      // Stopping still drains: everything accepted before the stop gets its answer.
      if (queue_.empty()) return;
      batch_.swap(queue_);
    }
    try {
      write(batch_);
    } catch (const std::exception& e) {
      fail(batch_, Error{std::string("store write failed: ") + e.what()});
    }
    for (auto& job : batch_) {
      if (!job->outcome) job->outcome.emplace(Error{"store write was not run"});
      try {
        job->done(std::move(*job->outcome));
      } catch (...) {
        // The callback's own failure must not stop the writer or the rest of the batch.
      }
    }
    batch_.clear();
  }
}

void AppendWriter::write(Jobs jobs) {
  if (write_with_retry(jobs) != Ended::job_failed) return;
  if (jobs.size() == 1) return;  // the job holds its own error
  // One bad append must not take its batch down: each gets a transaction of its own.
  for (std::size_t i = 0; i < jobs.size(); ++i)
    (void)write_with_retry(jobs.subspan(i, 1));
}

AppendWriter::Ended AppendWriter::write_with_retry(Jobs jobs) {
  Ended ended = write_once(jobs);
  if (ended == Ended::broken_before_commit) ended = write_once(jobs);
  if (ended == Ended::broken_before_commit) {
    fail(jobs, Error{"store write: the connection to PostgreSQL broke twice"});
  }
  return ended;
}

AppendWriter::Ended AppendWriter::write_once(Jobs jobs) {
  for (auto& job : jobs)
    job->outcome.reset();
  if (conn_.broken()) {
    if (auto back = conn_.reconnect(); !back) {
      fail(jobs, Error{"store write: " + back.error()});
      return Ended::failed;
    }
  }
  // A batch cut short by an exception can leave its transaction open: what it wrote, answered as
  // failed, must not be committed along with this batch.
  if (conn_.in_transaction()) (void)conn_.run("ROLLBACK");
  std::vector<const NewEvent*> events;
  events.reserve(jobs.size());
  for (const auto& job : jobs)
    events.push_back(&job->event);
  // Two round trips per batch whatever its size: this pipeline, then COMMIT on its own, so a
  // connection breaking before COMMIT was sent is known to have written nothing.
  std::vector<Statement> statements;
  statements.push_back(Statement{"BEGIN", {}});
  statements.push_back(Statement{"SELECT pg_advisory_xact_lock($1)", Params().int64(kAppendLock)});
  const std::size_t opening = statements.size();
  const AppendBatch batch(events, statements);
  const Pipelined ran = conn_.pipeline(statements);
  if (ran.error) {
    if (conn_.broken()) return Ended::broken_before_commit;
    if (conn_.in_transaction()) (void)conn_.run("ROLLBACK");
    if (ran.rows.size() < opening) {
      fail(jobs, Error{"store write: " + ran.error->message});
      return Ended::failed;
    }
    fail(jobs, *ran.error);  // one of the appends': a job alone holds it as its own
    return Ended::job_failed;
  }
  auto outcomes = batch.outcomes(ran.rows);
  bool all_ok = true;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    all_ok = all_ok && outcomes[i].ok();
    jobs[i]->outcome.emplace(std::move(outcomes[i]));
  }
  if (!all_ok) {
    (void)conn_.run("ROLLBACK");
    return Ended::job_failed;
  }
  // The notices go with COMMIT, in its round trip: the append lock is held no longer for them.
  // PostgreSQL delivers them only if the transaction commits.
  if (auto committed = conn_.run(commit_with_notices(jobs)); !committed) {
    if (conn_.broken()) {
      fail(jobs, Error{"store commit: " + committed.error() +
                       " (the connection broke during COMMIT: outcome unknown)"});
      return Ended::failed;
    }
    fail(jobs, Error{"store commit: " + committed.error()});
    return Ended::failed;
  }
  return Ended::committed;
}

std::string AppendWriter::commit_with_notices(Jobs jobs) const {
  struct Latest {
    std::int64_t seq = 0;
    bool routed = false;
  };
  std::map<std::string_view, Latest> sources;
  for (const auto& job : jobs) {
    if (!job->outcome || !job->outcome->ok() || (*job->outcome)->duplicate) continue;
    Latest& latest = sources[job->event.source];
    latest.seq = std::max(latest.seq, (*job->outcome)->seq);
    latest.routed = latest.routed || !job->event.destinations.empty();
  }
  std::string sql;
  for (const auto& [source, latest] : sources) {
    // Channel and payload are [0-9a-z_ ] only (notify.hpp): nothing to escape.
    sql += "SELECT pg_notify('" + channel_.channel + "', '" +
           append_payload(channel_.nonce, latest.seq, latest.routed, source) + "');";
  }
  sql += "COMMIT";
  return sql;
}

void AppendWriter::fail(Jobs jobs, const Error& error) {
  for (auto& job : jobs)
    job->outcome.emplace(error);
}

}  // namespace hookgate::store::postgres
