// Metrics: counters, gauges and latency histograms kept in memory and rendered in the Prometheus
// text exposition format (0.0.4) for GET /metrics. Thread-safe. Label values are bounded by
// construction: source and destination labels are names from the config (anything else counts
// as "unmatched"), endpoints registered through the API share one label, reason codes must look
// like codes, and the number of series per family is capped. Every value is escaped anyway, and
// every family carries HELP and TYPE.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookgate::api {

// The label values a deployment may produce: its configured names.
struct MetricNames {
  std::vector<std::string> sources;
  std::vector<std::string> destinations;
};

inline constexpr std::string_view kUnmatchedLabel = "unmatched";

// A label value escaped for the exposition format: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

class Metrics {
 public:
  Metrics() = default;  // no configured names: every source and destination is "unmatched"
  explicit Metrics(const MetricNames& names);

  // source: a configured source name, "api", or anything else (counted as "unmatched").
  void request(const std::string& source, const std::string& verdict, int status, double seconds);
  // One delivery attempt: outcome is "delivered", "retry" or "failed" (given up); seconds is the
  // attempt's duration. Endpoints registered through the API ("endpoint:<id>") share the label
  // "endpoint": their number is not bounded by the config.
  void attempt(const std::string& destination, const std::string& outcome, double seconds);
  // A gauge whose name and help text are fixed in the code (never from a request).
  void set_gauge(const std::string& name, const std::string& help, double value);
  std::string render() const;
  // Series in the labelled families (for tests and the cardinality bound).
  std::size_t series() const;

  // Per labelled family; beyond it new label pairs count under reason "other".
  static constexpr std::size_t kMaxSeriesPerFamily = 2048;

 private:
  std::string source_label(const std::string& source) const;
  std::string destination_label(const std::string& destination) const;

  static constexpr std::array<double, 10> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,  0.1,    0.25,  0.5,  1.0};
  std::set<std::string, std::less<>> sources_;
  std::set<std::string, std::less<>> destinations_;
  mutable std::mutex m_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> requests_;  // (source, verdict)
  std::map<int, std::uint64_t> statuses_;
  std::array<std::uint64_t, kBuckets.size() + 1> latency_{};
  double latency_sum_ = 0;
  std::uint64_t latency_count_ = 0;
  std::map<std::string, std::pair<std::string, double>> gauges_;  // name -> (help, value)
  static constexpr std::array<double, 10> kAttemptBuckets = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                             0.25,  0.5,  1.0,   2.5,  10.0};
  std::map<std::pair<std::string, std::string>, std::uint64_t> attempts_;  // (dest, outcome)
  std::array<std::uint64_t, kAttemptBuckets.size() + 1> attempt_latency_{};
  double attempt_sum_ = 0;
  std::uint64_t attempt_count_ = 0;
};

}  // namespace hookgate::api
