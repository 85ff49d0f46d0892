// SQL of requeue, postpone, bring_forward and the GCRA rate slots.
#include "store/sqlite/schedule.hpp"

#include <algorithm>
#include <cstdint>
#include <string>

#include "store/rate_tolerance.hpp"

namespace hookgate::store::sqlite {

Result<std::int64_t> requeue_deliveries(Db& db, const Requeue& which, std::int64_t now_ms) {
  // Only the filters that are set become SQL, so an event_seq filter walks deliveries_by_event
  // instead of every failed delivery. At most thirty-two distinct texts, each cached once.
  std::string sql =
      "UPDATE deliveries SET state = 'pending', due_ms = ?1, lease_owner = NULL, "
      "lease_until_ms = NULL, manual_attempt = attempts + 1 WHERE ";
  sql += which.include_delivered ? "state IN ('failed', 'delivered')" : "state = 'failed'";
  if (which.event_seq != 0) sql += " AND event_seq = ?2";
  if (!which.destination.empty()) sql += " AND destination = ?3";
  if (which.since_ms != 0 || which.until_ms != 0) {
    sql += " AND EXISTS (SELECT 1 FROM events e WHERE e.seq = deliveries.event_seq";
    if (which.since_ms != 0) sql += " AND e.received_ms >= ?4";
    if (which.until_ms != 0) sql += " AND e.received_ms < ?5";
    sql += ")";
  }
  sql += " RETURNING 1";
  auto update = db.cached(sql);
  if (!update) return Error{update.error()};
  (*update)->bind_int64(1, now_ms);
  if (which.event_seq != 0) (*update)->bind_int64(2, which.event_seq);
  if (!which.destination.empty()) (*update)->bind_text(3, which.destination);
  if (which.since_ms != 0) (*update)->bind_int64(4, which.since_ms);
  if (which.until_ms != 0) (*update)->bind_int64(5, which.until_ms);
  return (*update)->count_rows();
}

Result<bool> postpone_delivery(Db& db, std::int64_t delivery_id, std::string_view owner,
                               std::int64_t due_ms) {
  // Ownership is checked as finish_delivery checks it: the lease owner, whatever its expiry,
  // since an expired lease nobody has taken over yet is still the caller's to hand back.
  auto update = db.cached(
      "UPDATE deliveries SET due_ms = ?3, lease_owner = NULL, lease_until_ms = NULL "
      "WHERE id = ?1 AND state = 'pending' AND lease_owner = ?2 RETURNING 1");
  if (!update) return Error{update.error()};
  (*update)->bind_int64(1, delivery_id).bind_text(2, owner).bind_int64(3, due_ms);
  auto changed = (*update)->count_rows();
  if (!changed) return Error{changed.error()};
  return *changed == 1;
}

Result<std::vector<bool>> postpone_deliveries(Db& db, const std::vector<Postponement>& items,
                                              std::string_view owner) {
  std::vector<bool> postponed;
  postponed.reserve(items.size());
  for (const auto& item : items) {
    auto done = postpone_delivery(db, item.delivery_id, owner, item.due_ms);
    if (!done) return Error{done.error()};
    postponed.push_back(*done);
  }
  return postponed;
}

Result<std::int64_t> bring_forward_deliveries(Db& db, std::string_view destination,
                                              std::int64_t up_to_ms, std::int64_t now_ms,
                                              std::size_t limit) {
  // Rows in flight keep their lease and due time: only what waits in the queue moves. The
  // destination's part of the pending index gives the rows in due order, so the limit takes the
  // ones the circuit would have released first.
  auto update = db.cached(
      "UPDATE deliveries SET due_ms = ?3 WHERE id IN (SELECT id FROM deliveries INDEXED BY "
      "deliveries_pending_by_destination WHERE state = 'pending' AND destination = ?1 AND "
      "lease_until_ms IS NULL AND due_ms > ?3 AND due_ms <= ?2 ORDER BY due_ms, id LIMIT ?4) "
      "RETURNING 1");
  if (!update) return Error{update.error()};
  (*update)
      ->bind_text(1, destination)
      .bind_int64(2, up_to_ms)
      .bind_int64(3, now_ms)
      .bind_int64(4, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  return (*update)->count_rows();
}

Result<std::int64_t> reserve_rate_slot(Db& db, std::string_view key, std::int64_t interval_ms,
                                       std::int64_t burst, std::int64_t now_ms) {
  // GCRA with tolerance (burst - 1) * interval: next_ms is the theoretical arrival time (TAT).
  // The slot is the later of now and TAT - tolerance, and TAT moves to max(TAT, now) + interval.
  // The slot is derived from the new TAT: max(now, TAT' - interval - tolerance). A slot in the
  // past is never handed out and TAT never lags now, so idle time builds no more than burst.
  auto upsert = db.cached(
      "INSERT INTO rate_slots (key, next_ms) VALUES (?1, ?3 + ?2) "
      "ON CONFLICT (key) DO UPDATE SET next_ms = max(next_ms, ?3) + ?2 "
      "RETURNING max(?3, next_ms - ?2 - ?4)");
  if (!upsert) return Error{upsert.error()};
  (*upsert)
      ->bind_text(1, key)
      .bind_int64(2, interval_ms)
      .bind_int64(3, now_ms)
      .bind_int64(4, rate_tolerance(interval_ms, burst));
  auto row = (*upsert)->step();
  if (!row) return Error{row.error()};
  if (!*row) return Error{"rate slot upsert returned no row"};
  const std::int64_t slot = (*upsert)->column_int64(0);
  if (auto done = (*upsert)->step(); !done) return Error{done.error()};
  return slot;
}

}  // namespace hookgate::store::sqlite
