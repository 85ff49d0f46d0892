// The retry policy as pure functions: how an attempt's outcome is classified, and when the next
// attempt is due. No clock, no randomness of its own: callers pass both, so schedules are tested
// without sleeping.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace hookgate::engine {

struct AttemptOutcome {
  int status = 0;     // HTTP status, or process exit code for commands; 0 = no answer
  std::string error;  // transport error ("connect timeout"); empty when answered
  std::optional<std::chrono::seconds> retry_after;  // from a 429/503 Retry-After
};

enum class Verdict { delivered, retry, give_up };

// Only 2xx is success (3xx is a failure: redirects are not followed). 410 Gone means the
// receiver asked to stop: no retry. Everything else is retried on the schedule.
Verdict classify(const AttemptOutcome& outcome, bool http);

// Delay before the next attempt after `attempts_made` attempts (1 = the first just failed), or
// nullopt when the schedule is exhausted. jitter in [0, 1] scales the delay by a factor drawn
// uniformly from [1 - jitter, 1 + jitter] using random01 in [0, 1). A Retry-After is honoured
// when it asks for longer than the schedule, up to kMaxRetryAfter.
inline constexpr std::chrono::seconds kMaxRetryAfter{24 * 3600};
std::optional<std::chrono::milliseconds> next_delay(
    const std::vector<std::chrono::seconds>& schedule, int attempts_made, double jitter,
    double random01, std::optional<std::chrono::seconds> retry_after);

// Parses a Retry-After header value: delta-seconds only (HTTP dates are rare for webhooks and
// are ignored rather than trusted).
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value);

}  // namespace hookgate::engine
