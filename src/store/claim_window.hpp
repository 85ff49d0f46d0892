// The part of Store::claim both backends share: which destinations a claim's queries may look
// at, and which of a window of due candidates (oldest due first) the claim takes under the
// per-destination room, without touching the rows it leaves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hookgate/store/store.hpp"

namespace hookgate::store {

// A destination condition for SQL: destination IN list (only) or NOT IN list.
struct DestinationFilter {
  bool only = false;
  std::vector<std::string> list;
};

// The destinations with room in the request. A request whose default room is 0 lists the only
// destinations it may take from; otherwise it lists those it must not.
DestinationFilter destinations_with_room(const ClaimRequest& request);

// How many due candidates a claim reads: enough that a few destinations at their room do not
// leave the claim short, bounded so one claim stays a bounded read.
std::size_t candidate_window(std::size_t limit);

struct Candidate {
  std::int64_t id = 0;
  std::string destination;
};

struct Picked {
  std::vector<std::int64_t> ids;  // taken, in candidate order (oldest due first)
  // An unchosen candidate of a destination with room left: more is claimable right now.
  bool more_now = false;
  // The destinations whose pending work counts for Claimed::next_due_ms: those with room left
  // after this claim (work of a destination without room waits for room, not for a time).
  DestinationFilter waking;
};

Picked pick_candidates(const ClaimRequest& request, const std::vector<Candidate>& candidates);

}  // namespace hookgate::store
