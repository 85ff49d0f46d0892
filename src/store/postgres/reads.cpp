// SQL of the store's reads on PostgreSQL: the event log by cursor or seq, an event's
// deliveries, attempts, counts and settings.
#include "store/postgres/reads.hpp"

#include <algorithm>

namespace hookgate::store::postgres {
namespace {

// Columns: seq, source, event_type, received_ms, headers, body.
Event event_at(const Rows& rows, int r) {
  Event e;
  e.seq = rows.int64(r, 0);
  e.source = rows.bytes(r, 1);
  e.event_type = rows.bytes(r, 2);
  e.received_ms = rows.int64(r, 3);
  e.headers = rows.bytes(r, 4);
  e.body = rows.bytes(r, 5);
  return e;
}

}  // namespace

Result<std::vector<Event>> read_events_after(Conn& conn, std::string_view source,
                                             std::int64_t after, std::size_t limit) {
  std::vector<Event> events;
  if (limit == 0) return events;
  auto rows = conn.exec(
      "SELECT seq, source, event_type, received_ms, headers, body FROM events "
      "WHERE source = $1 AND seq > $2 ORDER BY seq LIMIT $3",
      Params().bytes(source).int64(after).int64(
          static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX))));
  if (!rows) return Error{rows.error()};
  events.reserve(static_cast<std::size_t>(rows->size()));
  for (int r = 0; r < rows->size(); ++r)
    events.push_back(event_at(*rows, r));
  return events;
}

Result<std::optional<Event>> read_event(Conn& conn, std::int64_t seq) {
  auto rows = conn.exec(
      "SELECT seq, source, event_type, received_ms, headers, body FROM events WHERE seq = $1",
      Params().int64(seq));
  if (!rows) return Error{rows.error()};
  if (rows->size() == 0) return std::optional<Event>();
  return std::optional<Event>(event_at(*rows, 0));
}

Result<std::vector<DeliveryState>> read_deliveries(Conn& conn, std::int64_t event_seq) {
  auto rows = conn.exec(
      "SELECT id, event_seq, destination, state, attempts, due_ms FROM deliveries "
      "WHERE event_seq = $1 ORDER BY id",
      Params().int64(event_seq));
  if (!rows) return Error{rows.error()};
  std::vector<DeliveryState> deliveries;
  deliveries.reserve(static_cast<std::size_t>(rows->size()));
  for (int r = 0; r < rows->size(); ++r) {
    DeliveryState d;
    d.id = rows->int64(r, 0);
    d.event_seq = rows->int64(r, 1);
    d.destination = rows->bytes(r, 2);
    d.state = rows->bytes(r, 3);
    d.attempts = static_cast<int>(rows->int64(r, 4));
    d.due_ms = rows->int64(r, 5);
    deliveries.push_back(std::move(d));
  }
  return deliveries;
}

Result<std::vector<Attempt>> read_attempts(Conn& conn, std::int64_t delivery_id) {
  auto rows = conn.exec(
      "SELECT delivery_id, number, started_ms, duration_ms, status, error, response "
      "FROM attempts WHERE delivery_id = $1 ORDER BY number",
      Params().int64(delivery_id));
  if (!rows) return Error{rows.error()};
  std::vector<Attempt> attempts;
  attempts.reserve(static_cast<std::size_t>(rows->size()));
  for (int r = 0; r < rows->size(); ++r) {
    Attempt a;
    a.delivery_id = rows->int64(r, 0);
    a.number = static_cast<int>(rows->int64(r, 1));
    a.started_ms = rows->int64(r, 2);
    a.duration_ms = rows->int64(r, 3);
    a.status = static_cast<int>(rows->int64(r, 4));
    a.error = rows->bytes(r, 5);
    a.response = rows->bytes(r, 6);
    attempts.push_back(std::move(a));
  }
  return attempts;
}

Result<Counts> read_counts(Conn& conn) {
  // One statement, so the four numbers come from the same snapshot.
  auto rows = conn.exec(
      "SELECT (SELECT count(*) FROM events),"
      " count(*) FILTER (WHERE state = 'pending'),"
      " count(*) FILTER (WHERE state = 'delivered'),"
      " count(*) FILTER (WHERE state = 'failed') FROM deliveries");
  if (!rows) return Error{rows.error()};
  if (rows->size() != 1) return Error{"counts returned no row"};
  return Counts{rows->int64(0, 0), rows->int64(0, 1), rows->int64(0, 2), rows->int64(0, 3)};
}

Result<std::optional<std::string>> read_setting(Conn& conn, std::string_view key) {
  auto rows = conn.exec("SELECT value FROM settings WHERE key = $1", Params().bytes(key));
  if (!rows) return Error{rows.error()};
  if (rows->size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(rows->bytes(0, 0));
}

}  // namespace hookgate::store::postgres
