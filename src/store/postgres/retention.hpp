// Housekeeping writes of the PostgreSQL store: forgetting what has outlived its purpose (expired
// de-duplication windows, finished events past the retention age). Each runs in a transaction of
// its own.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::postgres {

Result<std::int64_t> prune_dedupe_windows(Conn& conn, std::int64_t now_ms, std::size_t limit);
// Store::prune_events, inside the caller's transaction.
Result<Pruned> prune_finished_events(Conn& conn, std::int64_t before_ms, std::int64_t now_ms,
                                     std::int64_t after_seq, std::size_t limit);

}  // namespace hookgate::store::postgres
