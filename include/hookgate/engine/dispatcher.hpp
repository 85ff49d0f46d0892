// Dispatcher: the one delivery engine of both directions. It claims due deliveries from the store
// under a lease, in batches, with room per destination; starts their attempts fairly (round-robin
// over destinations, each within its own concurrency, all within max_in_flight) as asynchronous
// operations that hold no thread while they wait; records the attempts and schedules the retries
// (or gives up) in batches; so a delivery is attempted by one node at a time and at least once.
// A node that dies mid-attempt loses its lease; the delivery is retried after it expires, by this
// node after a restart or by another node sharing the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hookgate/engine/target.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::engine {

struct DispatcherOptions {
  std::string owner;  // lease owner: unique per running node
  std::chrono::milliseconds lease{30'000};
  // Attempts in flight on this node, all destinations together; also bounds the deliveries it
  // holds claimed (waiting to start or to be recorded).
  std::size_t max_in_flight = 4096;
  std::size_t batch = 256;  // deliveries per claim at most
  // Room a claim gives a destination this node holds no work of (its concurrency is unknown
  // until a delivery of it is claimed): the smallest concurrency configured keeps it within one
  // round of waiting.
  std::size_t default_room = 4;
  // The longest the claimer sleeps when nothing is due; the earliest due time the store reports,
  // a retry this node scheduled, or notify() wake it earlier.
  std::chrono::milliseconds idle_poll{1000};
  // How long a delivery waits when its target is at its concurrency limit on this node.
  std::chrono::milliseconds busy_backoff{250};
  // A rate-limited delivery whose reserved slot is at most this far off waits for it here and is
  // sent at its slot (the receiver sees the rate); a later slot is postponed in the store.
  std::chrono::milliseconds pace_horizon{2000};
  // An attempt starts only if its timeout ends this long (at most half of what the lease leaves
  // beyond the timeout) before its lease does; otherwise it is handed back and claimed again
  // under a new lease.
  std::chrono::milliseconds lease_margin{1000};
  // Attempt records are written in batches of up to record_batch, at most record_delay after the
  // first of them ended.
  std::size_t record_batch = 256;
  std::chrono::milliseconds record_delay{2};
};

// What happened to one attempt, for metrics and logs.
struct AttemptReport {
  std::string destination;
  store::Attempt attempt;
  Verdict verdict = Verdict::delivered;
  bool gave_up = false;  // the schedule is exhausted or the target said to stop
};

class Dispatcher {
 public:
  using Now = std::function<std::int64_t()>;  // unix ms
  using Observer = std::function<void(const AttemptReport&)>;

  Dispatcher(store::Store& store, TargetDirectory& targets, DispatcherOptions options, Now now,
             Observer observer = {});
  ~Dispatcher();  // stop()
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void start();
  // Wakes the claimer: new deliveries may be due now. Cheap; any thread.
  void notify();
  // Stops claiming and waits up to drain for attempts in flight. An attempt still running after
  // that keeps its lease: it is retried once the lease expires.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(5000));

  // Attempts started and not yet answered.
  std::size_t in_flight() const;

 private:
  struct Impl;
  // Shared with the completion callbacks of attempts still out when the dispatcher goes: they
  // find it closed and leave those deliveries to their leases.
  std::shared_ptr<Impl> impl_;
};

}  // namespace hookgate::engine
