// Schema migrations of the PostgreSQL store, applied when a store is opened.
#pragma once

#include "hookgate/result.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::postgres {

// The schema version this build writes (the highest version in schema_migrations once migrated).
int latest_schema_version();

// Brings the database (the first schema on the search path) to latest_schema_version() in one
// transaction under an advisory lock, so nodes starting together migrate once and the others
// wait and find nothing left to do. Refuses a schema written by a newer build.
Result<bool> migrate(Conn& conn);

}  // namespace hookgate::store::postgres
