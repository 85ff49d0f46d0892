// SQL of Store::claim on SQLite: destinations with pending work visited in turn, each read from
// its own part of the queue. Lists of destinations and ids are bound as one JSON array and read
// with json_each, so each statement keeps one text (cached once) whatever the list's size.
#include "store/sqlite/claims.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/claim_window.hpp"
#include "store/sqlite/writes.hpp"

namespace hookgate::store::sqlite {
namespace {

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", byte);
      out += escaped;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

std::string json_array(const std::vector<std::string>& values) {
  std::string out = "[";
  for (const auto& value : values) {
    if (out.size() > 1) out.push_back(',');
    append_json_string(out, value);
  }
  out.push_back(']');
  return out;
}

std::string json_array(const std::vector<std::int64_t>& values) {
  std::string out = "[";
  for (const std::int64_t value : values) {
    if (out.size() > 1) out.push_back(',');
    out += std::to_string(value);
  }
  out.push_back(']');
  return out;
}

const char* in_or_not(const DestinationFilter& filter) {
  return filter.only ? "IN" : "NOT IN";
}

// One step of a skip-scan of deliveries_pending_by_destination (migration 7): the first
// destination with pending work after `after` (or at it, when inclusive). One index seek, however
// many rows each destination has queued.
Result<std::optional<std::string>> next_destination(Db& db, const std::string& after,
                                                    bool inclusive) {
  auto select = db.cached(
      inclusive ? "SELECT destination FROM deliveries INDEXED BY deliveries_pending_by_destination "
                  "WHERE state = 'pending' AND destination >= ?1 ORDER BY destination LIMIT 1"
                : "SELECT destination FROM deliveries INDEXED BY deliveries_pending_by_destination "
                  "WHERE state = 'pending' AND destination > ?1 ORDER BY destination LIMIT 1");
  if (!select) return Error{select.error()};
  (*select)->bind_text(1, after);
  auto row = (*select)->step();
  if (!row) return Error{row.error()};
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>((*select)->column_text(0));
}

// A claim's walk: destinations with pending work in turn from the cursor, each read from its own
// part of deliveries_pending_by_destination, oldest due first, no further than the claim may
// take from it (plus one row, which tells whether it has more due now or when it has next). The
// due rows of a destination without room are never read: one claim reads what it takes, the rows
// in flight of the destinations it visits, and one index seek per destination with pending work.
class Walk {
 public:
  Walk(Db& db, const ClaimRequest& request, std::int64_t durable_seq)
      : db_(db), request_(request), durable_seq_(durable_seq) {}

  // false: the claim is full, the rest waits for the next turn.
  Result<bool> visit(const std::string& destination) {
    const std::size_t room = room_of(request_, destination);
    if (room == 0) return true;
    if (takeable_ >= request_.limit) {
      complete_ = false;
      return false;
    }
    last_ = destination;
    const std::size_t want = std::min(room, request_.limit - takeable_);
    auto select = db_.cached(
        "SELECT id, due_ms FROM deliveries INDEXED BY deliveries_pending_by_destination "
        "WHERE state = 'pending' AND destination = ?1 AND (lease_until_ms IS NULL OR "
        "lease_until_ms <= ?2) AND event_seq <= ?3 ORDER BY due_ms, id LIMIT ?4");
    if (!select) return Error{select.error()};
    (*select)
        ->bind_text(1, destination)
        .bind_int64(2, request_.now_ms)
        .bind_int64(3, durable_seq_)
        .bind_int64(4, sql_limit(want) == INT64_MAX ? INT64_MAX : sql_limit(want) + 1);
    std::size_t due_now = 0;
    for (;;) {
      auto row = (*select)->step();
      if (!row) return Error{row.error()};
      if (!*row) break;
      const std::int64_t due_ms = (*select)->column_int64(1);
      if (due_ms > request_.now_ms) {
        later_.emplace_back(destination, due_ms);
        break;
      }
      candidates_.push_back(Candidate{(*select)->column_int64(0), destination, due_ms});
      ++due_now;
    }
    takeable_ += std::min(due_now, want);
    return true;
  }

  [[nodiscard]] const std::vector<Candidate>& candidates() const { return candidates_; }
  // Every destination with room was visited: nothing due now was left unread.
  [[nodiscard]] bool complete() const { return complete_; }
  [[nodiscard]] const std::optional<std::string>& last() const { return last_; }

  // The earliest unleased due time after now among the visited destinations filter admits.
  [[nodiscard]] std::optional<std::int64_t> later(const DestinationFilter& filter) const {
    std::optional<std::int64_t> first;
    for (const auto& [destination, due_ms] : later_) {
      if (admits(filter, destination) && (!first || due_ms < *first)) first = due_ms;
    }
    return first;
  }

 private:
  Db& db_;
  const ClaimRequest& request_;
  std::int64_t durable_seq_;
  std::vector<Candidate> candidates_;
  std::vector<std::pair<std::string, std::int64_t>> later_;
  std::size_t takeable_ = 0;
  bool complete_ = true;
  std::optional<std::string> last_;
};

// Visits the destinations with room in turn, starting after `after`: the listed ones when the
// request names the only destinations it may take from, else every destination with pending
// work, found by skip-scan.
//
// Why a skip-scan of an index and not a table of destinations with due work kept beside the
// queue: SQLite keeps the partial index in step with every statement that touches a delivery
// (appends, finishes, postpones, requeues, retention) at the cost of one index entry, while a
// table would need its own write in each of those paths (a missed one strands a destination's
// work) and a hot row per destination on every append.
Result<bool> walk_in_turn(Db& db, const DestinationFilter& filter, const std::string& after,
                          Walk& walk) {
  if (filter.only) {
    // filter.list comes from a std::map: sorted, so the turn is the same as the skip-scan's.
    for (const bool wrapped : {false, true}) {
      for (const auto& destination : filter.list) {
        if ((destination > after) == wrapped) continue;
        auto more = walk.visit(destination);
        if (!more) return more;
        if (!*more) return true;
      }
    }
    return true;
  }
  auto destination = next_destination(db, after, false);
  for (;;) {
    if (!destination) return Error{destination.error()};
    if (!*destination) break;
    auto more = walk.visit(**destination);
    if (!more) return more;
    if (!*more) return true;
    destination = next_destination(db, **destination, false);
  }
  destination = next_destination(db, "", true);
  for (;;) {
    if (!destination) return Error{destination.error()};
    if (!*destination || **destination > after) break;
    auto more = walk.visit(**destination);
    if (!more) return more;
    if (!*more) return true;
    destination = next_destination(db, **destination, false);
  }
  return true;
}

// The earliest end of a lease among the leased deliveries of the destinations filter admits, not
// taken now: they become claimable then. A leased row was due when it was claimed and its due
// time does not move while leased, so the later of the two counts. Read through the partial index
// deliveries_leased, which holds only the rows in flight.
Result<std::optional<std::int64_t>> next_lease_end(Db& db, const DestinationFilter& filter,
                                                   const std::vector<std::int64_t>& taken,
                                                   std::int64_t durable_seq) {
  auto select = db.cached(std::string("SELECT max(due_ms, lease_until_ms) FROM deliveries "
                                      "INDEXED BY deliveries_leased WHERE lease_until_ms IS NOT "
                                      "NULL AND state = 'pending' AND destination ") +
                          in_or_not(filter) +
                          " (SELECT value FROM json_each(?1))"
                          " AND id NOT IN (SELECT value FROM json_each(?2))"
                          " AND event_seq <= ?3 ORDER BY lease_until_ms LIMIT 1");
  if (!select) return Error{select.error()};
  const std::string destinations = json_array(filter.list);
  const std::string ids = json_array(taken);
  (*select)->bind_text(1, destinations).bind_text(2, ids).bind_int64(3, durable_seq);
  auto row = (*select)->step();
  if (!row) return Error{row.error()};
  if (!*row || (*select)->column_is_null(0)) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>((*select)->column_int64(0));
}

}  // namespace

Result<Claimed> claim_deliveries(Db& db, const ClaimRequest& request, std::int64_t durable_seq,
                                 ClaimCursor& cursor) {
  Claimed claimed;
  const DestinationFilter filter = destinations_with_room(request);
  Walk walk(db, request, durable_seq);
  if (request.limit > 0 && !(filter.only && filter.list.empty())) {
    if (auto walked = walk_in_turn(db, filter, cursor.after(), walk); !walked) {
      return Error{walked.error()};
    }
    if (walk.last()) cursor.move_to(*walk.last());
  }
  const Picked picked = pick_candidates(request, walk.candidates());
  if (!picked.ids.empty()) {
    auto lease = db.cached(
        "UPDATE deliveries SET lease_owner = ?1, lease_until_ms = ?2 WHERE id IN "
        "(SELECT value FROM json_each(?3))");
    if (!lease) return Error{lease.error()};
    const std::string ids = json_array(picked.ids);
    (*lease)->bind_text(1, request.owner).bind_int64(2, request.now_ms + request.lease_ms);
    (*lease)->bind_text(3, ids);
    if (auto done = (*lease)->run(); !done) return Error{done.error()};
  }
  // Handed over oldest due first, whatever the turn that found them.
  std::unordered_map<std::int64_t, std::int64_t> due_of;
  for (const auto& candidate : walk.candidates())
    due_of.emplace(candidate.id, candidate.due_ms);
  std::vector<std::pair<std::int64_t, std::int64_t>> order;  // (due_ms, id)
  order.reserve(picked.ids.size());
  for (const std::int64_t id : picked.ids)
    order.emplace_back(due_of[id], id);
  std::sort(order.begin(), order.end());
  claimed.deliveries.reserve(order.size());
  for (const auto& [due_ms, id] : order) {
    auto delivery = read_claimed(db, id);
    if (!delivery) return Error{delivery.error()};
    claimed.deliveries.push_back(std::move(delivery).value());
  }
  // A claim that filled its limit before every destination's turn came may have left work due
  // now: the claimer looks again at once (as it does after any full claim).
  if (picked.more_now || !walk.complete()) {
    claimed.next_due_ms = request.now_ms;
    return claimed;
  }
  auto leased = next_lease_end(db, picked.waking, picked.ids, durable_seq);
  if (!leased) return Error{leased.error()};
  const std::optional<std::int64_t> unleased = walk.later(picked.waking);
  if (unleased && *leased) {
    claimed.next_due_ms = std::min(*unleased, **leased);
  } else {
    claimed.next_due_ms = unleased ? unleased : *leased;
  }
  return claimed;
}

}  // namespace hookgate::store::sqlite
