// StatsSeries: this node's counts per second over the last hour (accepted, duplicate and refused
// requests, refused by reason, and delivery attempts delivered, retried, failed), for the
// console's overview charts. A fixed ring of one slot per second: memory does not grow with
// traffic, and the set of reasons is bounded (beyond kMaxReasons they count as "other").
// Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hookgate::engine {

class StatsSeries {
 public:
  static constexpr std::size_t kSeconds = 3600;
  static constexpr std::size_t kMaxReasons = 32;
  enum Counter : std::size_t {
    accepted,
    duplicate,
    refused,
    delivered,
    retried,
    failed,
  };
  static constexpr std::size_t kCounters = 6;

  void add(Counter counter, std::int64_t now_ms);
  void refused_for(std::string_view reason, std::int64_t now_ms);  // counts refused too

  struct Window {
    std::int64_t start_s = 0;  // unix second of element 0
    std::array<std::vector<std::uint64_t>, kCounters> counters;
    std::map<std::string, std::vector<std::uint64_t>> reasons;  // only those seen in the window
  };
  // The last `seconds` seconds up to and including now's (1..kSeconds).
  Window window(std::int64_t now_ms, std::size_t seconds) const;

 private:
  std::size_t slot(std::int64_t second);  // clears a slot that held an older second

  mutable std::mutex m_;
  std::array<std::int64_t, kSeconds> second_of_{};  // which second each slot holds
  std::array<std::array<std::uint32_t, kSeconds>, kCounters> counts_{};
  std::map<std::string, std::array<std::uint32_t, kSeconds>, std::less<>> reasons_;
};

}  // namespace hookgate::engine
