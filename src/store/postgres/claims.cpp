// SQL of Store::claim, finish_many and postpone_many on PostgreSQL.
#include "store/postgres/claims.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>

#include "store/claim_window.hpp"

namespace hookgate::store::postgres {
namespace {

// A skip-scan of deliveries_pending_by_destination (migration 6): the destinations with pending
// work, one index probe each, however many rows each has queued. PostgreSQL has no skip-scan of
// its own; the recursive CTE is the usual loose index scan.
#define HOOKGATE_PENDING_DESTINATIONS                                                   \
  "hop(destination) AS ("                                                               \
  "  (SELECT destination FROM deliveries WHERE state = 'pending' ORDER BY destination " \
  "   LIMIT 1) "                                                                        \
  "  UNION ALL "                                                                        \
  "  SELECT (SELECT d.destination FROM deliveries d WHERE d.state = 'pending' "         \
  "    AND d.destination > hop.destination ORDER BY d.destination LIMIT 1) "            \
  "  FROM hop WHERE hop.destination IS NOT NULL) "

// Each destination with room, in turn from the one after $4 (the cursor), gives its oldest due
// rows, no more than its room ($1/$2 listed, $3 otherwise) and the limit plus one (the one more
// tells the claim that work is left now). The rows of a destination without room are never read,
// so a claim costs what it takes and one probe per destination with pending work, never the
// backlog. The outer LIMIT stops the walk once the claim is full; the turn's order comes from
// the sorted visit list, which the nested loop keeps. SKIP LOCKED leaves rows another node is
// claiming to it; a row another node claimed and committed after this statement's snapshot is
// re-checked against its new lease and dropped.
#define HOOKGATE_TAKE_IN_TURN                                                             \
  "SELECT c.id, c.destination, c.due_ms FROM visit CROSS JOIN LATERAL ("                  \
  "  SELECT x.id, x.destination, x.due_ms FROM deliveries x "                             \
  "  WHERE x.destination = visit.destination AND x.state = 'pending' AND x.due_ms <= $5 " \
  "  AND (x.lease_until_ms IS NULL OR x.lease_until_ms <= $5) "                           \
  "  ORDER BY x.due_ms, x.id LIMIT least(visit.room, $6 + 1) FOR UPDATE SKIP LOCKED) c "  \
  "LIMIT $6 + 1"

constexpr const char* kCandidatesExcept =
    "WITH RECURSIVE " HOOKGATE_PENDING_DESTINATIONS
    ", visit AS (SELECT hop.destination, coalesce(r.room, $3) AS room FROM hop "
    "  LEFT JOIN unnest($1::bytea[], $2::int8[]) AS r(destination, room) "
    "  ON r.destination = hop.destination "
    "  WHERE hop.destination IS NOT NULL AND coalesce(r.room, $3) > 0 "
    "  ORDER BY hop.destination <= $4, hop.destination) " HOOKGATE_TAKE_IN_TURN;
constexpr const char* kCandidatesOnly =
    "WITH visit AS (SELECT r.destination, r.room "
    "  FROM unnest($1::bytea[], $2::int8[]) AS r(destination, room) "
    "  WHERE r.room > 0 "
    "  ORDER BY r.destination <= $4, r.destination) " HOOKGATE_TAKE_IN_TURN;

// Leases the chosen rows (locked by the candidate SELECT) and returns them with their events.
constexpr const char* kLease =
    "WITH c AS (UPDATE deliveries d SET lease_owner = $1, lease_until_ms = $2 "
    "  FROM unnest($3::int8[]) AS t(id) WHERE d.id = t.id "
    "  RETURNING d.id, d.event_seq, d.destination, d.attempts, d.lease_until_ms, d.due_ms, "
    "  d.manual_attempt) "
    "SELECT c.id, c.destination, c.attempts, c.lease_until_ms, "
    "  e.seq, e.source, e.event_type, e.received_ms, e.headers, e.body, "
    "  coalesce(e.public_id, ''::bytea), e.meta, c.manual_attempt "
    "FROM c JOIN events e ON e.seq = c.event_seq ORDER BY c.due_ms, c.id";

// The next due time of the destinations with room left ($1: those not to look at, or the only
// ones), in two parts. Unleased rows: each such destination's first row due after now ($2),
// found by one probe of deliveries_pending_by_destination (rows due now were taken, or are being
// claimed by another node); a walk of the whole queue by due time would read every due row of
// the destinations without room. Leased rows: by the end of their lease (deliveries_leased, the
// rows in flight). A leased row was due when it was claimed and its due time does not move while
// leased.
#define HOOKGATE_FIRST_LATER                                                                   \
  "CROSS JOIN LATERAL (SELECT x.due_ms FROM deliveries x WHERE x.destination = w.destination " \
  "  AND x.state = 'pending' AND x.lease_until_ms IS NULL AND x.due_ms > $2 "                  \
  "  ORDER BY x.due_ms LIMIT 1) n"
constexpr const char* kNextUnleasedExcept =
    "WITH RECURSIVE " HOOKGATE_PENDING_DESTINATIONS
    "SELECT min(n.due_ms) FROM hop AS w " HOOKGATE_FIRST_LATER
    " WHERE w.destination IS NOT NULL AND w.destination <> ALL($1::bytea[])";
constexpr const char* kNextUnleasedOnly =
    "SELECT min(n.due_ms) FROM unnest($1::bytea[]) AS w(destination) " HOOKGATE_FIRST_LATER;
#undef HOOKGATE_FIRST_LATER
#undef HOOKGATE_TAKE_IN_TURN
#undef HOOKGATE_PENDING_DESTINATIONS

constexpr const char* kNextLeasedExcept =
    "SELECT greatest(due_ms, lease_until_ms) FROM deliveries WHERE lease_until_ms IS NOT NULL "
    "AND state = 'pending' AND destination <> ALL($1::bytea[]) AND id <> ALL($2::int8[]) "
    "ORDER BY lease_until_ms LIMIT 1";
constexpr const char* kNextLeasedOnly =
    "SELECT greatest(due_ms, lease_until_ms) FROM deliveries WHERE lease_until_ms IS NOT NULL "
    "AND state = 'pending' AND destination = ANY($1::bytea[]) AND id <> ALL($2::int8[]) "
    "ORDER BY lease_until_ms LIMIT 1";

// One statement for a whole batch of outcomes: the UPDATE takes only the rows still leased to
// the owner (a row another claimer took over fails the condition once its commit is seen), the
// store counts the attempt number itself (attempts + 1), and the INSERT records an attempt for
// exactly the rows the UPDATE changed.
constexpr const char* kFinish =
    "WITH i AS (SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], "
    "  $5::int8[], $6::int8[], $7::bytea[], $8::bytea[]) "
    "  AS i(id, next, retry_at, started, duration, status, error, response)), "
    "u AS (UPDATE deliveries d SET "
    "  state = CASE i.next WHEN 0 THEN 'delivered' WHEN 1 THEN 'pending' ELSE 'failed' END, "
    "  attempts = d.attempts + 1, "
    "  due_ms = CASE WHEN i.next = 1 THEN i.retry_at ELSE d.due_ms END, "
    "  lease_owner = NULL, lease_until_ms = NULL "
    "  FROM i WHERE d.id = i.id AND d.lease_owner = $9 RETURNING d.id, d.attempts), "
    "a AS (INSERT INTO attempts (delivery_id, number, started_ms, duration_ms, status, error, "
    "  response) SELECT i.id, u.attempts, i.started, i.duration, i.status::int4, i.error, "
    "  i.response FROM i JOIN u ON u.id = i.id) "
    "SELECT id FROM u";

constexpr const char* kPostpone =
    "UPDATE deliveries d SET due_ms = i.due, lease_owner = NULL, lease_until_ms = NULL "
    "FROM unnest($1::int8[], $2::int8[]) AS i(id, due) "
    "WHERE d.id = i.id AND d.state = 'pending' AND d.lease_owner = $3 RETURNING d.id";

// The claim's LIMIT is $6 + 1 in SQL: kept well inside int8.
constexpr std::size_t kMaxClaim = std::size_t{1} << 40;

std::vector<std::string_view> views(const std::vector<std::string>& values) {
  return {values.begin(), values.end()};
}

std::int64_t next_code(Next next) {
  switch (next) {
    case Next::delivered:
      return 0;
    case Next::retry:
      return 1;
    case Next::give_up:
      return 2;
  }
  return 2;
}

Delivery delivery_at(const Rows& rows, int r) {
  Delivery d;
  d.id = rows.int64(r, 0);
  d.destination = rows.bytes(r, 1);
  d.attempts = static_cast<int>(rows.int64(r, 2));
  d.lease_until_ms = rows.int64(r, 3);
  d.event.seq = rows.int64(r, 4);
  d.event.source = rows.bytes(r, 5);
  d.event.event_type = rows.bytes(r, 6);
  d.event.received_ms = rows.int64(r, 7);
  d.event.headers = rows.bytes(r, 8);
  d.event.body = rows.bytes(r, 9);
  d.event.public_id = rows.bytes(r, 10);
  d.event.meta = rows.bytes(r, 11);
  d.manual_attempt = static_cast<int>(rows.int64(r, 12));
  return d;
}

// Marks items whose id was seen earlier in the batch: they are answered false and not sent.
std::vector<bool> first_of_each_id(const std::vector<std::int64_t>& ids) {
  std::vector<bool> first(ids.size(), false);
  std::unordered_set<std::int64_t> seen;
  for (std::size_t i = 0; i < ids.size(); ++i)
    first[i] = seen.insert(ids[i]).second;
  return first;
}

std::vector<bool> answers(const std::vector<std::int64_t>& ids, const std::vector<bool>& sent,
                          const Rows& changed) {
  std::unordered_set<std::int64_t> done;
  for (int r = 0; r < changed.size(); ++r)
    done.insert(changed.int64(r, 0));
  std::vector<bool> out(ids.size(), false);
  for (std::size_t i = 0; i < ids.size(); ++i)
    out[i] = sent[i] && done.contains(ids[i]);
  return out;
}

}  // namespace

Result<Claimed> claim_deliveries(Conn& conn, const ClaimRequest& request, ClaimCursor& cursor) {
  Claimed claimed;
  const DestinationFilter filter = destinations_with_room(request);
  std::vector<Candidate> candidates;
  if (request.limit > 0 && !(filter.only && filter.list.empty())) {
    std::vector<std::string_view> names;
    std::vector<std::int64_t> rooms;
    for (const auto& [name, room] : request.room) {
      names.emplace_back(name);
      rooms.push_back(sql_limit(room));
    }
    const std::string after = cursor.after();
    auto rows = conn.exec(filter.only ? kCandidatesOnly : kCandidatesExcept,
                          Params()
                              .bytes_array(names)
                              .int64_array(rooms)
                              .int64(sql_limit(request.default_room))
                              .bytes(after)
                              .int64(request.now_ms)
                              .int64(sql_limit(std::min(request.limit, kMaxClaim))));
    if (!rows) return Error{rows.error()};
    candidates.reserve(static_cast<std::size_t>(rows->size()));
    for (int r = 0; r < rows->size(); ++r)
      candidates.push_back(Candidate{rows->int64(r, 0), rows->bytes(r, 1), rows->int64(r, 2)});
  }
  const Picked picked = pick_candidates(request, candidates);
  // The next claim's turn begins after the last destination this one took from.
  for (auto it = candidates.rbegin(); !picked.ids.empty() && it != candidates.rend(); ++it) {
    if (it->id == picked.ids.back()) {
      cursor.move_to(it->destination);
      break;
    }
  }

  // The lease and the next due time in one round trip.
  const auto waking = views(picked.waking.list);
  std::vector<Statement> statements;
  if (!picked.ids.empty()) {
    statements.push_back(Statement{kLease, Params()
                                               .bytes(request.owner)
                                               .int64(request.now_ms + request.lease_ms)
                                               .int64_array(picked.ids)});
  }
  if (!picked.more_now) {
    const bool only = picked.waking.only;
    statements.push_back(Statement{only ? kNextUnleasedOnly : kNextUnleasedExcept,
                                   Params().bytes_array(waking).int64(request.now_ms)});
    statements.push_back(Statement{only ? kNextLeasedOnly : kNextLeasedExcept,
                                   Params().bytes_array(waking).int64_array(picked.ids)});
  }
  if (statements.empty()) return claimed;
  const Pipelined ran = conn.pipeline(statements);
  if (ran.error) return Error{ran.error->message};
  std::size_t next = 0;
  if (!picked.ids.empty()) {
    const Rows& leased = ran.rows[next++];
    claimed.deliveries.reserve(static_cast<std::size_t>(leased.size()));
    for (int r = 0; r < leased.size(); ++r)
      claimed.deliveries.push_back(delivery_at(leased, r));
  }
  if (picked.more_now) {
    claimed.next_due_ms = request.now_ms;
    return claimed;
  }
  for (; next < ran.rows.size(); ++next) {
    const Rows& first = ran.rows[next];
    if (first.size() == 0 || first.is_null(0, 0)) continue;
    const std::int64_t at = first.int64(0, 0);
    claimed.next_due_ms = claimed.next_due_ms ? std::min(*claimed.next_due_ms, at) : at;
  }
  return claimed;
}

Result<std::vector<bool>> finish_deliveries(Conn& conn, const std::vector<Finished>& results,
                                            std::string_view owner) {
  std::vector<std::int64_t> ids;
  ids.reserve(results.size());
  for (const auto& result : results)
    ids.push_back(result.attempt.delivery_id);
  const std::vector<bool> sent = first_of_each_id(ids);
  // In id order, so two batches touching the same rows lock them in the same order.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (sent[i]) order.push_back(i);
  }
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return ids[a] < ids[b]; });
  if (order.empty()) return std::vector<bool>(results.size(), false);
  std::vector<std::int64_t> id, next, retry_at, started, duration, status;
  std::vector<std::string_view> error, response;
  for (const std::size_t i : order) {
    const Finished& r = results[i];
    id.push_back(r.attempt.delivery_id);
    next.push_back(next_code(r.next));
    retry_at.push_back(r.retry_at_ms);
    started.push_back(r.attempt.started_ms);
    duration.push_back(r.attempt.duration_ms);
    status.push_back(r.attempt.status);
    error.emplace_back(r.attempt.error);
    response.emplace_back(r.attempt.response);
  }
  auto changed = conn.exec(kFinish, Params()
                                        .int64_array(id)
                                        .int64_array(next)
                                        .int64_array(retry_at)
                                        .int64_array(started)
                                        .int64_array(duration)
                                        .int64_array(status)
                                        .bytes_array(error)
                                        .bytes_array(response)
                                        .bytes(owner));
  if (!changed) return Error{changed.error()};
  return answers(ids, sent, *changed);
}

Result<std::vector<bool>> postpone_deliveries(Conn& conn, const std::vector<Postponement>& items,
                                              std::string_view owner) {
  std::vector<std::int64_t> ids;
  ids.reserve(items.size());
  for (const auto& item : items)
    ids.push_back(item.delivery_id);
  const std::vector<bool> sent = first_of_each_id(ids);
  std::vector<std::pair<std::int64_t, std::int64_t>> rows;  // (id, due), in id order
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (sent[i]) rows.emplace_back(items[i].delivery_id, items[i].due_ms);
  }
  if (rows.empty()) return std::vector<bool>(items.size(), false);
  std::sort(rows.begin(), rows.end());
  std::vector<std::int64_t> id, due;
  id.reserve(rows.size());
  due.reserve(rows.size());
  for (const auto& [i, d] : rows) {
    id.push_back(i);
    due.push_back(d);
  }
  auto changed = conn.exec(kPostpone, Params().int64_array(id).int64_array(due).bytes(owner));
  if (!changed) return Error{changed.error()};
  return answers(ids, sent, *changed);
}

}  // namespace hookgate::store::postgres
