// SQL of requeue, postpone, bring_forward and the GCRA rate slots on PostgreSQL.
#include "store/postgres/schedule.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "store/rate_tolerance.hpp"

namespace hookgate::store::postgres {

Result<std::int64_t> requeue_deliveries(Conn& conn, const Requeue& which, std::int64_t now_ms) {
  // Only the filters that are set become SQL, so each text gets a plan for its own index. At
  // most thirty-two distinct texts, each prepared once per connection.
  Params params;
  params.int64(now_ms);
  int next = 2;
  std::string sql =
      "UPDATE deliveries SET state = 'pending', due_ms = $1, lease_owner = NULL, "
      "lease_until_ms = NULL, manual_attempt = attempts + 1 WHERE ";
  sql += which.include_delivered ? "state IN ('failed', 'delivered')" : "state = 'failed'";
  if (which.event_seq != 0) {
    sql += " AND event_seq = $" + std::to_string(next++);
    params.int64(which.event_seq);
  }
  if (!which.destination.empty()) {
    sql += " AND destination = $" + std::to_string(next++);
    params.bytes(which.destination);
  }
  if (which.since_ms != 0 || which.until_ms != 0) {
    sql += " AND EXISTS (SELECT 1 FROM events e WHERE e.seq = deliveries.event_seq";
    if (which.since_ms != 0) {
      sql += " AND e.received_ms >= $" + std::to_string(next++);
      params.int64(which.since_ms);
    }
    if (which.until_ms != 0) {
      sql += " AND e.received_ms < $" + std::to_string(next++);
      params.int64(which.until_ms);
    }
    sql += ")";
  }
  auto moved = conn.exec(sql, params);
  if (!moved) return Error{moved.error()};
  return moved->affected();
}

Result<bool> postpone_delivery(Conn& conn, std::int64_t delivery_id, std::string_view owner,
                               std::int64_t due_ms) {
  // Ownership is checked as finish_delivery checks it: the lease owner, whatever its expiry,
  // since an expired lease nobody has taken over yet is still the caller's to hand back. A
  // claimer taking the row over at the same moment is serialised by the row lock, and this
  // UPDATE re-checks the owner against its commit.
  auto changed = conn.exec(
      "UPDATE deliveries SET due_ms = $3, lease_owner = NULL, lease_until_ms = NULL "
      "WHERE id = $1 AND state = 'pending' AND lease_owner = $2",
      Params().int64(delivery_id).bytes(owner).int64(due_ms));
  if (!changed) return Error{changed.error()};
  return changed->affected() == 1;
}

Result<std::int64_t> bring_forward_deliveries(Conn& conn, std::string_view destination,
                                              std::int64_t up_to_ms, std::int64_t now_ms,
                                              std::size_t limit) {
  // Rows in flight keep their lease and due time: only what waits in the queue moves, earliest
  // due first (deliveries_pending_by_destination). SKIP LOCKED leaves a row another node is
  // claiming right now to that claim.
  auto moved = conn.exec(
      "UPDATE deliveries SET due_ms = $3 WHERE id IN (SELECT id FROM deliveries "
      "WHERE state = 'pending' AND destination = $1 AND lease_until_ms IS NULL AND due_ms > $3 "
      "AND due_ms <= $2 ORDER BY due_ms, id LIMIT $4 FOR UPDATE SKIP LOCKED)",
      Params()
          .bytes(destination)
          .int64(up_to_ms)
          .int64(now_ms)
          .int64(static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX))));
  if (!moved) return Error{moved.error()};
  return moved->affected();
}

Result<std::int64_t> reserve_rate_slot(Conn& conn, std::string_view key, std::int64_t interval_ms,
                                       std::int64_t burst, std::int64_t now_ms) {
  // GCRA with tolerance (burst - 1) * interval: next_ms is the theoretical arrival time (TAT).
  // The slot is the later of now and TAT - tolerance, and TAT moves to max(TAT, now) + interval;
  // the slot is derived from the new TAT as max(now, TAT' - interval - tolerance). A slot in the
  // past is never handed out and TAT never lags now, so idle time builds no more than burst.
  // The upsert locks the key's row, so nodes reserving at once queue behind each other and each
  // sees the TAT the previous one stored.
  auto slot = conn.exec(
      "INSERT INTO rate_slots AS r (key, next_ms) VALUES ($1, $3 + $2) "
      "ON CONFLICT (key) DO UPDATE SET next_ms = greatest(r.next_ms, $3) + $2 "
      "RETURNING greatest($3, r.next_ms - $2 - $4)",
      Params()
          .bytes(key)
          .int64(interval_ms)
          .int64(now_ms)
          .int64(rate_tolerance(interval_ms, burst)));
  if (!slot) return Error{slot.error()};
  if (slot->size() != 1) return Error{"rate slot upsert returned no row"};
  return slot->int64(0, 0);
}

}  // namespace hookgate::store::postgres
