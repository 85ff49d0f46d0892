// Where an event stream resumes: the cursor a client names with Last-Event-ID (what an
// EventSource sends back on reconnection) or ?after=. Both are the decimal seq of the last event
// the client has, written exactly as the stream wrote it in its id: lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "hookgate/result.hpp"

namespace hookgate::api {

// A seq as a stream writes it: "0" or 1..19 decimal digits without a leading zero, at most
// INT64_MAX. nullopt for anything else (signs, spaces, leading zeros, overflow, empty).
std::optional<std::int64_t> parse_seq(std::string_view text);

struct StreamCursor {
  std::optional<std::int64_t> after;  // nullopt: start at the head (live events only)
  bool from_last_event_id = false;
};

// Last-Event-ID wins over ?after= (a reconnecting EventSource keeps its original URL, query and
// all, and adds the header). An empty Last-Event-ID is no cursor (the spec lets a client send
// one). An error names the bad input: "bad_last_event_id" or "bad_after".
Result<StreamCursor> stream_cursor(std::optional<std::string_view> last_event_id,
                                   std::optional<std::string_view> after);

}  // namespace hookgate::api
