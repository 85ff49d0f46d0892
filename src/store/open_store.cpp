// open_store(): picks the backend a store URL names. The only place that knows every backend.
#include <string>

#include "hookgate/store/store.hpp"
#include "store/postgres/pg_url.hpp"
#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace hookgate::store {

Result<std::unique_ptr<Store>> open_store(std::string_view url, const StoreOptions& options) {
  constexpr std::string_view kSqlite = "sqlite://";
  if (url.starts_with(kSqlite)) {
    const std::string path(url.substr(kSqlite.size()));
    if (path.empty()) return Error{"store url '" + std::string(url) + "' names no file"};
    // An in-memory database would acknowledge events it loses on exit. Debian's SQLite reads
    // "file:" names as URIs, which can also mean memory (file::memory:, mode=memory).
    if (path == ":memory:" || path.starts_with("file:")) {
      return Error{"store url '" + std::string(url) + "': the store must be a file on disk"};
    }
    return sqlite::SqliteStore::open(path, options);
  }
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    return postgres::PostgresStore::open(std::string(url), options);
  }
  // Not echoed whole: a mistyped PostgreSQL URL may still carry a password.
  return Error{"store url '" + postgres::redact_url(url) +
               "' is not supported (expected sqlite://PATH or postgres://...)"};
}

}  // namespace hookgate::store
