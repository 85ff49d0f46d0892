// Prometheus text exposition (version 0.0.4) of the gateway's counters.
#include "metrics.hpp"

#include <sstream>

namespace hookgate::api {

void Metrics::request(const std::string& source, const std::string& verdict, int status,
                      double seconds) {
  const std::lock_guard lock(m_);
  ++requests_[{source.empty() ? "-" : source, verdict}];
  ++statuses_[status];
  std::size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i])
    ++i;
  ++latency_[i];
  latency_sum_ += seconds;
  ++latency_count_;
}

void Metrics::attempt(const std::string& destination, const std::string& outcome, double seconds) {
  const std::lock_guard lock(m_);
  ++attempts_[{destination, outcome}];
  std::size_t i = 0;
  while (i < kAttemptBuckets.size() && seconds > kAttemptBuckets[i])
    ++i;
  ++attempt_latency_[i];
  attempt_sum_ += seconds;
  ++attempt_count_;
}

void Metrics::set_gauge(const std::string& name, double value) {
  const std::lock_guard lock(m_);
  gauges_[name] = value;
}

std::string Metrics::render() const {
  const std::lock_guard lock(m_);
  std::ostringstream out;
  out << "# HELP hookgate_inbound_requests_total Requests to sources by verdict.\n"
      << "# TYPE hookgate_inbound_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out << "hookgate_inbound_requests_total{source=\"" << key.first << "\",verdict=\"" << key.second
        << "\"} " << n << "\n";
  }
  out << "# HELP hookgate_http_responses_total HTTP responses by status.\n"
      << "# TYPE hookgate_http_responses_total counter\n";
  for (const auto& [status, n] : statuses_) {
    out << "hookgate_http_responses_total{status=\"" << status << "\"} " << n << "\n";
  }
  out << "# HELP hookgate_inbound_seconds Time from request to answer (durable accept included).\n"
      << "# TYPE hookgate_inbound_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += latency_[i];
    out << "hookgate_inbound_seconds_bucket{le=\"" << kBuckets[i] << "\"} " << cumulative << "\n";
  }
  cumulative += latency_[kBuckets.size()];
  out << "hookgate_inbound_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n"
      << "hookgate_inbound_seconds_sum " << latency_sum_ << "\n"
      << "hookgate_inbound_seconds_count " << latency_count_ << "\n";
  out << "# HELP hookgate_delivery_attempts_total Delivery attempts by destination and outcome "
         "(retry: failed, another attempt is scheduled; failed: given up).\n"
      << "# TYPE hookgate_delivery_attempts_total counter\n";
  for (const auto& [key, n] : attempts_) {
    out << "hookgate_delivery_attempts_total{destination=\"" << key.first << "\",outcome=\""
        << key.second << "\"} " << n << "\n";
  }
  out << "# HELP hookgate_delivery_seconds Duration of one delivery attempt.\n"
      << "# TYPE hookgate_delivery_seconds histogram\n";
  cumulative = 0;
  for (std::size_t i = 0; i < kAttemptBuckets.size(); ++i) {
    cumulative += attempt_latency_[i];
    out << "hookgate_delivery_seconds_bucket{le=\"" << kAttemptBuckets[i] << "\"} " << cumulative
        << "\n";
  }
  cumulative += attempt_latency_[kAttemptBuckets.size()];
  out << "hookgate_delivery_seconds_bucket{le=\"+Inf\"} " << cumulative << "\n"
      << "hookgate_delivery_seconds_sum " << attempt_sum_ << "\n"
      << "hookgate_delivery_seconds_count " << attempt_count_ << "\n";
  for (const auto& [name, value] : gauges_) {
    out << "# TYPE " << name << " gauge\n" << name << " " << value << "\n";
  }
  return out.str();
}

}  // namespace hookgate::api
