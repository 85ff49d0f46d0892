// Housekeeping writes of the PostgreSQL store: forgetting what has outlived its purpose (expired
// de-duplication windows). Each runs in a transaction of its own.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hookgate/result.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::postgres {

Result<std::int64_t> prune_dedupe_windows(Conn& conn, std::int64_t now_ms, std::size_t limit);

}  // namespace hookgate::store::postgres
