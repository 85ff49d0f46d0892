// Per-second counters of the last hour, kept in a ring of slots.
#include "engine/stats_series.hpp"

#include <algorithm>

namespace hookgate::engine {

namespace {

std::int64_t second_of(std::int64_t ms) {
  return ms >= 0 ? ms / 1000 : 0;
}

}  // namespace

std::size_t StatsSeries::slot(std::int64_t second) {
  const auto i = static_cast<std::size_t>(second % static_cast<std::int64_t>(kSeconds));
  if (second_of_[i] != second) {
    second_of_[i] = second;
    for (auto& c : counts_)
      c[i] = 0;
    for (auto& [name, r] : reasons_)
      r[i] = 0;
  }
  return i;
}

void StatsSeries::add(Counter counter, std::int64_t now_ms) {
  const std::lock_guard lock(m_);
  ++counts_[counter][slot(second_of(now_ms))];
}

void StatsSeries::refused_for(std::string_view reason, std::int64_t now_ms) {
  const std::lock_guard lock(m_);
  const auto i = slot(second_of(now_ms));
  ++counts_[refused][i];
  auto it = reasons_.find(reason);
  if (it == reasons_.end()) {
    const std::string_view name = reasons_.size() < kMaxReasons - 1 ? reason : "other";
    it = reasons_.find(name);
    if (it == reasons_.end()) {
      it = reasons_.emplace(std::string(name), std::array<std::uint32_t, kSeconds>{}).first;
      // A new reason's slots of earlier seconds are zero already; this one is counted below.
    }
  }
  ++it->second[i];
}

StatsSeries::Window StatsSeries::window(std::int64_t now_ms, std::size_t seconds) const {
  seconds = std::clamp<std::size_t>(seconds, 1, kSeconds);
  const std::int64_t last = second_of(now_ms);
  Window w;
  w.start_s = last - static_cast<std::int64_t>(seconds) + 1;
  const std::lock_guard lock(m_);
  const auto value = [&](const std::array<std::uint32_t, kSeconds>& a, std::int64_t s) {
    if (s < 0) return std::uint64_t{0};
    const auto i = static_cast<std::size_t>(s % static_cast<std::int64_t>(kSeconds));
    return second_of_[i] == s ? std::uint64_t{a[i]} : std::uint64_t{0};
  };
  for (std::size_t c = 0; c < kCounters; ++c) {
    auto& out = w.counters[c];
    out.reserve(seconds);
    for (std::int64_t s = w.start_s; s <= last; ++s)
      out.push_back(value(counts_[c], s));
  }
  for (const auto& [name, a] : reasons_) {
    std::vector<std::uint64_t> out;
    out.reserve(seconds);
    bool any = false;
    for (std::int64_t s = w.start_s; s <= last; ++s) {
      out.push_back(value(a, s));
      any = any || out.back() != 0;
    }
    if (any) w.reasons.emplace(name, std::move(out));
  }
  return w;
}

}  // namespace hookgate::engine
