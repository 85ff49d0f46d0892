// The inspector feed's cursors (GET /api/v1/source/{name}/request?iterator=): one position per
// stream the feed merges, the store's event seq and each node's ring counter, plus the direction
// (older rows, or only newer ones for a live feed). Opaque to clients; parsed strictly (a query
// parameter), bounded in size and in the number of nodes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace hookgate::api {

inline constexpr std::size_t kMaxFeedCursor = 2048;
inline constexpr std::size_t kMaxFeedCursorNodes = 64;

struct FeedCursor {
  bool newer = false;                         // false: rows older than the positions
  std::optional<std::int64_t> seq;            // the store's stream; nullopt: from its newest
  std::map<std::string, std::int64_t> rings;  // node tag ([0-9a-f]{12}) -> capture counter
};

// "o" or "n", then ".s<seq>" at most once and ".<tag>-<n>" items, numbers canonical decimal.
std::optional<FeedCursor> parse_feed_cursor(std::string_view text);
std::string format_feed_cursor(const FeedCursor& cursor);

// A node tag: 12 lower-case hex digits.
bool is_node_tag(std::string_view text);
// Canonical non-negative decimal (no sign, no leading zero but "0"), at most 18 digits.
std::optional<std::int64_t> parse_position(std::string_view text);

}  // namespace hookgate::api
