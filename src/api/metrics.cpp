// Prometheus text exposition (version 0.0.4) of the gateway's counters, with the label bounds
// that keep unauthenticated requests from creating series.
#include "metrics.hpp"

#include <sstream>

#include "api/process_metrics.hpp"

namespace hookgate::api {

namespace {

constexpr std::string_view kEndpointPrefix = "endpoint:";
constexpr std::size_t kMaxCodeLength = 48;

// Reason codes are literals in the code ("accepted", "no_match"); anything else (a future
// caller passing through text it did not write) is folded into "other".
std::string code_label(const std::string& code) {
  if (code.empty() || code.size() > kMaxCodeLength ||
      code.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    return "other";
  }
  return code;
}

template <class Map>
void count(Map& map, typename Map::key_type key, std::size_t cap) {
  auto it = map.find(key);
  if (it == map.end() && map.size() >= cap) {
    key.second = "other";
    it = map.find(key);
    // The overflow series itself may be new: one more per first label value, bounded by it.
  }
  if (it == map.end()) it = map.emplace(std::move(key), 0).first;
  ++it->second;
}

void histogram(std::ostringstream& out, std::string_view name, std::string_view help,
               const auto& bounds, const auto& counts, double sum, std::uint64_t total) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    cumulative += counts[i];
    out << name << "_bucket{le=\"" << bounds[i] << "\"} " << cumulative << '\n';
  }
  cumulative += counts[bounds.size()];
  out << name << "_bucket{le=\"+Inf\"} " << cumulative << '\n'
      << name << "_sum " << sum << '\n'
      << name << "_count " << total << '\n';
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Metrics::Metrics(const MetricNames& names)
    : sources_(names.sources.begin(), names.sources.end()),
      destinations_(names.destinations.begin(), names.destinations.end()) {}

std::string Metrics::source_label(const std::string& source) const {
  if (source == "api" || sources_.contains(source)) return source;
  return std::string(kUnmatchedLabel);
}

std::string Metrics::destination_label(const std::string& destination) const {
  if (destinations_.contains(destination)) return destination;
  if (destination.starts_with(kEndpointPrefix)) return "endpoint";
  return std::string(kUnmatchedLabel);
}

void Metrics::request(const std::string& source, const std::string& verdict, int status,
                      double seconds) {
  auto key = std::make_pair(source_label(source), code_label(verdict));
  if (status < 100 || status > 599) status = 0;
  const std::lock_guard lock(m_);
  count(requests_, std::move(key), kMaxSeriesPerFamily);
  ++statuses_[status];
  std::size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i])
    ++i;
  ++latency_[i];
  latency_sum_ += seconds;
  ++latency_count_;
}

void Metrics::attempt(const std::string& destination, const std::string& outcome, double seconds) {
  auto key = std::make_pair(destination_label(destination), code_label(outcome));
  const std::lock_guard lock(m_);
  count(attempts_, std::move(key), kMaxSeriesPerFamily);
  std::size_t i = 0;
  while (i < kAttemptBuckets.size() && seconds > kAttemptBuckets[i])
    ++i;
  ++attempt_latency_[i];
  attempt_sum_ += seconds;
  ++attempt_count_;
}

void Metrics::set_gauge(const std::string& name, const std::string& help, double value) {
  const std::lock_guard lock(m_);
  gauges_[name] = {help, value};
}

std::size_t Metrics::series() const {
  const std::lock_guard lock(m_);
  return requests_.size() + statuses_.size() + attempts_.size() + gauges_.size();
}

std::string Metrics::render() const {
  std::ostringstream out;
  {
    const std::lock_guard lock(m_);
    out << "# HELP hookgate_inbound_requests_total Requests to sources by verdict.\n"
        << "# TYPE hookgate_inbound_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      out << "hookgate_inbound_requests_total{source=\"" << escape_label_value(key.first)
          << "\",verdict=\"" << escape_label_value(key.second) << "\"} " << n << '\n';
    }
    out << "# HELP hookgate_http_responses_total HTTP responses by status.\n"
        << "# TYPE hookgate_http_responses_total counter\n";
    for (const auto& [status, n] : statuses_) {
      out << "hookgate_http_responses_total{status=\"" << status << "\"} " << n << '\n';
    }
    histogram(out, "hookgate_inbound_seconds",
              "Time from request to answer (durable accept included).", kBuckets, latency_,
              latency_sum_, latency_count_);
    out << "# HELP hookgate_delivery_attempts_total Delivery attempts by destination and outcome "
           "(retry: failed, another attempt is scheduled; failed: given up).\n"
        << "# TYPE hookgate_delivery_attempts_total counter\n";
    for (const auto& [key, n] : attempts_) {
      out << "hookgate_delivery_attempts_total{destination=\"" << escape_label_value(key.first)
          << "\",outcome=\"" << escape_label_value(key.second) << "\"} " << n << '\n';
    }
    histogram(out, "hookgate_delivery_seconds", "Duration of one delivery attempt.",
              kAttemptBuckets, attempt_latency_, attempt_sum_, attempt_count_);
    for (const auto& [name, gauge] : gauges_) {
      out << "# HELP " << name << ' ' << gauge.first << "\n# TYPE " << name << " gauge\n"
          << name << ' ' << gauge.second << '\n';
    }
  }
  if (const auto process = sample_process()) out << render_process_metrics(*process);
  return out.str();
}

}  // namespace hookgate::api
