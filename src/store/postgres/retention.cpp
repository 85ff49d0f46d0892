// SQL of the PostgreSQL store's housekeeping.
#include "store/postgres/retention.hpp"

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

}  // namespace hookgate::store::postgres
