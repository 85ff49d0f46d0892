// SQL of the SQLite store's housekeeping.
#include "store/sqlite/retention.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace hookgate::store::sqlite {

Result<std::int64_t> prune_dedupe_windows(Db& db, std::int64_t now_ms, std::size_t limit) {
  // Walks dedupe_expiry from the oldest window, so the cost is the rows removed, not the table;
  // the limit keeps one call from holding the writer for long.
  auto prune = db.cached(
      "DELETE FROM dedupe WHERE (source, key) IN (SELECT source, key FROM dedupe "
      "WHERE until_ms <= ?1 ORDER BY until_ms LIMIT ?2) RETURNING 1");
  if (!prune) return Error{prune.error()};
  (*prune)->bind_int64(1, now_ms).bind_int64(2, static_cast<std::int64_t>(limit));
  return (*prune)->count_rows();
}

namespace {

// Whether the event must stay: a delivery still pending, or a de-duplication window still open
// (deleting the event would forget the key and let a replay in). Both are index probes
// (deliveries_by_event, dedupe_by_seq).
Result<bool> still_needed(Db& db, std::int64_t seq, std::int64_t now_ms) {
  auto needed = db.cached(
      "SELECT EXISTS (SELECT 1 FROM deliveries WHERE event_seq = ?1 AND state = 'pending') "
      "OR EXISTS (SELECT 1 FROM dedupe WHERE seq = ?1 AND until_ms > ?2)");
  if (!needed) return Error{needed.error()};
  (*needed)->bind_int64(1, seq).bind_int64(2, now_ms);
  auto row = (*needed)->step();
  if (!row) return Error{row.error()};
  return *row && (*needed)->column_int64(0) != 0;
}

Result<bool> delete_event(Db& db, std::int64_t seq) {
  // Children first: the foreign keys are enforced.
  static constexpr const char* kDeletes[] = {
      "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_seq = ?1)",
      "DELETE FROM deliveries WHERE event_seq = ?1",
      "DELETE FROM dedupe WHERE seq = ?1",
      "DELETE FROM events WHERE seq = ?1",
  };
  for (const char* sql : kDeletes) {
    auto statement = db.cached(sql);
    if (!statement) return Error{statement.error()};
    (*statement)->bind_int64(1, seq);
    if (auto done = (*statement)->run(); !done) return done;
  }
  return true;
}

}  // namespace

Result<Pruned> prune_finished_events(Db& db, std::int64_t before_ms, std::int64_t now_ms,
                                     std::int64_t after_seq, std::size_t limit) {
  Pruned pruned;
  pruned.next_after = after_seq;
  if (limit == 0) return pruned;
  // Walks the log by seq (the primary key) from the cursor: seq follows arrival, so the first
  // event young enough to keep ends the walk, and an event kept for a pending delivery is stepped
  // over instead of being looked at again by every later call of the round.
  std::vector<std::pair<std::int64_t, std::int64_t>> candidates;  // seq, received_ms
  {
    auto select =
        db.cached("SELECT seq, received_ms FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2");
    if (!select) return Error{select.error()};
    (*select)
        ->bind_int64(1, after_seq)
        .bind_int64(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    for (;;) {
      auto row = (*select)->step();
      if (!row) return Error{row.error()};
      if (!*row) break;
      candidates.emplace_back((*select)->column_int64(0), (*select)->column_int64(1));
    }
  }
  pruned.more = candidates.size() == limit;
  for (const auto& [seq, received_ms] : candidates) {
    if (received_ms >= before_ms) {
      pruned.more = false;
      break;
    }
    pruned.next_after = seq;
    auto needed = still_needed(db, seq, now_ms);
    if (!needed) return Error{needed.error()};
    if (*needed) continue;
    if (auto deleted = delete_event(db, seq); !deleted) return Error{deleted.error()};
    ++pruned.removed;
  }
  return pruned;
}

}  // namespace hookgate::store::sqlite
