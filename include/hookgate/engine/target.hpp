// Target: one destination as the dispatcher sees it, whatever its kind (an operator's HTTP
// service, a command, a JSON-lines file, or an application's endpoint on the outbound side).
// The dispatcher owns claiming, retries and recording; a target owns how one attempt is made and
// the destination-specific gates around it (rate limit, circuit breaker, disabled endpoint).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/engine/retry_policy.hpp"
#include "hookgate/engine/sender.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::engine {

// What to do with a claimed delivery before an attempt is made.
struct Gate {
  // wait: a send slot at until_ms is reserved for this delivery (a rate limit). The dispatcher
  // holds it on a timer and asks again at that time when the slot is near and well inside the
  // lease, so the sends themselves are paced; otherwise it postpones it to until_ms.
  enum class Action { send, postpone, give_up, wait };
  Action action = Action::send;
  std::int64_t until_ms = 0;  // for postpone and wait: when it becomes due again
  std::string reason;         // for give_up: recorded as the attempt's error
};

struct RetrySchedule {
  std::vector<std::chrono::seconds> delays;  // before attempts 2, 3, ...
  double jitter = 0.2;
};

using SendDone = std::function<void(SendResult)>;

class Target {
 public:
  virtual ~Target() = default;
  // The most attempts of this target in flight at once on this node.
  virtual std::size_t concurrency() const = 0;
  // Upper bound of one attempt's duration: the lease must outlive it.
  virtual std::chrono::milliseconds timeout() const = 0;
  virtual const RetrySchedule& schedule() const = 0;
  // HTTP targets classify by status (only 2xx delivers); others by exit status.
  virtual bool http() const = 0;
  virtual Gate before(const store::Delivery& delivery, std::int64_t now_ms) = 0;
  // Whether before() returns at once, waiting on no store write or network (no rate-limit
  // reservation): then the dispatcher starts this target's next claimed attempt on the thread
  // that completed the previous one (an event loop), without a hop through its starter thread.
  // false (the default) keeps before() off the event loops.
  virtual bool quick_gate() const { return false; }
  // Starts one attempt (1-based) and returns at once: done is called exactly once, on any thread,
  // within timeout() plus a small margin. An attempt waiting for its destination holds no
  // dispatcher thread (HTTP goes through an event loop; blocking kinds through their own
  // bounded pool). Must not throw.
  virtual void send_async(const store::Delivery& delivery, int attempt, SendDone done) = 0;
  // Told how the attempt ended (after it was recorded), for circuit breakers and disabling.
  virtual void after(const store::Delivery& delivery, const SendResult& result, Verdict verdict,
                     std::int64_t now_ms) = 0;
};

// Resolves a delivery's destination name to its target; nullptr when no such destination exists
// any more (the dispatcher then gives the delivery up with a recorded reason).
class TargetDirectory {
 public:
  virtual ~TargetDirectory() = default;
  virtual std::shared_ptr<Target> find(std::string_view destination) = 0;
  // Destinations an operator paused: claims give them no room, so their deliveries stay pending
  // until resumed. Asked before every claim: from memory, quick, never the store.
  virtual std::vector<std::string> paused() { return {}; }
};

}  // namespace hookgate::engine
