// The GCRA tolerance of the shared rate limiter (Store::reserve_slot), the same on every backend.
#pragma once

#include <algorithm>
#include <cstdint>

namespace hookgate::store {

// How far ahead of its theoretical arrival time a send may go: (burst - 1) * interval, so burst
// sends may start at once and then one per interval. A burst below 1 is 1 (strict spacing), and
// the product is capped so no setting can overflow the store's millisecond arithmetic.
inline std::int64_t rate_tolerance(std::int64_t interval_ms, std::int64_t burst) {
  constexpr std::int64_t kMaxToleranceMs = std::int64_t{1} << 40;  // ~35 years
  const std::int64_t extra = std::max<std::int64_t>(burst, 1) - 1;
  if (extra == 0 || interval_ms <= 0) return 0;
  if (extra > kMaxToleranceMs / interval_ms) return kMaxToleranceMs;
  return extra * interval_ms;
}

}  // namespace hookgate::store
