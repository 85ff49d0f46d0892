// SQL of the store's writes on PostgreSQL: append with de-duplication, claiming due deliveries
// under a lease (claims.cpp), recording an attempt's outcome, and settings (plain and
// compare-and-set).
#include "store/postgres/writes.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>

namespace hookgate::store::postgres {
namespace {

// A round's events go in one statement's arrays; beyond this many bytes the batch is split, far
// below PostgreSQL's 1 GB per value and libpq's int lengths.
constexpr std::size_t kRoundBytes = std::size_t{16} << 20;

// Claims (source, key) for each keyed event of a round: inserts the row, or takes over one whose
// window had expired when the event was received; a live window leaves the row alone. The claim
// marks the row seq = NULL, which only the claiming transaction can see (committed rows always
// have their seq): that is how kInsertEvents tells claimed from duplicate without a round trip.
// ON CONFLICT makes this safe against another node appending the same key at the same moment:
// the second waits for the first's commit and then sees its row. Rows are taken in key order, so
// two writers taking several keys each cannot deadlock.
constexpr const char* kClaimKeys =
    "WITH i AS (SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::int8[], $4::int8[]) "
    "  AS i(source, key, until_ms, received_ms)) "
    "INSERT INTO dedupe AS d (source, key, until_ms) "
    "SELECT source, key, until_ms FROM i ORDER BY source, key "
    "ON CONFLICT (source, key) DO UPDATE SET until_ms = excluded.until_ms, seq = NULL "
    "WHERE d.until_ms <= "
    "  (SELECT i.received_ms FROM i WHERE i.source = excluded.source AND i.key = excluded.key)";

// Inserts a round's events that are not duplicates (no key, or a key the round claimed), their
// deliveries in order, and the claimed rows' seq; returns (n, seq, duplicate) for every event
// n of the round, a duplicate naming the seq its key's row holds. Seqs are drawn explicitly, in
// the round's order, so each row maps back to its event (RETURNING promises no order). Every
// touch of dedupe is an index probe however large it grows: correlated look-ups, and the seq
// written through ON CONFLICT (the row always exists: this round claimed it), because a prepared
// UPDATE ... FROM keeps the plan made while the table was small, a sequential scan.
constexpr const char* kInsertEvents =
    "WITH i AS (SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::int8[], $4::bytea[], "
    "  $5::bytea[], $6::bytea[], $9::bytea[], $10::bytea[]) WITH ORDINALITY AS i(source, "
    "  event_type, received_ms, headers, body, key, public_id, meta, n)), "
    "fresh AS (SELECT * FROM i WHERE i.key = '' OR (SELECT d.seq IS NULL FROM dedupe d "
    "  WHERE d.source = i.source AND d.key = i.key)), "
    "s AS (SELECT n, nextval((SELECT pg_get_serial_sequence('events', 'seq'))::regclass) AS seq "
    "  FROM fresh ORDER BY n), "
    "e AS (INSERT INTO events (seq, source, event_type, received_ms, headers, body, public_id, "
    "  meta) OVERRIDING SYSTEM VALUE "
    "  SELECT s.seq, f.source, f.event_type, f.received_ms, f.headers, f.body, "
    "  nullif(f.public_id, ''::bytea), f.meta FROM s JOIN fresh f USING (n)), "
    "dl AS (INSERT INTO deliveries (event_seq, destination, state, due_ms) "
    "  SELECT s.seq, u.destination, 'pending', f.received_ms "
    "  FROM unnest($7::bytea[], $8::int8[]) WITH ORDINALITY AS u(destination, owner, m) "
    "  JOIN s ON s.n = u.owner JOIN fresh f ON f.n = u.owner ORDER BY u.m), "
    "k AS (INSERT INTO dedupe AS d (source, key, until_ms, seq) "
    "  SELECT f.source, f.key, 0, s.seq FROM s JOIN fresh f USING (n) WHERE f.key <> '' "
    "  ON CONFLICT (source, key) DO UPDATE SET seq = excluded.seq), "
    "r AS (SELECT i.n, coalesce(s.seq, (SELECT d.seq FROM dedupe d "
    "  WHERE d.source = i.source AND d.key = i.key)) AS seq, s.seq IS NULL AS dup "
    "  FROM i LEFT JOIN s USING (n)) "
    // A duplicate's first event was committed before (or inserted by an earlier statement of
    // this transaction), so it is visible here; a fresh event's are the caller's own.
    "SELECT r.n, r.seq, r.dup, (SELECT coalesce(e.public_id, ''::bytea) FROM events e "
    "  WHERE r.dup AND e.seq = r.seq), (SELECT e.received_ms FROM events e "
    "  WHERE r.dup AND e.seq = r.seq) FROM r ORDER BY r.n";

std::size_t size_of(const NewEvent& event) {
  std::size_t size = event.source.size() + event.event_type.size() + event.dedupe_key.size() +
                     event.headers.size() + event.body.size() + event.public_id.size() +
                     event.meta.size() + 64;
  for (const auto& destination : event.destinations)
    size += destination.size() + 16;
  return size;
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

AppendBatch::AppendBatch(std::span<const NewEvent* const> events,
                         std::vector<Statement>& statements)
    : events_(events), size_(events.size()) {
  // The k-th event of a key goes in the k-th round of its chunk, so each round claims a key at
  // most once (ON CONFLICT cannot change a row twice in one statement) and a key's events are
  // written in their order; a new chunk, with rounds of its own, starts at kRoundBytes.
  using Key = std::pair<std::string_view, std::string_view>;
  std::vector<std::vector<std::size_t>> rounds;
  std::map<Key, std::size_t> seen;  // events of each key so far in the chunk
  std::size_t chunk_first_round = 0;
  std::size_t chunk_bytes = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const NewEvent& event = *events[i];
    const std::size_t size = size_of(event);
    if (chunk_bytes > 0 && chunk_bytes + size > kRoundBytes) {
      chunk_first_round = rounds.size();
      chunk_bytes = 0;
      seen.clear();
    }
    chunk_bytes += size;
    std::size_t round = chunk_first_round;
    if (!event.dedupe_key.empty()) round += seen[Key(event.source, event.dedupe_key)]++;
    if (round >= rounds.size()) rounds.resize(round + 1);
    rounds[round].push_back(i);
  }
  statements.reserve(statements.size() + 2 * rounds.size());
  rounds_.reserve(rounds.size());
  for (auto& round : rounds)
    add_round(events, std::move(round), statements);
}

void AppendBatch::add_round(std::span<const NewEvent* const> events,
                            std::vector<std::size_t> chosen, std::vector<Statement>& statements) {
  const std::size_t count = chosen.size();
  std::vector<std::string_view> sources, types, headers, bodies, keys, destinations, public_ids,
      metas;
  std::vector<std::int64_t> received, owners;
  std::vector<std::string_view> keyed_sources, keyed_keys;
  std::vector<std::int64_t> keyed_until, keyed_received;
  sources.reserve(count);
  types.reserve(count);
  headers.reserve(count);
  bodies.reserve(count);
  keys.reserve(count);
  public_ids.reserve(count);
  metas.reserve(count);
  received.reserve(count);
  for (std::size_t n = 0; n < count; ++n) {
    const NewEvent& event = *events[chosen[n]];
    sources.emplace_back(event.source);
    types.emplace_back(event.event_type);
    received.push_back(event.received_ms);
    headers.emplace_back(event.headers);
    bodies.emplace_back(event.body);
    keys.emplace_back(event.dedupe_key);
    public_ids.emplace_back(event.public_id);
    metas.emplace_back(event.meta);
    for (const auto& destination : event.destinations) {
      destinations.emplace_back(destination);
      owners.push_back(static_cast<std::int64_t>(n + 1));
    }
    if (!event.dedupe_key.empty()) {
      keyed_sources.emplace_back(event.source);
      keyed_keys.emplace_back(event.dedupe_key);
      keyed_until.push_back(event.dedupe_until_ms);
      keyed_received.push_back(event.received_ms);
    }
  }
  if (!keyed_keys.empty()) {
    statements.push_back(Statement{kClaimKeys, Params()
                                                   .bytes_array(keyed_sources)
                                                   .bytes_array(keyed_keys)
                                                   .int64_array(keyed_until)
                                                   .int64_array(keyed_received)});
  }
  statements.push_back(Statement{kInsertEvents, Params()
                                                    .bytes_array(sources)
                                                    .bytes_array(types)
                                                    .int64_array(received)
                                                    .bytes_array(headers)
                                                    .bytes_array(bodies)
                                                    .bytes_array(keys)
                                                    .bytes_array(destinations)
                                                    .int64_array(owners)
                                                    .bytes_array(public_ids)
                                                    .bytes_array(metas)});
  rounds_.push_back(Round{statements.size() - 1, std::move(chosen)});
}

std::vector<Result<Appended>> AppendBatch::outcomes(std::span<const Rows> rows) const {
  std::vector<Result<Appended>> out(size_, Result<Appended>(Error{"append returned no row"}));
  for (const Round& round : rounds_) {
    if (round.insert >= rows.size()) continue;
    const Rows& answer = rows[round.insert];
    for (int r = 0; r < answer.size(); ++r) {
      const std::int64_t n = answer.int64(r, 0);
      if (n < 1 || static_cast<std::size_t>(n) > round.events.size()) continue;
      const std::size_t index = round.events[static_cast<std::size_t>(n - 1)];
      auto& outcome = out[index];
      if (answer.is_null(r, 1)) {
        outcome = Error{"de-duplication row without an event"};
      } else if (answer.int64(r, 2) != 0) {
        outcome = Appended{answer.int64(r, 1), true,
                           answer.is_null(r, 3) ? std::string() : answer.bytes(r, 3),
                           answer.is_null(r, 4) ? 0 : answer.int64(r, 4)};
      } else {
        outcome = Appended{answer.int64(r, 1), false, events_[index]->public_id,
                           events_[index]->received_ms};
      }
    }
  }
  return out;
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
