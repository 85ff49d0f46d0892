// SQL of the store's reads: the event log by cursor, seq or public id, an event's deliveries,
// a destination's deliveries, attempts and stats, counts and settings.
#include "store/sqlite/reads.hpp"

#include <algorithm>

namespace hookgate::store::sqlite {
namespace {

// The columns event_at reads, from events aliased e, starting at its first column.
constexpr const char* kEventColumns =
    "e.seq, e.source, e.event_type, e.received_ms, e.headers, e.body, coalesce(e.public_id, ''), "
    "e.meta";
// The same without the body (lists of attempts carry no payload).
constexpr const char* kEventColumnsNoBody =
    "e.seq, e.source, e.event_type, e.received_ms, e.headers, x'', coalesce(e.public_id, ''), "
    "e.meta";

Event event_at(const Statement& row, int first = 0) {
  Event e;
  e.seq = row.column_int64(first);
  e.source = row.column_text(first + 1);
  e.event_type = row.column_text(first + 2);
  e.received_ms = row.column_int64(first + 3);
  e.headers = row.column_text(first + 4);
  e.body = row.column_blob(first + 5);
  e.public_id = row.column_text(first + 6);
  e.meta = row.column_text(first + 7);
  return e;
}

// The columns delivery_at reads, from deliveries aliased d.
constexpr const char* kDeliveryColumns =
    "d.id, d.event_seq, d.destination, d.state, d.attempts, d.due_ms, "
    "coalesce(d.lease_until_ms, 0), d.manual_attempt";
constexpr int kDeliveryColumnCount = 8;

DeliveryState delivery_at(const Statement& row, int first = 0) {
  DeliveryState d;
  d.id = row.column_int64(first);
  d.event_seq = row.column_int64(first + 1);
  d.destination = row.column_text(first + 2);
  d.state = row.column_text(first + 3);
  d.attempts = static_cast<int>(row.column_int64(first + 4));
  d.due_ms = row.column_int64(first + 5);
  d.lease_until_ms = row.column_int64(first + 6);
  d.manual_attempt = static_cast<int>(row.column_int64(first + 7));
  return d;
}

// Columns: delivery_id, number, started_ms, duration_ms, status, error, response.
Attempt attempt_at(const Statement& row, int first = 0) {
  Attempt a;
  a.delivery_id = row.column_int64(first);
  a.number = static_cast<int>(row.column_int64(first + 1));
  a.started_ms = row.column_int64(first + 2);
  a.duration_ms = row.column_int64(first + 3);
  a.status = static_cast<int>(row.column_int64(first + 4));
  a.error = row.column_text(first + 5);
  a.response = row.column_text(first + 6);
  return a;
}

std::int64_t as_limit(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
}

}  // namespace

Result<std::vector<Event>> read_events_after(Db& db, std::string_view source, std::int64_t after,
                                             std::int64_t up_to, std::size_t limit) {
  std::vector<Event> events;
  if (limit == 0) return events;
  auto select = db.prepare(std::string("SELECT ") + kEventColumns +
                           " FROM events e WHERE e.source = ?1 AND e.seq > ?2 AND e.seq <= ?4 "
                           "ORDER BY e.seq LIMIT ?3");
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
  auto select =
      db.prepare(std::string("SELECT ") + kEventColumns + " FROM events e WHERE e.seq = ?1");
  if (!select) return Error{select.error()};
  select->bind_int64(1, seq);
  auto row = select->step();
  if (!row) return Error{row.error()};
  if (!*row) return std::optional<Event>();
  return std::optional<Event>(event_at(*select));
}

Result<std::vector<DeliveryState>> read_deliveries(Db& db, std::int64_t event_seq) {
  auto select = db.prepare(std::string("SELECT ") + kDeliveryColumns +
                           " FROM deliveries d WHERE d.event_seq = ?1 ORDER BY d.id");
  if (!select) return Error{select.error()};
  select->bind_int64(1, event_seq);
  std::vector<DeliveryState> deliveries;
  for (;;) {
    auto row = select->step();
    if (!row) return Error{row.error()};
    if (!*row) break;
    deliveries.push_back(delivery_at(*select));
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
    attempts.push_back(attempt_at(*select));
  }
  return attempts;
}

Result<std::optional<Event>> read_event_by_public_id(Db& db, std::string_view source,
                                                     std::string_view public_id,
                                                     std::int64_t up_to) {
  auto select = db.prepare(std::string("SELECT ") + kEventColumns +
                           " FROM events e WHERE e.source = ?1 AND e.public_id = ?2 AND "
                           "e.seq <= ?3");
  if (!select) return Error{select.error()};
  select->bind_text(1, source).bind_text(2, public_id).bind_int64(3, up_to);
  auto row = select->step();
  if (!row) return Error{row.error()};
  if (!*row) return std::optional<Event>();
  return std::optional<Event>(event_at(*select));
}

Result<std::vector<Event>> read_events_before(Db& db, const EventPage& page, std::int64_t up_to) {
  std::vector<Event> events;
  if (page.limit == 0) return events;
  if (page.event_types.size() > kMaxEventTypesFilter) return Error{"too many event types"};
  // Walks events_by_source backwards from the cursor; the filters are checked on the way.
  std::string sql = std::string("SELECT ") + kEventColumns +
                    " FROM events e WHERE e.source = ?1 AND e.seq < ?2 AND e.seq <= ?3";
  if (page.since_ms != 0) sql += " AND e.received_ms >= ?4";
  if (page.until_ms != 0) sql += " AND e.received_ms < ?5";
  if (!page.event_types.empty()) {
    sql += " AND e.event_type IN (";
    for (std::size_t i = 0; i < page.event_types.size(); ++i) {
      sql += (i == 0 ? "?" : ", ?") + std::to_string(7 + i);
    }
    sql += ")";
  }
  sql += " ORDER BY e.seq DESC LIMIT ?6";
  auto select = db.prepare(sql);
  if (!select) return Error{select.error()};
  select->bind_text(1, page.source)
      .bind_int64(2, page.before_seq == 0 ? INT64_MAX : page.before_seq)
      .bind_int64(3, up_to)
      .bind_int64(6, as_limit(page.limit));
  if (page.since_ms != 0) select->bind_int64(4, page.since_ms);
  if (page.until_ms != 0) select->bind_int64(5, page.until_ms);
  for (std::size_t i = 0; i < page.event_types.size(); ++i) {
    select->bind_text(static_cast<int>(7 + i), page.event_types[i]);
  }
  for (;;) {
    auto row = select->step();
    if (!row) return Error{row.error()};
    if (!*row) break;
    events.push_back(event_at(*select));
  }
  return events;
}

Result<std::vector<DestinationDelivery>> read_deliveries_to(Db& db, std::string_view destination,
                                                            std::int64_t before_seq,
                                                            std::int64_t up_to, std::size_t limit) {
  std::vector<DestinationDelivery> out;
  if (limit == 0) return out;
  auto select = db.prepare(std::string("SELECT ") + kDeliveryColumns + ", " + kEventColumns +
                           " FROM deliveries d JOIN events e ON e.seq = d.event_seq "
                           "WHERE d.destination = ?1 AND d.event_seq < ?2 AND d.event_seq <= ?3 "
                           "ORDER BY d.event_seq DESC, d.id DESC LIMIT ?4");
  if (!select) return Error{select.error()};
  select->bind_text(1, destination)
      .bind_int64(2, before_seq == 0 ? INT64_MAX : before_seq)
      .bind_int64(3, up_to)
      .bind_int64(4, as_limit(limit));
  for (;;) {
    auto row = select->step();
    if (!row) return Error{row.error()};
    if (!*row) break;
    out.push_back(
        DestinationDelivery{delivery_at(*select), event_at(*select, kDeliveryColumnCount)});
  }
  return out;
}

Result<std::vector<DestinationAttempt>> read_attempts_to(Db& db, std::string_view destination,
                                                         std::int64_t before_seq, int before_number,
                                                         std::size_t limit) {
  std::vector<DestinationAttempt> out;
  if (limit == 0) return out;
  // (event_seq, number) below the cursor: the deliveries before its event, and the cursor
  // event's own attempts below its number.
  auto select = db.prepare(
      std::string("SELECT a.delivery_id, a.number, a.started_ms, a.duration_ms, a.status, "
                  "a.error, a.response, ") +
      kDeliveryColumns + ", " + kEventColumnsNoBody +
      " FROM deliveries d JOIN attempts a ON a.delivery_id = d.id "
      "JOIN events e ON e.seq = d.event_seq "
      "WHERE d.destination = ?1 AND (d.event_seq < ?2 OR (d.event_seq = ?2 AND a.number < ?3)) "
      "ORDER BY d.event_seq DESC, d.id DESC, a.number DESC LIMIT ?4");
  if (!select) return Error{select.error()};
  select->bind_text(1, destination)
      .bind_int64(2, before_seq == 0 ? INT64_MAX : before_seq)
      .bind_int64(3, before_number)
      .bind_int64(4, as_limit(limit));
  constexpr int kAttemptColumnCount = 7;
  for (;;) {
    auto row = select->step();
    if (!row) return Error{row.error()};
    if (!*row) break;
    out.push_back(
        DestinationAttempt{attempt_at(*select), delivery_at(*select, kAttemptColumnCount),
                           event_at(*select, kAttemptColumnCount + kDeliveryColumnCount)});
  }
  return out;
}

Result<DestinationStats> read_destination_stats(Db& db, std::string_view destination,
                                                std::int64_t since_ms, std::int64_t until_ms,
                                                std::int64_t now_ms) {
  std::string sql =
      "SELECT coalesce(sum(d.state = 'delivered'), 0), "
      "coalesce(sum(d.state = 'pending' AND coalesce(d.lease_until_ms, 0) <= ?2), 0), "
      "coalesce(sum(d.state = 'pending' AND coalesce(d.lease_until_ms, 0) > ?2), 0), "
      "coalesce(sum(d.state = 'failed'), 0) FROM deliveries d";
  if (since_ms != 0 || until_ms != 0) sql += " JOIN events e ON e.seq = d.event_seq";
  sql += " WHERE d.destination = ?1";
  if (since_ms != 0) sql += " AND e.received_ms >= ?3";
  if (until_ms != 0) sql += " AND e.received_ms < ?4";
  auto select = db.prepare(sql);
  if (!select) return Error{select.error()};
  select->bind_text(1, destination).bind_int64(2, now_ms);
  if (since_ms != 0) select->bind_int64(3, since_ms);
  if (until_ms != 0) select->bind_int64(4, until_ms);
  auto row = select->step();
  if (!row) return Error{row.error()};
  if (!*row) return Error{"stats returned no row"};
  return DestinationStats{select->column_int64(0), select->column_int64(1), select->column_int64(2),
                          select->column_int64(3)};
}

Result<Counts> read_counts(Db& db) {
  // One statement, so the numbers come from the same snapshot.
  auto select = db.prepare(
      "SELECT (SELECT count(*) FROM events),"
      " (SELECT count(*) FROM deliveries WHERE state = 'pending'),"
      " (SELECT count(*) FROM deliveries WHERE state = 'delivered'),"
      " (SELECT count(*) FROM deliveries WHERE state = 'failed'),"
      " (SELECT coalesce(min(due_ms), 0) FROM deliveries WHERE state = 'pending')");
  if (!select) return Error{select.error()};
  auto row = select->step();
  if (!row) return Error{row.error()};
  if (!*row) return Error{"counts returned no row"};
  return Counts{select->column_int64(0), select->column_int64(1), select->column_int64(2),
                select->column_int64(3), select->column_int64(4)};
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
