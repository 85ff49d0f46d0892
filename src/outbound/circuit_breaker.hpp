// CircuitBreaker: per-endpoint protection on one node. After `failures` consecutive failed
// attempts the circuit opens: deliveries wait instead of hammering a receiver that is down. After
// the cool-down one trial attempt is let through (half-open); its success closes the circuit, its
// failure opens it again with the cool-down doubled (up to max_cooldown). Pure logic: the caller
// passes the time; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace hookgate::outbound {

class CircuitBreaker {
 public:
  CircuitBreaker(int failures, std::chrono::milliseconds cooldown,
                 std::chrono::milliseconds max_cooldown = std::chrono::minutes(10));

  // nullopt: an attempt may go now. Otherwise the time (unix ms) to try again.
  std::optional<std::int64_t> hold_until(std::int64_t now_ms);
  void record(bool success, std::int64_t now_ms);
  bool open() const;

 private:
  mutable std::mutex m_;
  int threshold_;
  std::chrono::milliseconds base_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds current_;
  int consecutive_ = 0;
  std::int64_t open_until_ms_ = 0;  // 0: closed
  bool trial_in_flight_ = false;
};

}  // namespace hookgate::outbound
