// CircuitBreaker: per-endpoint protection on one node. After `failures` consecutive failed
// attempts the circuit opens: deliveries wait instead of hammering a receiver that is down. After
// the cool-down one trial attempt is let through (half-open); its success closes the circuit, its
// failure opens it again with the cool-down doubled (up to max_cooldown). An attempt an operator
// asked for (resend, recover, retry) does not wait for the cool-down: it is the trial at once.
// Pure logic: the caller passes the time; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace hookgate::outbound {

class CircuitBreaker {
 public:
  // The attempt asking to go.
  struct Attempt {
    std::int64_t delivery_id = 0;
    bool manual = false;  // asked for by an operator (store::Delivery::manual)
  };

  // trial_limit: how long a trial's outcome is waited for before another attempt may be the
  // trial (a trial handed back without being sent, or whose outcome was lost, never holds the
  // circuit half-open for good). At least the attempt's timeout.
  CircuitBreaker(int failures, std::chrono::milliseconds cooldown,
                 std::chrono::milliseconds max_cooldown = std::chrono::minutes(10),
                 std::chrono::milliseconds trial_limit = std::chrono::minutes(1));

  // nullopt: the attempt may go now. Otherwise the time (unix ms) to try again. The delivery
  // let through as the trial is let through again when it asks again (a rate-limit wait).
  std::optional<std::int64_t> hold_until(std::int64_t now_ms, Attempt attempt);
  // An attempt's outcome. Returns the end of the cool-down a success cut short (the circuit
  // closed before it): deliveries postponed up to then may go now. 0 otherwise.
  std::int64_t record(bool success, std::int64_t now_ms, std::int64_t delivery_id);
  bool open() const;

 private:
  // How long the others wait for the trial's outcome.
  std::int64_t short_wait(std::int64_t now_ms) const;

  mutable std::mutex m_;
  int threshold_;
  std::chrono::milliseconds base_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds current_;
  std::chrono::milliseconds trial_limit_;
  int consecutive_ = 0;
  std::int64_t open_until_ms_ = 0;  // 0: closed
  std::int64_t trial_delivery_ = 0;
  std::int64_t trial_until_ms_ = 0;  // 0: no trial in flight
};

}  // namespace hookgate::outbound
