// Outcome classification and the retry schedule.
#include "hookgate/engine/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace hookgate::engine {

Verdict classify(const AttemptOutcome& outcome, bool http) {
  if (!outcome.error.empty()) return Verdict::retry;
  if (!http) return outcome.status == 0 ? Verdict::delivered : Verdict::retry;
  if (outcome.status >= 200 && outcome.status < 300) return Verdict::delivered;
  if (outcome.status == 410) return Verdict::give_up;
  return Verdict::retry;
}

std::optional<std::chrono::milliseconds> next_delay(
    const std::vector<std::chrono::seconds>& schedule, int attempts_made, double jitter,
    double random01, std::optional<std::chrono::seconds> retry_after) {
  if (attempts_made < 1 || static_cast<std::size_t>(attempts_made) > schedule.size()) {
    return std::nullopt;
  }
  const auto base = std::chrono::duration<double, std::milli>(
      schedule[static_cast<std::size_t>(attempts_made) - 1]);
  jitter = std::clamp(jitter, 0.0, 1.0);
  const double factor = 1.0 - jitter + 2.0 * jitter * std::clamp(random01, 0.0, 1.0);
  auto delay =
      std::chrono::milliseconds(static_cast<std::int64_t>(std::floor(base.count() * factor)));
  if (retry_after) {
    const auto asked = std::chrono::milliseconds(std::min(*retry_after, kMaxRetryAfter));
    delay = std::max(delay, asked);
  }
  return delay;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
  while (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ')
    value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return std::nullopt;
  std::int64_t seconds = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + (c - '0');
  }
  return std::chrono::seconds(seconds);
}

}  // namespace hookgate::engine
