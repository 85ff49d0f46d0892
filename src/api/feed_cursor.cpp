// Parsing and printing the inspector feed's cursors.
#include "api/feed_cursor.hpp"

#include <algorithm>

namespace hookgate::api {

bool is_node_tag(std::string_view text) {
  return text.size() == 12 && text.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::optional<std::int64_t> parse_position(std::string_view text) {
  if (text.empty() || text.size() > 18 ||
      text.find_first_not_of("0123456789") != std::string_view::npos ||
      (text.size() > 1 && text[0] == '0')) {
    return std::nullopt;
  }
  std::int64_t v = 0;
  for (const char c : text)
    v = v * 10 + (c - '0');
  return v;
}

std::optional<FeedCursor> parse_feed_cursor(std::string_view text) {
  if (text.empty() || text.size() > kMaxFeedCursor) return std::nullopt;
  FeedCursor c;
  if (text[0] == 'n') {
    c.newer = true;
  } else if (text[0] != 'o') {
    return std::nullopt;
  }
  text.remove_prefix(1);
  while (!text.empty()) {
    if (text[0] != '.') return std::nullopt;
    text.remove_prefix(1);
    const auto end = std::min(text.find('.'), text.size());
    const auto item = text.substr(0, end);
    text.remove_prefix(end);
    if (!item.empty() && item[0] == 's') {
      const auto seq = parse_position(item.substr(1));
      if (c.seq || !seq) return std::nullopt;
      c.seq = seq;
      continue;
    }
    const auto dash = item.find('-');
    if (dash == std::string_view::npos || !is_node_tag(item.substr(0, dash))) return std::nullopt;
    const auto n = parse_position(item.substr(dash + 1));
    if (!n || c.rings.size() >= kMaxFeedCursorNodes) return std::nullopt;
    if (!c.rings.emplace(std::string(item.substr(0, dash)), *n).second) return std::nullopt;
  }
  return c;
}

std::string format_feed_cursor(const FeedCursor& c) {
  std::string out = c.newer ? "n" : "o";
  if (c.seq) out += ".s" + std::to_string(*c.seq);
  for (const auto& [tag, n] : c.rings)
    out += "." + tag + "-" + std::to_string(n);
  return out;
}

}  // namespace hookgate::api
