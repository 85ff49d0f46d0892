// Housekeeping writes of the SQLite store: forgetting what has outlived its purpose (expired
// de-duplication windows, finished events past the retention age). Each runs inside the transaction
// the group commit opened.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {

Result<std::int64_t> prune_dedupe_windows(Db& db, std::int64_t now_ms, std::size_t limit);
// Store::prune_events.
Result<Pruned> prune_finished_events(Db& db, std::int64_t before_ms, std::int64_t now_ms,
                                     std::int64_t after_seq, std::size_t limit);

}  // namespace hookgate::store::sqlite
