// Choosing a claim from its candidate window under the per-destination room (claim_window.hpp).
#include "store/claim_window.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>

namespace hookgate::store {
namespace {

constexpr std::size_t kMaxWindow = 10000;

std::size_t room_of(const ClaimRequest& request, const std::string& destination) {
  const auto found = request.room.find(destination);
  return found != request.room.end() ? found->second : request.default_room;
}

}  // namespace

DestinationFilter destinations_with_room(const ClaimRequest& request) {
  DestinationFilter filter;
  filter.only = request.default_room == 0;
  for (const auto& [destination, room] : request.room) {
    if ((room > 0) == filter.only) filter.list.push_back(destination);
  }
  return filter;
}

std::size_t candidate_window(std::size_t limit) {
  // A limit beyond the window's bound reads as many as it may take (a claim_due of everything).
  const std::size_t window = limit > kMaxWindow / 4 ? std::max(limit, kMaxWindow) : limit * 4;
  // The statements bind it as a signed 64-bit LIMIT.
  return std::min<std::size_t>(window, INT64_MAX);
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
