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

// Walks deliveries_due (state, due_ms, id) from the oldest due entry. Rows of destinations
// without room fail the destination condition, so they are neither locked nor written. SKIP
// LOCKED leaves rows another node is claiming to it; a row another node claimed and committed
// after this statement's snapshot is re-checked against its new lease and dropped.
constexpr const char* kCandidatesExcept =
    "SELECT id, destination FROM deliveries WHERE state = 'pending' AND due_ms <= $1 "
    "AND (lease_until_ms IS NULL OR lease_until_ms <= $1) AND destination <> ALL($2::bytea[]) "
    "ORDER BY due_ms, id LIMIT $3 FOR UPDATE SKIP LOCKED";
constexpr const char* kCandidatesOnly =
    "SELECT id, destination FROM deliveries WHERE state = 'pending' AND due_ms <= $1 "
    "AND (lease_until_ms IS NULL OR lease_until_ms <= $1) AND destination = ANY($2::bytea[]) "
    "ORDER BY due_ms, id LIMIT $3 FOR UPDATE SKIP LOCKED";

// Leases the chosen rows (locked by the candidate SELECT) and returns them with their events.
constexpr const char* kLease =
    "WITH c AS (UPDATE deliveries d SET lease_owner = $1, lease_until_ms = $2 "
    "  FROM unnest($3::int8[]) AS t(id) WHERE d.id = t.id "
    "  RETURNING d.id, d.event_seq, d.destination, d.attempts, d.lease_until_ms, d.due_ms) "
    "SELECT c.id, c.destination, c.attempts, c.lease_until_ms, "
    "  e.seq, e.source, e.event_type, e.received_ms, e.headers, e.body, "
    "  coalesce(e.public_id, ''::bytea), e.meta "
    "FROM c JOIN events e ON e.seq = c.event_seq ORDER BY c.due_ms, c.id";

// The next due time, in two ordered look-ups that each stop at their first match: unleased
// rows by due time (deliveries_due), leased ones by the end of their lease (deliveries_leased).
// A leased row was due when it was claimed and its due time does not move while leased.
constexpr const char* kNextUnleasedExcept =
    "SELECT due_ms FROM deliveries WHERE state = 'pending' AND lease_until_ms IS NULL "
    "AND destination <> ALL($1::bytea[]) AND id <> ALL($2::int8[]) ORDER BY due_ms LIMIT 1";
constexpr const char* kNextUnleasedOnly =
    "SELECT due_ms FROM deliveries WHERE state = 'pending' AND lease_until_ms IS NULL "
    "AND destination = ANY($1::bytea[]) AND id <> ALL($2::int8[]) ORDER BY due_ms LIMIT 1";
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

Result<Claimed> claim_deliveries(Conn& conn, const ClaimRequest& request) {
  Claimed claimed;
  const DestinationFilter filter = destinations_with_room(request);
  std::vector<Candidate> candidates;
  if (request.limit > 0 && !(filter.only && filter.list.empty())) {
    const auto listed = views(filter.list);
    auto rows = conn.exec(filter.only ? kCandidatesOnly : kCandidatesExcept,
                          Params()
                              .int64(request.now_ms)
                              .bytes_array(listed)
                              .int64(static_cast<std::int64_t>(candidate_window(request.limit))));
    if (!rows) return Error{rows.error()};
    candidates.reserve(static_cast<std::size_t>(rows->size()));
    for (int r = 0; r < rows->size(); ++r)
      candidates.push_back(Candidate{rows->int64(r, 0), rows->bytes(r, 1)});
  }
  const Picked picked = pick_candidates(request, candidates);

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
                                   Params().bytes_array(waking).int64_array(picked.ids)});
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
