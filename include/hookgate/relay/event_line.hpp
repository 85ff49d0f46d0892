// The one line `hookgate listen` prints per event: for people (time, source, seq, event type,
// verdict, local status or error, latency, attempts) or, with --json, one JSON object per line
// for scripts. Everything that came from the network is escaped for a terminal (text) or as
// JSON (json), so an event type or an error text cannot inject terminal sequences or break the
// line structure.
#pragma once

#include <cstdint>
#include <string>

#include "hookgate/relay/forwarder.hpp"
#include "hookgate/relay/stream_event.hpp"

namespace hookgate::relay {

// "2026-12-01T03:10:00.123Z" for milliseconds since the epoch.
std::string utc_time(std::int64_t unix_ms);

// outcome: how the local server answered; skipped: filtered out by --events (not sent).
std::string event_line_text(std::int64_t now_ms, const StreamEvent& event,
                            const ForwardOutcome& outcome);
std::string event_line_json(std::int64_t now_ms, const StreamEvent& event,
                            const ForwardOutcome& outcome);

}  // namespace hookgate::relay
