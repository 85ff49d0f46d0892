// Schema migrations of the SQLite store, applied when a store is opened.
#pragma once

#include "hookgate/result.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {

// The schema version this build writes (PRAGMA user_version once migrated).
int latest_schema_version();

// Brings db to latest_schema_version() in one transaction: either every pending step applies or
// none does. Refuses a database written by a newer build rather than guessing at its schema.
Result<bool> migrate(Db& db);

}  // namespace hookgate::store::sqlite
