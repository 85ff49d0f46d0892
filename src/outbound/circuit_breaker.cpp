// Closed -> open after N failures -> half-open after the cool-down -> closed on a success.
#include "outbound/circuit_breaker.hpp"

#include <algorithm>

namespace hookgate::outbound {

CircuitBreaker::CircuitBreaker(int failures, std::chrono::milliseconds cooldown,
                               std::chrono::milliseconds max_cooldown)
    : threshold_(std::max(1, failures)),
      base_(cooldown),
      max_(std::max(cooldown, max_cooldown)),
      current_(cooldown) {}

std::optional<std::int64_t> CircuitBreaker::hold_until(std::int64_t now_ms) {
  const std::lock_guard lock(m_);
  if (open_until_ms_ == 0) return std::nullopt;
  if (now_ms < open_until_ms_) return open_until_ms_;
  // Half-open: exactly one trial at a time; the others wait a little for its outcome.
  if (trial_in_flight_) return now_ms + std::min<std::int64_t>(base_.count(), 1000);
  trial_in_flight_ = true;
  return std::nullopt;
}

void CircuitBreaker::record(bool success, std::int64_t now_ms) {
  const std::lock_guard lock(m_);
  if (success) {
    consecutive_ = 0;
    open_until_ms_ = 0;
    trial_in_flight_ = false;
    current_ = base_;
    return;
  }
  ++consecutive_;
  if (open_until_ms_ != 0) {
    // A failed trial: open again, for longer.
    if (trial_in_flight_) current_ = std::min(max_, current_ * 2);
    trial_in_flight_ = false;
    open_until_ms_ = now_ms + current_.count();
    return;
  }
  if (consecutive_ >= threshold_) open_until_ms_ = now_ms + current_.count();
}

bool CircuitBreaker::open() const {
  const std::lock_guard lock(m_);
  return open_until_ms_ != 0;
}

}  // namespace hookgate::outbound
