// Metrics: counters and a latency histogram kept in memory and rendered in the Prometheus text
// format for GET /metrics. Thread-safe; label values are source names and reason codes, never
// anything a client chose freely (paths of unknown sources are counted under one label).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace hookgate::api {

class Metrics {
 public:
  void request(const std::string& source, const std::string& verdict, int status, double seconds);
  // One delivery attempt: outcome is "delivered", "retry" or "failed" (given up); seconds is the
  // attempt's duration.
  void attempt(const std::string& destination, const std::string& outcome, double seconds);
  void set_gauge(const std::string& name, double value);
  std::string render() const;

 private:
  static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,  0.1,    0.25,  0.5,  1.0};
  mutable std::mutex m_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> requests_;  // (source, verdict)
  std::map<int, std::uint64_t> statuses_;
  std::array<std::uint64_t, kBuckets.size() + 1> latency_{};
  double latency_sum_ = 0;
  std::uint64_t latency_count_ = 0;
  std::map<std::string, double> gauges_;
  static constexpr std::array<double, 10> kAttemptBuckets = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                             0.25,  0.5,  1.0,   2.5,  10.0};
  std::map<std::pair<std::string, std::string>, std::uint64_t> attempts_;  // (dest, outcome)
  std::array<std::uint64_t, kAttemptBuckets.size() + 1> attempt_latency_{};
  double attempt_sum_ = 0;
  std::uint64_t attempt_count_ = 0;
};

}  // namespace hookgate::api
