// Choosing a claim from its candidate window under the per-destination room (claim_window.hpp).
#include "store/claim_window.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

namespace hookgate::store {

std::size_t room_of(const ClaimRequest& request, std::string_view destination) {
  const auto found = request.room.find(destination);
  return found != request.room.end() ? found->second : request.default_room;
}

bool admits(const DestinationFilter& filter, std::string_view destination) {
  const bool listed =
      std::find(filter.list.begin(), filter.list.end(), destination) != filter.list.end();
  return listed == filter.only;
}

std::int64_t sql_limit(std::size_t count) {
  return count >= static_cast<std::size_t>(INT64_MAX) ? INT64_MAX
                                                      : static_cast<std::int64_t>(count);
}

DestinationFilter destinations_with_room(const ClaimRequest& request) {
  DestinationFilter filter;
  filter.only = request.default_room == 0;
  for (const auto& [destination, room] : request.room) {
    if ((room > 0) == filter.only) filter.list.push_back(destination);
  }
  return filter;
}

Picked pick_candidates(const ClaimRequest& request, const std::vector<Candidate>& candidates) {
  Picked picked;
  std::map<std::string, std::size_t, std::less<>> taken;
  std::set<std::string, std::less<>> full;
  for (const auto& candidate : candidates) {
    const std::size_t room = room_of(request, candidate.destination);
    std::size_t& count = taken[candidate.destination];
    if (count >= room) {
      full.insert(candidate.destination);
    } else if (picked.ids.size() >= request.limit) {
      picked.more_now = true;
    } else {
      picked.ids.push_back(candidate.id);
      if (++count >= room) full.insert(candidate.destination);
    }
  }
  picked.waking = destinations_with_room(request);
  if (picked.waking.only) {
    std::erase_if(picked.waking.list, [&](const std::string& d) { return full.contains(d); });
  } else {
    for (const auto& destination : full) {
      if (std::find(picked.waking.list.begin(), picked.waking.list.end(), destination) ==
          picked.waking.list.end()) {
        picked.waking.list.push_back(destination);
      }
    }
  }
  return picked;
}

}  // namespace hookgate::store
