// The part of Store::claim both backends share: which destinations a claim's queries may look
// at, where the round-robin over destinations with due work resumes, and which of the due
// candidates (visited destination by destination) the claim takes under the per-destination
// room, without touching the rows it leaves.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
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

// The room the request gives destination (ClaimRequest::room, else default_room).
std::size_t room_of(const ClaimRequest& request, std::string_view destination);

// Whether filter admits destination.
bool admits(const DestinationFilter& filter, std::string_view destination);

// A count as a SQL LIMIT (signed 64-bit), saturating.
std::int64_t sql_limit(std::size_t count);

// Where a store's round-robin over destinations with due work resumes: after the destination the
// previous claim visited last, so each claim starts where the last one stopped and a destination
// with a long backlog takes at most its room per turn. Kept in memory per store (each node turns
// on its own); a restart begins at the first destination, which costs no fairness over time.
class ClaimCursor {
 public:
  std::string after() const {
    const std::lock_guard lock(m_);
    return after_;
  }
  void move_to(std::string destination) {
    const std::lock_guard lock(m_);
    after_ = std::move(destination);
  }

 private:
  mutable std::mutex m_;
  std::string after_;
};

struct Candidate {
  std::int64_t id = 0;
  std::string destination;
  std::int64_t due_ms = 0;
};

struct Picked {
  std::vector<std::int64_t> ids;  // taken, in candidate order (the order destinations were visited)
  // An unchosen candidate of a destination with room left: more is claimable right now.
  bool more_now = false;
  // The destinations whose pending work counts for Claimed::next_due_ms: those with room left
  // after this claim (work of a destination without room waits for room, not for a time).
  DestinationFilter waking;
};

// candidates: due now, grouped by destination in the order the claim visited them, each
// destination's oldest due first.
Picked pick_candidates(const ClaimRequest& request, const std::vector<Candidate>& candidates);

}  // namespace hookgate::store
