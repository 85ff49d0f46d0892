// Formatting the per-event line of `hookgate listen`, as text or JSON.
#include "hookgate/relay/event_line.hpp"

#include <boost/json.hpp>

#include "hookgate/civil_date.hpp"
#include "hookgate/relay/terminal_text.hpp"

namespace hookgate::relay {

namespace {

std::string verdict_of(const ForwardOutcome& o) {
  if (o.accepted) return "delivered";
  if (o.attempts == 0) return "skipped";
  return o.status != 0 ? "refused" : "failed";
}

}  // namespace

std::string utc_time(std::int64_t unix_ms) {
  return rfc3339_ms(unix_ms);
}

std::string event_line_text(std::int64_t now_ms, const StreamEvent& event,
                            const ForwardOutcome& outcome) {
  std::string line = utc_time(now_ms) + "  " + terminal_safe(event.source) + "  #" +
                     std::to_string(event.seq) + "  " +
                     terminal_safe(event.event_type.empty() ? "-" : event.event_type) + "  " +
                     terminal_safe(event.verdict.empty() ? "-" : event.verdict) + "  ";
  if (outcome.attempts == 0) return line + "skipped (--events)";
  line += "-> ";
  line += outcome.status != 0 ? std::to_string(outcome.status) : terminal_safe(outcome.error);
  line += "  " + std::to_string(outcome.latency.count()) + " ms";
  if (outcome.attempts > 1) line += "  (" + std::to_string(outcome.attempts) + " attempts)";
  return line;
}

std::string event_line_json(std::int64_t now_ms, const StreamEvent& event,
                            const ForwardOutcome& outcome) {
  boost::json::object o{{"time", utc_time(now_ms)},
                        {"source", event.source},
                        {"seq", event.seq},
                        {"event_type", event.event_type},
                        {"verdict", event.verdict},
                        {"result", verdict_of(outcome)},
                        {"status", outcome.status},
                        {"attempts", outcome.attempts},
                        {"latency_ms", outcome.latency.count()}};
  if (!outcome.error.empty()) o["error"] = outcome.error;
  // JSON escapes control characters; C1 and bidirectional controls are valid JSON string content
  // but are escaped too, so the line stays safe when a script echoes it to a terminal.
  return json_terminal_safe(boost::json::serialize(o));
}

}  // namespace hookgate::relay
