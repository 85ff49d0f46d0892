// Parsing of stream cursors: strict, so one cursor has one spelling.
#include "api/stream_cursor.hpp"

namespace hookgate::api {

std::optional<std::int64_t> parse_seq(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');  // 19 digits fit in 64 bits
  }
  if (value > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

Result<StreamCursor> stream_cursor(std::optional<std::string_view> last_event_id,
                                   std::optional<std::string_view> after) {
  StreamCursor cursor;
  if (last_event_id && !last_event_id->empty()) {
    const auto seq = parse_seq(*last_event_id);
    if (!seq) return Error{"bad_last_event_id"};
    cursor.after = seq;
    cursor.from_last_event_id = true;
    return cursor;
  }
  if (after) {
    const auto seq = parse_seq(*after);
    if (!seq) return Error{"bad_after"};
    cursor.after = seq;
  }
  return cursor;
}

}  // namespace hookgate::api
