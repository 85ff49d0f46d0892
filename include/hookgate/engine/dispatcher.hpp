// Dispatcher: the one delivery engine of both directions. It claims due deliveries from the store
// under a lease, makes each attempt through its target on a bounded set of workers, records the
// attempt and schedules the retry (or gives up), so a delivery is attempted by one node at a time
// and at least once. A node that dies mid-attempt loses its lease; the delivery is retried after
// it expires, by this node after a restart or by another node sharing the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "hookgate/engine/target.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::engine {

struct DispatcherOptions {
  std::string owner;  // lease owner: unique per running node
  std::chrono::milliseconds lease{30'000};
  std::size_t workers = 16;
  std::size_t batch = 64;
  // The longest the claimer sleeps when nothing is due; notify() wakes it earlier.
  std::chrono::milliseconds idle_poll{1000};
  // How long a delivery waits when its target is at its concurrency limit on this node.
  std::chrono::milliseconds busy_backoff{250};
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
  // Wakes the claimer: new deliveries may be due now.
  void notify();
  // Stops claiming and waits up to drain for attempts in flight. An attempt still running after
  // that keeps its lease: it is retried once the lease expires.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(5000));

  std::size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookgate::engine
