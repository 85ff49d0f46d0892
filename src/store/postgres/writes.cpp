// SQL of the store's writes on PostgreSQL: append with de-duplication, claiming due deliveries
// under a lease, recording an attempt's outcome, and settings (plain and compare-and-set).
#include "store/postgres/writes.hpp"

#include <algorithm>
#include <cstdint>

namespace hookgate::store::postgres {
namespace {

// Claims (source, key) for a new event: inserts the row, or takes over a row whose window has
// expired. No row back means a live window holds the key. ON CONFLICT makes this safe against
// another node appending the same key at the same moment: the second waits for the first's
// commit and then sees its row.
Result<bool> claim_key(Conn& conn, const NewEvent& event) {
  auto claimed = conn.exec(
      "INSERT INTO dedupe AS d (source, key, until_ms) VALUES ($1, $2, $3) "
      "ON CONFLICT (source, key) DO UPDATE SET until_ms = excluded.until_ms, seq = NULL "
      "WHERE d.until_ms <= $4 RETURNING 1",
      Params()
          .bytes(event.source)
          .bytes(event.dedupe_key)
          .int64(event.dedupe_until_ms)
          .int64(event.received_ms));
  if (!claimed) return Error{claimed.error()};
  return claimed->size() == 1;
}

Result<std::int64_t> first_seq(Conn& conn, const NewEvent& event) {
  auto found = conn.exec("SELECT seq FROM dedupe WHERE source = $1 AND key = $2",
                         Params().bytes(event.source).bytes(event.dedupe_key));
  if (!found) return Error{found.error()};
  if (found->size() != 1 || found->is_null(0, 0)) {
    return Error{"de-duplication row without an event"};
  }
  return found->int64(0, 0);
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

Result<Appended> append_event(Conn& conn, const NewEvent& event) {
  if (!event.dedupe_key.empty()) {
    auto claimed = claim_key(conn, event);
    if (!claimed) return Error{claimed.error()};
    if (!*claimed) {
      auto seq = first_seq(conn, event);
      if (!seq) return Error{seq.error()};
      return Appended{*seq, true};
    }
  }
  // One round trip for the event, its deliveries and the de-duplication row's seq. An empty key
  // matches no row: empty keys are never claimed.
  auto inserted = conn.exec(
      "WITH e AS (INSERT INTO events (source, event_type, received_ms, headers, body) "
      "  VALUES ($1, $2, $3, $4, $5) RETURNING seq), "
      "d AS (INSERT INTO deliveries (event_seq, destination, state, due_ms) "
      "  SELECT e.seq, dest, 'pending', $3 FROM e, unnest($6::bytea[]) WITH ORDINALITY AS u(dest, "
      "n) "
      "  ORDER BY n), "
      "k AS (UPDATE dedupe SET seq = e.seq FROM e WHERE dedupe.source = $1 AND dedupe.key = $7) "
      "SELECT seq FROM e",
      Params()
          .bytes(event.source)
          .bytes(event.event_type)
          .int64(event.received_ms)
          .bytes(event.headers)
          .bytes(event.body)
          .bytes_array(event.destinations)
          .bytes(event.dedupe_key));
  if (!inserted) return Error{inserted.error()};
  if (inserted->size() != 1) return Error{"insert event returned no seq"};
  return Appended{inserted->int64(0, 0), false};
}

Result<std::vector<Delivery>> claim_due_deliveries(Conn& conn, std::int64_t now_ms,
                                                   std::size_t limit, std::string_view owner,
                                                   std::int64_t lease_ms) {
  std::vector<Delivery> claimed;
  if (limit == 0) return claimed;
  // SKIP LOCKED: rows another node is claiming right now are left to it rather than waited
  // for. A row another node claimed and committed after this statement's snapshot is re-checked
  // against its new lease and dropped, so two claimers never both get it.
  auto rows = conn.exec(
      "WITH due AS (SELECT id FROM deliveries WHERE state = 'pending' AND due_ms <= $3 "
      "  AND (lease_until_ms IS NULL OR lease_until_ms <= $3) ORDER BY due_ms, id LIMIT $4 "
      "  FOR UPDATE SKIP LOCKED), "
      "c AS (UPDATE deliveries d SET lease_owner = $1, lease_until_ms = $2 FROM due "
      "  WHERE d.id = due.id "
      "  RETURNING d.id, d.event_seq, d.destination, d.attempts, d.lease_until_ms, d.due_ms) "
      "SELECT c.id, c.destination, c.attempts, c.lease_until_ms, "
      "  e.seq, e.source, e.event_type, e.received_ms, e.headers, e.body "
      "FROM c JOIN events e ON e.seq = c.event_seq ORDER BY c.due_ms, c.id",
      Params()
          .bytes(owner)
          .int64(now_ms + lease_ms)
          .int64(now_ms)
          .int64(static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX))));
  if (!rows) return Error{rows.error()};
  claimed.reserve(static_cast<std::size_t>(rows->size()));
  for (int r = 0; r < rows->size(); ++r) {
    Delivery d;
    d.id = rows->int64(r, 0);
    d.destination = rows->bytes(r, 1);
    d.attempts = static_cast<int>(rows->int64(r, 2));
    d.lease_until_ms = rows->int64(r, 3);
    d.event.seq = rows->int64(r, 4);
    d.event.source = rows->bytes(r, 5);
    d.event.event_type = rows->bytes(r, 6);
    d.event.received_ms = rows->int64(r, 7);
    d.event.headers = rows->bytes(r, 8);
    d.event.body = rows->bytes(r, 9);
    claimed.push_back(std::move(d));
  }
  return claimed;
}

Result<bool> finish_delivery(Conn& conn, const Finished& result, std::string_view owner) {
  const std::int64_t id = result.attempt.delivery_id;
  // FOR UPDATE: a claimer taking the row over waits for this transaction, or this one for it.
  auto holder = conn.exec("SELECT lease_owner, attempts FROM deliveries WHERE id = $1 FOR UPDATE",
                          Params().int64(id));
  if (!holder) return Error{holder.error()};
  if (holder->size() != 1) return Error{"no delivery " + std::to_string(id)};
  if (holder->is_null(0, 0) || holder->bytes(0, 0) != owner) {
    return Error{"lease lost: delivery " + std::to_string(id) + " is not leased to " +
                 std::string(owner)};
  }
  // The store counts attempts itself, so a retried claim can never reuse a number.
  const std::int64_t number = holder->int64(0, 1) + 1;
  const Attempt& a = result.attempt;
  auto inserted = conn.exec(
      "INSERT INTO attempts (delivery_id, number, started_ms, duration_ms, status, error, "
      "response) VALUES ($1, $2::int4, $3, $4, $5::int4, $6, $7)",
      Params()
          .int64(id)
          .int64(number)
          .int64(a.started_ms)
          .int64(a.duration_ms)
          .int64(a.status)
          .bytes(a.error)
          .bytes(a.response));
  if (!inserted) return Error{inserted.error()};
  auto updated = conn.exec(
      "UPDATE deliveries SET state = $2, attempts = $3::int4, "
      "due_ms = CASE WHEN $2 = 'pending' THEN $4 ELSE due_ms END, "
      "lease_owner = NULL, lease_until_ms = NULL WHERE id = $1",
      Params().int64(id).text(state_after(result.next)).int64(number).int64(result.retry_at_ms));
  if (!updated) return Error{updated.error()};
  return true;
}

Result<bool> write_setting(Conn& conn, std::string_view key, std::string_view value) {
  auto upsert = conn.exec(
      "INSERT INTO settings (key, value) VALUES ($1, $2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      Params().bytes(key).bytes(value));
  if (!upsert) return Error{upsert.error()};
  return true;
}

Result<bool> replace_setting_value(Conn& conn, std::string_view key,
                                   const std::optional<std::string>& expected,
                                   std::string_view value) {
  // Both statements change at most one row; a writer that raced them re-reads the row after
  // the other's commit (READ COMMITTED), so exactly one of two racing callers changes it.
  auto changed = expected
                     ? conn.exec("UPDATE settings SET value = $2 WHERE key = $1 AND value = $3",
                                 Params().bytes(key).bytes(value).bytes(*expected))
                     : conn.exec(
                           "INSERT INTO settings (key, value) VALUES ($1, $2) "
                           "ON CONFLICT (key) DO NOTHING",
                           Params().bytes(key).bytes(value));
  if (!changed) return Error{changed.error()};
  return changed->affected() == 1;
}

}  // namespace hookgate::store::postgres
