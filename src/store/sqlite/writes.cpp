// SQL of the store's writes: append with de-duplication, claiming due deliveries under a lease,
// recording an attempt's outcome (claims are in claims.cpp), and settings (plain and
// compare-and-set).
#include "store/sqlite/writes.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace hookgate::store::sqlite {
namespace {

// The (source, key) row of a live de-duplication window: the first event, if any.
Result<std::optional<Appended>> live_duplicate(Db& db, const NewEvent& event) {
  auto found = db.cached(
      "SELECT d.seq, coalesce(e.public_id, ''), coalesce(e.received_ms, 0) FROM dedupe d "
      "LEFT JOIN events e ON e.seq = d.seq "
      "WHERE d.source = ?1 AND d.key = ?2 AND d.until_ms > ?3");
  if (!found) return Error{found.error()};
  (*found)
      ->bind_text(1, event.source)
      .bind_text(2, event.dedupe_key)
      .bind_int64(3, event.received_ms);
  auto row = (*found)->step();
  if (!row) return Error{row.error()};
  if (!*row) return std::optional<Appended>();
  return std::optional<Appended>(Appended{(*found)->column_int64(0), true, (*found)->column_text(1),
                                          (*found)->column_int64(2)});
}

Result<std::int64_t> insert_event(Db& db, const NewEvent& event) {
  auto insert = db.cached(
      "INSERT INTO events (source, event_type, received_ms, headers, body, public_id, meta) "
      "VALUES (?1, ?2, ?3, ?4, ?5, nullif(?6, ''), ?7)");
  if (!insert) return Error{insert.error()};
  (*insert)
      ->bind_text(1, event.source)
      .bind_text(2, event.event_type)
      .bind_int64(3, event.received_ms)
      .bind_text(4, event.headers)
      .bind_blob(5, event.body)
      .bind_text(6, event.public_id)
      .bind_text(7, event.meta);
  if (auto done = (*insert)->run(); !done) return Error{done.error()};
  // The writer connection is this thread's alone, so the last rowid is this insert's seq.
  return db.last_insert_rowid();
}

Result<bool> remember_key(Db& db, const NewEvent& event, std::int64_t seq) {
  // An expired row for the same key is replaced: the window starts again from this event.
  auto upsert = db.cached(
      "INSERT INTO dedupe (source, key, until_ms, seq) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT (source, key) DO UPDATE SET until_ms = excluded.until_ms, seq = excluded.seq");
  if (!upsert) return Error{upsert.error()};
  (*upsert)
      ->bind_text(1, event.source)
      .bind_text(2, event.dedupe_key)
      .bind_int64(3, event.dedupe_until_ms)
      .bind_int64(4, seq);
  return (*upsert)->run();
}

Result<bool> insert_deliveries(Db& db, const NewEvent& event, std::int64_t seq) {
  if (event.destinations.empty()) return true;
  auto insert = db.cached(
      "INSERT INTO deliveries (event_seq, destination, state, due_ms, attempts) "
      "VALUES (?1, ?2, 'pending', ?3, 0)");
  if (!insert) return Error{insert.error()};
  for (const auto& destination : event.destinations) {
    (*insert)->reset();
    (*insert)->bind_int64(1, seq).bind_text(2, destination).bind_int64(3, event.received_ms);
    if (auto done = (*insert)->run(); !done) return done;
  }
  return true;
}

const char* state_after(Next next) {
  switch (next) {
    case Next::delivered:
      return "delivered";
    case Next::retry:
      return "pending";
    case Next::give_up:
      return "failed";
  }
  return "failed";
}

}  // namespace

Result<Delivery> read_claimed(Db& db, std::int64_t id) {
  auto select = db.cached(
      "SELECT d.id, d.destination, d.attempts, d.lease_until_ms, "
      "e.seq, e.source, e.event_type, e.received_ms, e.headers, e.body, "
      "coalesce(e.public_id, ''), e.meta, d.manual_attempt "
      "FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.id = ?1");
  if (!select) return Error{select.error()};
  (*select)->bind_int64(1, id);
  auto row = (*select)->step();
  if (!row) return Error{row.error()};
  if (!*row) return Error{"claimed delivery " + std::to_string(id) + " vanished"};
  const auto& s = **select;
  Delivery d;
  d.id = s.column_int64(0);
  d.destination = s.column_text(1);
  d.attempts = static_cast<int>(s.column_int64(2));
  d.lease_until_ms = s.column_int64(3);
  d.event.seq = s.column_int64(4);
  d.event.source = s.column_text(5);
  d.event.event_type = s.column_text(6);
  d.event.received_ms = s.column_int64(7);
  d.event.headers = s.column_text(8);
  d.event.body = s.column_blob(9);
  d.event.public_id = s.column_text(10);
  d.event.meta = s.column_text(11);
  d.manual_attempt = static_cast<int>(s.column_int64(12));
  return d;
}

Result<Appended> append_event(Db& db, const NewEvent& event) {
  if (!event.dedupe_key.empty()) {
    auto first = live_duplicate(db, event);
    if (!first) return Error{first.error()};
    if (*first) return **first;
  }
  auto seq = insert_event(db, event);
  if (!seq) return Error{seq.error()};
  if (!event.dedupe_key.empty()) {
    if (auto kept = remember_key(db, event, *seq); !kept) return Error{kept.error()};
  }
  if (auto queued = insert_deliveries(db, event, *seq); !queued) return Error{queued.error()};
  return Appended{*seq, false, event.public_id, event.received_ms};
}

Result<bool> finish_delivery(Db& db, const Finished& result, std::string_view owner) {
  const std::int64_t id = result.attempt.delivery_id;
  int number = 0;
  {
    auto holder = db.cached("SELECT lease_owner, attempts FROM deliveries WHERE id = ?1");
    if (!holder) return Error{holder.error()};
    (*holder)->bind_int64(1, id);
    auto row = (*holder)->step();
    if (!row) return Error{row.error()};
    if (!*row) return false;
    if ((*holder)->column_is_null(0) || (*holder)->column_text(0) != owner) return false;
    // The store counts attempts itself, so a retried claim can never reuse a number.
    number = static_cast<int>((*holder)->column_int64(1)) + 1;
  }
  {
    auto insert = db.cached(
        "INSERT INTO attempts (delivery_id, number, started_ms, duration_ms, status, error, "
        "response) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!insert) return Error{insert.error()};
    const Attempt& a = result.attempt;
    (*insert)
        ->bind_int64(1, id)
        .bind_int64(2, number)
        .bind_int64(3, a.started_ms)
        .bind_int64(4, a.duration_ms)
        .bind_int64(5, a.status)
        .bind_text(6, a.error)
        .bind_text(7, a.response);
    if (auto done = (*insert)->run(); !done) return done;
  }
  auto update = db.cached(
      "UPDATE deliveries SET state = ?2, attempts = ?3, "
      "due_ms = CASE WHEN ?2 = 'pending' THEN ?4 ELSE due_ms END, "
      "lease_owner = NULL, lease_until_ms = NULL WHERE id = ?1");
  if (!update) return Error{update.error()};
  (*update)
      ->bind_int64(1, id)
      .bind_text(2, state_after(result.next))
      .bind_int64(3, number)
      .bind_int64(4, result.retry_at_ms);
  return (*update)->run();
}

Result<std::vector<bool>> finish_deliveries(Db& db, const std::vector<Finished>& results,
                                            std::string_view owner) {
  std::vector<bool> finished;
  finished.reserve(results.size());
  for (const auto& result : results) {
    auto done = finish_delivery(db, result, owner);
    if (!done) return Error{done.error()};
    finished.push_back(*done);
  }
  return finished;
}

Result<bool> write_setting(Db& db, std::string_view key, std::string_view value) {
  auto upsert = db.cached(
      "INSERT INTO settings (key, value) VALUES (?1, ?2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  if (!upsert) return Error{upsert.error()};
  (*upsert)->bind_text(1, key).bind_text(2, value);
  return (*upsert)->run();
}

Result<bool> replace_setting_value(Db& db, std::string_view key,
                                   const std::optional<std::string>& expected,
                                   std::string_view value) {
  // RETURNING yields a row only when this call changed the setting: that is the CAS outcome.
  auto swap = expected ? db.cached(
                             "UPDATE settings SET value = ?2 WHERE key = ?1 AND value = ?3 "
                             "RETURNING 1")
                       : db.cached(
                             "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                             "ON CONFLICT (key) DO NOTHING RETURNING 1");
  if (!swap) return Error{swap.error()};
  (*swap)->bind_text(1, key).bind_text(2, value);
  if (expected) (*swap)->bind_text(3, *expected);
  auto changed = (*swap)->count_rows();
  if (!changed) return Error{changed.error()};
  return *changed == 1;
}

}  // namespace hookgate::store::sqlite
