// SQL of the store's reads: the event log by cursor or seq, an event's deliveries, attempts,
// counts and settings.
#include "store/sqlite/reads.hpp"

#include <algorithm>

namespace hookgate::store::sqlite {
namespace {

// Columns: seq, source, event_type, received_ms, headers, body.
Event event_at(const Statement& row) {
  Event e;
  e.seq = row.column_int64(0);
  e.source = row.column_text(1);
  e.event_type = row.column_text(2);
  e.received_ms = row.column_int64(3);
  e.headers = row.column_text(4);
  e.body = row.column_blob(5);
  return e;
}

}  // namespace

Result<std::vector<Event>> read_events_after(Db& db, std::string_view source, std::int64_t after,
                                             std::int64_t up_to, std::size_t limit) {
  std::vector<Event> events;
  if (limit == 0) return events;
  auto select = db.prepare(
      "SELECT seq, source, event_type, received_ms, headers, body FROM events "
      "WHERE source = ?1 AND seq > ?2 AND seq <= ?4 ORDER BY seq LIMIT ?3");
  if (!select) return Error{select.error()};
  select->bind_text(1, source).bind_int64(2, after).bind_int64(
      3, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  select->bind_int64(4, up_to);
  for (;;) {
    auto row = select->step();
    if (!row) return Error{row.error()};
    if (!*row) break;
    events.push_back(event_at(*select));
  }
  return events;
}

Result<std::optional<Event>> read_event(Db& db, std::int64_t seq) {
  auto select = db.prepare(
      "SELECT seq, source, event_type, received_ms, headers, body FROM events WHERE seq = ?1");
  if (!select) return Error{select.error()};
  select->bind_int64(1, seq);
  auto row = select->step();
  if (!row) return Error{row.error()};
  if (!*row) return std::optional<Event>();
  return std::optional<Event>(event_at(*select));
}

Result<std::vector<DeliveryState>> read_deliveries(Db& db, std::int64_t event_seq) {
  auto select = db.prepare(
      "SELECT id, event_seq, destination, state, attempts, due_ms FROM deliveries "
      "WHERE event_seq = ?1 ORDER BY id");
  if (!select) return Error{select.error()};
  select->bind_int64(1, event_seq);
  std::vector<DeliveryState> deliveries;
  for (;;) {
    auto row = select->step();
    if (!row) return Error{row.error()};
    if (!*row) break;
    DeliveryState d;
    d.id = select->column_int64(0);
    d.event_seq = select->column_int64(1);
    d.destination = select->column_text(2);
    d.state = select->column_text(3);
    d.attempts = static_cast<int>(select->column_int64(4));
    d.due_ms = select->column_int64(5);
    deliveries.push_back(std::move(d));
  }
  return deliveries;
}

Result<std::vector<Attempt>> read_attempts(Db& db, std::int64_t delivery_id) {
  auto select = db.prepare(
      "SELECT delivery_id, number, started_ms, duration_ms, status, error, response "
      "FROM attempts WHERE delivery_id = ?1 ORDER BY number");
  if (!select) return Error{select.error()};
  select->bind_int64(1, delivery_id);
  std::vector<Attempt> attempts;
  for (;;) {
    auto row = select->step();
    if (!row) return Error{row.error()};
    if (!*row) break;
    Attempt a;
    a.delivery_id = select->column_int64(0);
    a.number = static_cast<int>(select->column_int64(1));
    a.started_ms = select->column_int64(2);
    a.duration_ms = select->column_int64(3);
    a.status = static_cast<int>(select->column_int64(4));
    a.error = select->column_text(5);
    a.response = select->column_text(6);
    attempts.push_back(std::move(a));
  }
  return attempts;
}

Result<Counts> read_counts(Db& db) {
  // One statement, so the four numbers come from the same snapshot.
  auto select = db.prepare(
      "SELECT (SELECT count(*) FROM events),"
      " (SELECT count(*) FROM deliveries WHERE state = 'pending'),"
      " (SELECT count(*) FROM deliveries WHERE state = 'delivered'),"
      " (SELECT count(*) FROM deliveries WHERE state = 'failed')");
  if (!select) return Error{select.error()};
  auto row = select->step();
  if (!row) return Error{row.error()};
  if (!*row) return Error{"counts returned no row"};
  return Counts{select->column_int64(0), select->column_int64(1), select->column_int64(2),
                select->column_int64(3)};
}

Result<std::optional<std::string>> read_setting(Db& db, std::string_view key) {
  auto select = db.prepare("SELECT value FROM settings WHERE key = ?1");
  if (!select) return Error{select.error()};
  select->bind_text(1, key);
  auto row = select->step();
  if (!row) return Error{row.error()};
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(select->column_text(0));
}

}  // namespace hookgate::store::sqlite
