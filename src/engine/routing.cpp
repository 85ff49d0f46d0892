// Route matching: event type filter, then exact JSON field values.
#include "routing.hpp"

#include <algorithm>

namespace hookgate::engine {

std::vector<std::string> route(const std::vector<config::Route>& routes, std::string_view source,
                               std::string_view event_type, const schemes::JsonBody& body) {
  std::vector<std::string> out;
  for (const auto& r : routes) {
    if (r.from != source) continue;
    if (!r.event_types.empty() &&
        std::find(r.event_types.begin(), r.event_types.end(), event_type) == r.event_types.end()) {
      continue;
    }
    const bool fields_match = std::all_of(r.match.begin(), r.match.end(), [&](const auto& m) {
      return body.field(m.first) == m.second;
    });
    if (!fields_match) continue;
    for (const auto& d : r.to) {
      if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
    }
  }
  return out;
}

}  // namespace hookgate::engine
