// SQL of the PostgreSQL store's housekeeping.
#include "store/postgres/retention.hpp"

#include <algorithm>
#include <set>
#include <vector>

namespace hookgate::store::postgres {

Result<std::int64_t> prune_dedupe_windows(Conn& conn, std::int64_t now_ms, std::size_t limit) {
  // SKIP LOCKED: a window another node is taking over (or pruning) right now is left alone; an
  // append racing with the delete is decided by its ON CONFLICT, which sees either the old row
  // or none. A claim in flight has a future until_ms, so it is never a candidate.
  auto pruned = conn.exec(
      "DELETE FROM dedupe WHERE (source, key) IN (SELECT source, key FROM dedupe "
      "WHERE until_ms <= $1 ORDER BY until_ms LIMIT $2 FOR UPDATE SKIP LOCKED)",
      Params().int64(now_ms).int64(static_cast<std::int64_t>(limit)));
  if (!pruned) return Error{pruned.error()};
  return pruned->affected();
}

Result<Pruned> prune_finished_events(Conn& conn, std::int64_t before_ms, std::int64_t now_ms,
                                     std::int64_t after_seq, std::size_t limit) {
  Pruned pruned;
  pruned.next_after = after_seq;
  if (limit == 0) return pruned;
  // Walks the log by seq from the cursor (see the SQLite backend): the first event young enough
  // to keep ends the walk, and one kept for a pending delivery is stepped over.
  auto walked =
      conn.exec("SELECT seq, received_ms FROM events WHERE seq > $1 ORDER BY seq LIMIT $2",
                Params().int64(after_seq).int64(
                    static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX))));
  if (!walked) return Error{walked.error()};
  pruned.more = static_cast<std::size_t>(walked->size()) == limit;
  std::vector<std::int64_t> old;
  for (int r = 0; r < walked->size(); ++r) {
    if (walked->int64(r, 1) >= before_ms) {
      pruned.more = false;
      break;
    }
    old.push_back(walked->int64(r, 0));
  }
  if (old.empty()) return pruned;
  pruned.next_after = old.back();
  // Locks the candidates' deliveries first: a requeue moving one back to pending either
  // committed before (and the check below, a new snapshot, sees it) or waits for this
  // transaction. Appends never touch an existing event's deliveries.
  if (auto locked = conn.exec("SELECT id FROM deliveries WHERE event_seq = ANY($1) FOR UPDATE",
                              Params().int64_array(old));
      !locked) {
    return Error{locked.error()};
  }
  // Kept: a delivery still pending, or a de-duplication window still open (deleting the event
  // would forget the key and let a replay in).
  auto kept = conn.exec(
      "SELECT event_seq FROM deliveries WHERE event_seq = ANY($1) AND state = 'pending' "
      "UNION SELECT seq FROM dedupe WHERE seq = ANY($1) AND until_ms > $2",
      Params().int64_array(old).int64(now_ms));
  if (!kept) return Error{kept.error()};
  std::set<std::int64_t> keep;
  for (int r = 0; r < kept->size(); ++r)
    keep.insert(kept->int64(r, 0));
  std::vector<std::int64_t> gone;
  for (const std::int64_t seq : old) {
    if (!keep.contains(seq)) gone.push_back(seq);
  }
  if (gone.empty()) return pruned;
  // Children first: the foreign keys are enforced. An append taking over an expired window of one
  // of these events holds its dedupe row; the DELETE waits for it and then sees the row point at
  // the new event, so it is left alone.
  for (const char* sql : {
           "DELETE FROM attempts WHERE delivery_id IN "
           "(SELECT id FROM deliveries WHERE event_seq = ANY($1))",
           "DELETE FROM deliveries WHERE event_seq = ANY($1)",
           "DELETE FROM dedupe WHERE seq = ANY($1)",
       }) {
    if (auto deleted = conn.exec(sql, Params().int64_array(gone)); !deleted) {
      return Error{deleted.error()};
    }
  }
  auto events = conn.exec("DELETE FROM events WHERE seq = ANY($1)", Params().int64_array(gone));
  if (!events) return Error{events.error()};
  pruned.removed = events->affected();
  return pruned;
}

}  // namespace hookgate::store::postgres
