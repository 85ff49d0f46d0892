// SQL of the store's reads on PostgreSQL: the event log by cursor, seq or public id, an event's
// deliveries, a destination's deliveries, attempts and stats, counts and settings.
#include "store/postgres/reads.hpp"

#include <algorithm>

namespace hookgate::store::postgres {
namespace {

// The columns event_at reads, from events aliased e, starting at its first column.
constexpr const char* kEventColumns =
    "e.seq, e.source, e.event_type, e.received_ms, e.headers, e.body, "
    "coalesce(e.public_id, ''::bytea), e.meta";
// The same without the body (lists of attempts carry no payload).
constexpr const char* kEventColumnsNoBody =
    "e.seq, e.source, e.event_type, e.received_ms, e.headers, ''::bytea, "
    "coalesce(e.public_id, ''::bytea), e.meta";

Event event_at(const Rows& rows, int r, int first = 0) {
  Event e;
  e.seq = rows.int64(r, first);
  e.source = rows.bytes(r, first + 1);
  e.event_type = rows.bytes(r, first + 2);
  e.received_ms = rows.int64(r, first + 3);
  e.headers = rows.bytes(r, first + 4);
  e.body = rows.bytes(r, first + 5);
  e.public_id = rows.bytes(r, first + 6);
  e.meta = rows.bytes(r, first + 7);
  return e;
}

// The columns delivery_at reads, from deliveries aliased d.
constexpr const char* kDeliveryColumns =
    "d.id, d.event_seq, d.destination, d.state, d.attempts, d.due_ms, "
    "coalesce(d.lease_until_ms, 0), d.manual_attempt";
constexpr int kDeliveryColumnCount = 8;

DeliveryState delivery_at(const Rows& rows, int r, int first = 0) {
  DeliveryState d;
  d.id = rows.int64(r, first);
  d.event_seq = rows.int64(r, first + 1);
  d.destination = rows.bytes(r, first + 2);
  d.state = rows.bytes(r, first + 3);
  d.attempts = static_cast<int>(rows.int64(r, first + 4));
  d.due_ms = rows.int64(r, first + 5);
  d.lease_until_ms = rows.int64(r, first + 6);
  d.manual_attempt = static_cast<int>(rows.int64(r, first + 7));
  return d;
}

// Columns: delivery_id, number, started_ms, duration_ms, status, error, response.
Attempt attempt_at(const Rows& rows, int r, int first = 0) {
  Attempt a;
  a.delivery_id = rows.int64(r, first);
  a.number = static_cast<int>(rows.int64(r, first + 1));
  a.started_ms = rows.int64(r, first + 2);
  a.duration_ms = rows.int64(r, first + 3);
  a.status = static_cast<int>(rows.int64(r, first + 4));
  a.error = rows.bytes(r, first + 5);
  a.response = rows.bytes(r, first + 6);
  return a;
}
constexpr int kAttemptColumnCount = 7;

std::int64_t as_limit(std::size_t limit) {
  return static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
}

}  // namespace

Result<std::vector<Event>> read_events_after(Conn& conn, std::string_view source,
                                             std::int64_t after, std::size_t limit) {
  std::vector<Event> events;
  if (limit == 0) return events;
  auto rows =
      conn.exec(std::string("SELECT ") + kEventColumns +
                    " FROM events e WHERE e.source = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3",
                Params().bytes(source).int64(after).int64(
                    static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX))));
  if (!rows) return Error{rows.error()};
  events.reserve(static_cast<std::size_t>(rows->size()));
  for (int r = 0; r < rows->size(); ++r)
    events.push_back(event_at(*rows, r));
  return events;
}

Result<std::optional<Event>> read_event(Conn& conn, std::int64_t seq) {
  auto rows = conn.exec(std::string("SELECT ") + kEventColumns + " FROM events e WHERE e.seq = $1",
                        Params().int64(seq));
  if (!rows) return Error{rows.error()};
  if (rows->size() == 0) return std::optional<Event>();
  return std::optional<Event>(event_at(*rows, 0));
}

Result<std::vector<DeliveryState>> read_deliveries(Conn& conn, std::int64_t event_seq) {
  auto rows = conn.exec(std::string("SELECT ") + kDeliveryColumns +
                            " FROM deliveries d WHERE d.event_seq = $1 ORDER BY d.id",
                        Params().int64(event_seq));
  if (!rows) return Error{rows.error()};
  std::vector<DeliveryState> deliveries;
  deliveries.reserve(static_cast<std::size_t>(rows->size()));
  for (int r = 0; r < rows->size(); ++r) {
    deliveries.push_back(delivery_at(*rows, r));
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
    attempts.push_back(attempt_at(*rows, r));
  }
  return attempts;
}

Result<std::optional<Event>> read_event_by_public_id(Conn& conn, std::string_view source,
                                                     std::string_view public_id) {
  auto rows = conn.exec(std::string("SELECT ") + kEventColumns +
                            " FROM events e WHERE e.source = $1 AND e.public_id = $2",
                        Params().bytes(source).bytes(public_id));
  if (!rows) return Error{rows.error()};
  if (rows->size() == 0) return std::optional<Event>();
  return std::optional<Event>(event_at(*rows, 0));
}

Result<std::vector<Event>> read_events_before(Conn& conn, const EventPage& page) {
  std::vector<Event> events;
  if (page.limit == 0) return events;
  if (page.event_types.size() > kMaxEventTypesFilter) return Error{"too many event types"};
  // Walks events_by_source backwards from the cursor; the filters are checked on the way. Unset
  // filters are written so they always hold, keeping one statement text (one plan).
  std::vector<std::string_view> types(page.event_types.begin(), page.event_types.end());
  auto rows =
      conn.exec(std::string("SELECT ") + kEventColumns +
                    " FROM events e WHERE e.source = $1 AND e.seq < $2 AND e.received_ms >= $3 "
                    "AND e.received_ms < $4 AND (cardinality($5::bytea[]) = 0 OR "
                    "e.event_type = ANY($5::bytea[])) ORDER BY e.seq DESC LIMIT $6",
                Params()
                    .bytes(page.source)
                    .int64(page.before_seq == 0 ? INT64_MAX : page.before_seq)
                    .int64(page.since_ms)
                    .int64(page.until_ms == 0 ? INT64_MAX : page.until_ms)
                    .bytes_array(types)
                    .int64(as_limit(page.limit)));
  if (!rows) return Error{rows.error()};
  events.reserve(static_cast<std::size_t>(rows->size()));
  for (int r = 0; r < rows->size(); ++r)
    events.push_back(event_at(*rows, r));
  return events;
}

Result<std::vector<DestinationDelivery>> read_deliveries_to(Conn& conn,
                                                            std::string_view destination,
                                                            std::int64_t before_seq,
                                                            std::size_t limit) {
  std::vector<DestinationDelivery> out;
  if (limit == 0) return out;
  auto rows = conn.exec(std::string("SELECT ") + kDeliveryColumns + ", " + kEventColumns +
                            " FROM deliveries d JOIN events e ON e.seq = d.event_seq "
                            "WHERE d.destination = $1 AND d.event_seq < $2 "
                            "ORDER BY d.event_seq DESC, d.id DESC LIMIT $3",
                        Params()
                            .bytes(destination)
                            .int64(before_seq == 0 ? INT64_MAX : before_seq)
                            .int64(as_limit(limit)));
  if (!rows) return Error{rows.error()};
  out.reserve(static_cast<std::size_t>(rows->size()));
  for (int r = 0; r < rows->size(); ++r) {
    out.push_back(
        DestinationDelivery{delivery_at(*rows, r), event_at(*rows, r, kDeliveryColumnCount)});
  }
  return out;
}

Result<std::vector<DestinationAttempt>> read_attempts_to(Conn& conn, std::string_view destination,
                                                         std::int64_t before_seq, int before_number,
                                                         std::size_t limit) {
  std::vector<DestinationAttempt> out;
  if (limit == 0) return out;
  // (event_seq, number) below the cursor: the deliveries before its event, and the cursor
  // event's own attempts below its number.
  auto rows = conn.exec(
      std::string("SELECT a.delivery_id, a.number, a.started_ms, a.duration_ms, a.status, "
                  "a.error, a.response, ") +
          kDeliveryColumns + ", " + kEventColumnsNoBody +
          " FROM deliveries d JOIN attempts a ON a.delivery_id = d.id "
          "JOIN events e ON e.seq = d.event_seq "
          "WHERE d.destination = $1 AND (d.event_seq < $2 OR (d.event_seq = $2 AND "
          "a.number < $3::int4)) ORDER BY d.event_seq DESC, d.id DESC, a.number DESC LIMIT $4",
      Params()
          .bytes(destination)
          .int64(before_seq == 0 ? INT64_MAX : before_seq)
          .int64(before_number)
          .int64(as_limit(limit)));
  if (!rows) return Error{rows.error()};
  out.reserve(static_cast<std::size_t>(rows->size()));
  for (int r = 0; r < rows->size(); ++r) {
    out.push_back(
        DestinationAttempt{attempt_at(*rows, r), delivery_at(*rows, r, kAttemptColumnCount),
                           event_at(*rows, r, kAttemptColumnCount + kDeliveryColumnCount)});
  }
  return out;
}

Result<DestinationStats> read_destination_stats(Conn& conn, std::string_view destination,
                                                std::int64_t since_ms, std::int64_t until_ms,
                                                std::int64_t now_ms) {
  const bool bounded = since_ms != 0 || until_ms != 0;
  const std::string counts =
      "SELECT count(*) FILTER (WHERE d.state = 'delivered'), "
      "count(*) FILTER (WHERE d.state = 'pending' AND coalesce(d.lease_until_ms, 0) <= $2), "
      "count(*) FILTER (WHERE d.state = 'pending' AND coalesce(d.lease_until_ms, 0) > $2), "
      "count(*) FILTER (WHERE d.state = 'failed') FROM deliveries d";
  auto rows = bounded ? conn.exec(counts +
                                      " JOIN events e ON e.seq = d.event_seq WHERE "
                                      "d.destination = $1 AND e.received_ms >= $3 AND "
                                      "e.received_ms < $4",
                                  Params()
                                      .bytes(destination)
                                      .int64(now_ms)
                                      .int64(since_ms)
                                      .int64(until_ms == 0 ? INT64_MAX : until_ms))
                      : conn.exec(counts + " WHERE d.destination = $1",
                                  Params().bytes(destination).int64(now_ms));
  if (!rows) return Error{rows.error()};
  if (rows->size() != 1) return Error{"stats returned no row"};
  return DestinationStats{rows->int64(0, 0), rows->int64(0, 1), rows->int64(0, 2),
                          rows->int64(0, 3)};
}

Result<Counts> read_counts(Conn& conn) {
  // One statement, so the numbers come from the same snapshot.
  auto rows = conn.exec(
      "SELECT (SELECT count(*) FROM events),"
      " count(*) FILTER (WHERE state = 'pending'),"
      " count(*) FILTER (WHERE state = 'delivered'),"
      " count(*) FILTER (WHERE state = 'failed'),"
      " coalesce(min(due_ms) FILTER (WHERE state = 'pending'), 0) FROM deliveries");
  if (!rows) return Error{rows.error()};
  if (rows->size() != 1) return Error{"counts returned no row"};
  return Counts{rows->int64(0, 0), rows->int64(0, 1), rows->int64(0, 2), rows->int64(0, 3),
                rows->int64(0, 4)};
}

Result<std::optional<std::string>> read_setting(Conn& conn, std::string_view key) {
  auto rows = conn.exec("SELECT value FROM settings WHERE key = $1", Params().bytes(key));
  if (!rows) return Error{rows.error()};
  if (rows->size() == 0) return std::optional<std::string>();
  return std::optional<std::string>(rows->bytes(0, 0));
}

}  // namespace hookgate::store::postgres
