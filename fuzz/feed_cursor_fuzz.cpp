// Fuzzes the inspector feed's cursor (a query parameter): only canonical cursors parse, and a
// parsed cursor prints back as the same text, so a client cannot smuggle a second meaning in.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/feed_cursor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto cursor = hookgate::api::parse_feed_cursor(text);
  if (!cursor) return 0;
  if (cursor->rings.size() > hookgate::api::kMaxFeedCursorNodes) std::abort();
  // Items may come in any order; the printed form is canonical and parses to the same cursor.
  const auto printed = hookgate::api::format_feed_cursor(*cursor);
  const auto again = hookgate::api::parse_feed_cursor(printed);
  if (!again || again->newer != cursor->newer || again->seq != cursor->seq ||
      again->rings != cursor->rings) {
    std::abort();
  }
  return 0;
}
