// Closed -> open after N failures -> half-open after the cool-down (or at once for an operator's
// attempt) -> closed on a success.
#include "outbound/circuit_breaker.hpp"

#include <algorithm>

namespace hookgate::outbound {

CircuitBreaker::CircuitBreaker(int failures, std::chrono::milliseconds cooldown,
                               std::chrono::milliseconds max_cooldown,
                               std::chrono::milliseconds trial_limit)
    : threshold_(std::max(1, failures)),
      base_(cooldown),
      max_(std::max(cooldown, max_cooldown)),
      current_(cooldown),
      trial_limit_(std::max(trial_limit, std::chrono::milliseconds(1))) {}

std::int64_t CircuitBreaker::short_wait(std::int64_t now_ms) const {
  return now_ms + std::min<std::int64_t>(base_.count(), 1000);
}

std::optional<std::int64_t> CircuitBreaker::hold_until(std::int64_t now_ms, Attempt attempt) {
  const std::lock_guard lock(m_);
  if (open_until_ms_ == 0) return std::nullopt;
  if (trial_until_ms_ != 0 && now_ms >= trial_until_ms_) trial_until_ms_ = 0;  // outcome lost
  // The trial itself asking again (after a rate-limit wait) goes.
  if (trial_until_ms_ != 0 && attempt.delivery_id == trial_delivery_) return std::nullopt;
  // An operator's attempt does not wait out the cool-down: it asks whether the receiver is back,
  // which is what the half-open trial asks. Automatic attempts wait for the cool-down's end.
  if (now_ms < open_until_ms_ && !attempt.manual) return open_until_ms_;
  // One trial at a time; the others wait a little for its outcome.
  if (trial_until_ms_ != 0) return short_wait(now_ms);
  trial_delivery_ = attempt.delivery_id;
  trial_until_ms_ = now_ms + trial_limit_.count();
  return std::nullopt;
}

std::int64_t CircuitBreaker::record(bool success, std::int64_t now_ms, std::int64_t delivery_id) {
  const std::lock_guard lock(m_);
  const bool trial = trial_until_ms_ != 0 && delivery_id == trial_delivery_;
  if (success) {
    const std::int64_t cut_short = open_until_ms_ > now_ms ? open_until_ms_ : 0;
    consecutive_ = 0;
    open_until_ms_ = 0;
    trial_until_ms_ = 0;
    current_ = base_;
    return cut_short;
  }
  ++consecutive_;
  if (open_until_ms_ != 0) {
    // A failed trial: open again, for longer. Another failure (an attempt that started before
    // the circuit opened) keeps it open from now, and leaves a trial in flight to its outcome.
    if (trial) {
      current_ = std::min(max_, current_ * 2);
      trial_until_ms_ = 0;
    }
    open_until_ms_ = now_ms + current_.count();
    return 0;
  }
  if (consecutive_ >= threshold_) open_until_ms_ = now_ms + current_.count();
  return 0;
}

bool CircuitBreaker::open() const {
  const std::lock_guard lock(m_);
  return open_until_ms_ != 0;
}

}  // namespace hookgate::outbound
