// SQL of Store::claim on SQLite. Lists of destinations and ids are bound as one JSON array and
// read with json_each, so each statement keeps one text (cached once) whatever the list's size.
#include "store/sqlite/claims.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
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

// Walks deliveries_due (state, due_ms) from the oldest due entry: the rows of destinations
// without room are passed over by the condition, never claimed or written.
Result<std::vector<Candidate>> due_candidates(Db& db, const ClaimRequest& request,
                                              const DestinationFilter& filter,
                                              std::int64_t durable_seq) {
  const std::string sql = std::string(
                              "SELECT id, destination FROM deliveries WHERE state = 'pending' "
                              "AND due_ms <= ?1 AND (lease_until_ms IS NULL OR lease_until_ms "
                              "<= ?1) AND event_seq <= ?4 AND destination ") +
                          in_or_not(filter) +
                          " (SELECT value FROM json_each(?2)) ORDER BY due_ms, id LIMIT ?3";
  auto select = db.cached(sql);
  if (!select) return Error{select.error()};
  const std::string list = json_array(filter.list);
  (*select)
      ->bind_int64(1, request.now_ms)
      .bind_text(2, list)
      .bind_int64(3, static_cast<std::int64_t>(candidate_window(request.limit)))
      .bind_int64(4, durable_seq);
  std::vector<Candidate> candidates;
  for (;;) {
    auto row = (*select)->step();
    if (!row) return Error{row.error()};
    if (!*row) break;
    candidates.push_back(Candidate{(*select)->column_int64(0), (*select)->column_text(1)});
  }
  return candidates;
}

Result<std::optional<std::int64_t>> first_value(Db& db, const std::string& sql,
                                                const std::string& destinations,
                                                const std::string& taken, std::int64_t durable_seq,
                                                std::optional<std::int64_t> due_after) {
  auto select = db.cached(sql);
  if (!select) return Error{select.error()};
  (*select)->bind_text(1, destinations).bind_text(2, taken).bind_int64(3, durable_seq);
  if (due_after) (*select)->bind_int64(4, *due_after);
  auto row = (*select)->step();
  if (!row) return Error{row.error()};
  if (!*row || (*select)->column_is_null(0)) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>((*select)->column_int64(0));
}

// The earliest time a pending delivery of a destination with room, not taken now, becomes
// claimable. Two ordered look-ups that each stop at their first match: unleased rows by due time
// (deliveries_due), leased ones by the end of their lease (deliveries_leased). A leased row was
// due when it was claimed and its due time does not move while leased, so its lease's end is
// the later of the two.
//
// Both statements must cost what is in flight, not what is queued: with a million rows queued
// for a destination that has no room, a walk of deliveries_due from its start reads them all on
// every claim (a drain of 100/s instead of thousands). So the leased rows are read through their
// partial index, and when the candidate window was not filled (it then held every row due now of
// the destinations with room, and those of the waking ones were all taken) the unleased walk
// starts after `now`: what the waking destinations still have is due later.
Result<std::optional<std::int64_t>> next_due(Db& db, const Picked& picked, std::int64_t durable_seq,
                                             std::int64_t due_after) {
  const std::string destinations = json_array(picked.waking.list);
  const std::string taken = json_array(picked.ids);
  const std::string where = std::string(" AND destination ") + in_or_not(picked.waking) +
                            " (SELECT value FROM json_each(?1))"
                            " AND id NOT IN (SELECT value FROM json_each(?2))"
                            " AND event_seq <= ?3";
  auto unleased = first_value(db,
                              "SELECT due_ms FROM deliveries WHERE state = 'pending' "
                              "AND due_ms > ?4 AND lease_until_ms IS NULL" +
                                  where + " ORDER BY due_ms LIMIT 1",
                              destinations, taken, durable_seq, due_after);
  if (!unleased) return unleased;
  auto leased = first_value(db,
                            "SELECT max(due_ms, lease_until_ms) FROM deliveries "
                            "INDEXED BY deliveries_leased WHERE lease_until_ms IS NOT NULL "
                            "AND state = 'pending'" +
                                where + " ORDER BY lease_until_ms LIMIT 1",
                            destinations, taken, durable_seq, std::nullopt);
  if (!leased) return leased;
  if (*unleased && *leased) return std::optional<std::int64_t>(std::min(**unleased, **leased));
  return *unleased ? *unleased : *leased;
}

}  // namespace

Result<Claimed> claim_deliveries(Db& db, const ClaimRequest& request, std::int64_t durable_seq) {
  Claimed claimed;
  const DestinationFilter filter = destinations_with_room(request);
  std::vector<Candidate> candidates;
  if (request.limit > 0 && !(filter.only && filter.list.empty())) {
    auto found = due_candidates(db, request, filter, durable_seq);
    if (!found) return Error{found.error()};
    candidates = std::move(found).value();
  }
  const Picked picked = pick_candidates(request, candidates);
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
  claimed.deliveries.reserve(picked.ids.size());
  for (const std::int64_t id : picked.ids) {
    auto delivery = read_claimed(db, id);
    if (!delivery) return Error{delivery.error()};
    claimed.deliveries.push_back(std::move(delivery).value());
  }
  if (picked.more_now) {
    claimed.next_due_ms = request.now_ms;
  } else {
    const bool window_full = candidates.size() >= candidate_window(request.limit);
    auto next = next_due(db, picked, durable_seq, window_full ? INT64_MIN : request.now_ms);
    if (!next) return Error{next.error()};
    claimed.next_due_ms = *next;
  }
  return claimed;
}

}  // namespace hookgate::store::sqlite
