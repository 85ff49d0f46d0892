// PullWaiters: long polls (GET /pull/<source>?wait=N) parked without a thread. A parked poll is
// a deadline plus two callbacks: resume (run its query again, on a worker) when a new durable
// event of its source is announced or its recheck time comes, and expire (answer an empty page,
// no store read) at its deadline or at shutdown. One timer thread keeps the deadlines; the
// number parked is bounded, so a flood of polls costs a bounded amount of memory and no threads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace hookgate::api {

struct ParkedPoll {
  std::string source;
  std::chrono::steady_clock::time_point deadline;
  // Hands the poll to a worker to query again; false when no worker could take it (it stays
  // parked and is offered again shortly).
  std::function<bool()> resume;
  // Answers the poll with an empty page. Must not block.
  std::function<void()> expire;
};

class PullWaiters {
 public:
  enum class Park { parked, stale, full, stopping };

  // recheck: how often a parked poll queries again although nothing was announced here (events
  // accepted by other nodes sharing a PostgreSQL store); zero: only announcements and deadlines.
  PullWaiters(std::size_t max_parked, std::chrono::milliseconds recheck);
  ~PullWaiters();  // stop()
  PullWaiters(const PullWaiters&) = delete;
  PullWaiters& operator=(const PullWaiters&) = delete;

  // Read before querying the store and handed to park(): a poll whose source was announced in
  // between is not parked (stale), so no event slips between the query and the park.
  std::uint64_t generation(const std::string& source) const;
  Park park(std::shared_ptr<ParkedPoll> poll, std::uint64_t seen);
  // A new durable event of source: resumes that source's parked polls, and only those.
  void notify(const std::string& source);
  // Expires every parked poll now; later park() calls answer stopping. Idempotent.
  void stop();
  std::size_t parked() const;

 private:
  struct Entry {
    std::shared_ptr<ParkedPoll> poll;
    std::chrono::steady_clock::time_point recheck_at;
  };
  void run();
  void tick_until_stopped();
  void insert(std::uint64_t id, Entry entry);  // with m_ held
  std::chrono::steady_clock::time_point next_recheck() const;

  const std::size_t max_parked_;
  const std::chrono::milliseconds recheck_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::uint64_t next_id_ = 0;
  // By source, so an event touches only its own source's polls.
  std::map<std::string, std::map<std::uint64_t, Entry>, std::less<>> parked_;
  std::size_t count_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> generations_;
  std::thread timer_;  // last: started once the members it uses exist
};

}  // namespace hookgate::api
