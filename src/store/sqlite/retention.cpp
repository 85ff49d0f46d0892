// SQL of the SQLite store's housekeeping.
#include "store/sqlite/retention.hpp"

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

}  // namespace hookgate::store::sqlite
