// SqliteStore: opening the file with the durability settings, and routing each call to the
// writer thread or the read connection.
#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <memory>
#include <utility>

#include "store/sqlite/migrations.hpp"
#include "store/sqlite/reads.hpp"
#include "store/sqlite/records.hpp"
#include "store/sqlite/retention.hpp"
#include "store/sqlite/schedule.hpp"
#include "store/sqlite/wal_sync.hpp"
#include "store/sqlite/writes.hpp"

namespace hookgate::store::sqlite {
namespace {

// Another process (a backup, an operator's sqlite3 shell) may hold the lock for a moment.
constexpr const char* kBusyTimeout = "PRAGMA busy_timeout = 5000";

Result<Db> open_writer(const std::string& path) {
  auto db = Db::open(path, Db::Mode::read_write_create);
  if (!db) return db;
  if (auto set = db->exec(kBusyTimeout); !set) return Error{path + ": " + set.error()};
  // WAL: readers never block the writer, and a commit is one append to the log.
  auto mode = db->query_text("PRAGMA journal_mode = WAL");
  if (!mode) return Error{path + ": " + mode.error()};
  if (*mode != "wal") return Error{path + ": cannot use WAL journal mode (got " + *mode + ")"};
  // NORMAL: COMMIT does not fsync the WAL; the group commit's sync thread does (WalSync) before
  // any outcome is handed out, so a 2xx still means on disk, as with FULL.
  for (const char* pragma : {"PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"}) {
    if (auto set = db->exec(pragma); !set) return Error{path + ": " + set.error()};
  }
  if (auto migrated = migrate(*db); !migrated) return Error{path + ": " + migrated.error()};
  return db;
}

Result<Db> open_reader(const std::string& path) {
  auto db = Db::open(path, Db::Mode::read_only);
  if (!db) return db;
  if (auto set = db->exec(kBusyTimeout); !set) return Error{path + ": " + set.error()};
  return db;
}

GroupCommit::Durable wal_sync_of(const Db& writer) {
  // SQLite's own name for the file: absolute, whatever path the configuration gave.
  const char* name = sqlite3_db_filename(writer.handle(), "main");
  auto wal = std::make_shared<WalSync>(name != nullptr ? name : "");
  return [wal] { return wal->sync(); };
}

}  // namespace

Result<std::unique_ptr<Store>> SqliteStore::open(const std::string& path,
                                                 const StoreOptions& options) {
  if (options.max_pending_writes == 0) return Error{"max_pending_writes must be at least 1"};
  auto writer = open_writer(path);
  if (!writer) return Error{writer.error()};
  auto reader = open_reader(path);
  if (!reader) return Error{reader.error()};
  try {
    auto durable = wal_sync_of(*writer);
    return std::unique_ptr<Store>(new SqliteStore(std::move(writer).value(),
                                                  std::move(reader).value(),
                                                  options.max_pending_writes, std::move(durable)));
  } catch (const std::exception& e) {
    return Error{path + ": cannot start the store: " + e.what()};
  }
}

SqliteStore::SqliteStore(Db writer, Db reader, std::size_t max_pending_writes,
                         GroupCommit::Durable durable)
    : reader_(std::move(reader)),
      writes_(std::move(writer), max_pending_writes, std::move(durable)) {}

void SqliteStore::append_async(NewEvent event, AppendDone done) {
  writes_.submit_async<Appended>(
      [event = std::move(event)](Db& db) { return append_event(db, event); }, std::move(done),
      GroupCommit::WhenFull::fail_busy);
}

Result<std::vector<Delivery>> SqliteStore::claim_due(std::int64_t now_ms, std::size_t limit,
                                                     std::string_view owner,
                                                     std::int64_t lease_ms) {
  return writes_.submit<std::vector<Delivery>>(
      [&](Db& db) { return claim_due_deliveries(db, now_ms, limit, owner, lease_ms); },
      GroupCommit::WhenFull::wait);
}

Result<bool> SqliteStore::finish(const Finished& result, std::string_view owner) {
  return writes_.submit<bool>([&](Db& db) { return finish_delivery(db, result, owner); },
                              GroupCommit::WhenFull::wait);
}

Result<bool> SqliteStore::put_setting(std::string_view key, std::string_view value) {
  return writes_.submit<bool>([&](Db& db) { return write_setting(db, key, value); },
                              GroupCommit::WhenFull::wait);
}

Result<bool> SqliteStore::replace_setting(std::string_view key,
                                          const std::optional<std::string>& expected,
                                          std::string_view value) {
  return writes_.submit<bool>(
      [&](Db& db) { return replace_setting_value(db, key, expected, value); },
      GroupCommit::WhenFull::wait);
}

Result<std::int64_t> SqliteStore::requeue(const Requeue& which, std::int64_t now_ms) {
  return writes_.submit<std::int64_t>([&](Db& db) { return requeue_deliveries(db, which, now_ms); },
                                      GroupCommit::WhenFull::wait);
}

Result<bool> SqliteStore::postpone(std::int64_t delivery_id, std::string_view owner,
                                   std::int64_t due_ms) {
  return writes_.submit<bool>(
      [&](Db& db) { return postpone_delivery(db, delivery_id, owner, due_ms); },
      GroupCommit::WhenFull::wait);
}

Result<std::int64_t> SqliteStore::prune_dedupe(std::int64_t now_ms, std::size_t limit) {
  return writes_.submit<std::int64_t>(
      [&](Db& db) { return prune_dedupe_windows(db, now_ms, limit); }, GroupCommit::WhenFull::wait);
}

Result<std::int64_t> SqliteStore::reserve_slot(std::string_view key, std::int64_t interval_ms,
                                               std::int64_t now_ms) {
  return writes_.submit<std::int64_t>(
      [&](Db& db) { return reserve_rate_slot(db, key, interval_ms, now_ms); },
      GroupCommit::WhenFull::wait);
}

Result<bool> SqliteStore::put_record(const Record& record, std::int64_t expected_version) {
  return writes_.submit<bool>([&](Db& db) { return write_record(db, record, expected_version); },
                              GroupCommit::WhenFull::wait);
}

Result<bool> SqliteStore::delete_record(std::string_view kind, std::string_view id) {
  return writes_.submit<bool>([&](Db& db) { return remove_record(db, kind, id); },
                              GroupCommit::WhenFull::wait);
}

Result<std::vector<Event>> SqliteStore::events_after(std::string_view source, std::int64_t after,
                                                     std::size_t limit) {
  std::lock_guard lock(read_mutex_);
  return read_events_after(reader_, source, after, limit);
}

Result<std::vector<Attempt>> SqliteStore::attempts(std::int64_t delivery_id) {
  std::lock_guard lock(read_mutex_);
  return read_attempts(reader_, delivery_id);
}

Result<Counts> SqliteStore::counts() {
  std::lock_guard lock(read_mutex_);
  return read_counts(reader_);
}

Result<std::optional<std::string>> SqliteStore::setting(std::string_view key) {
  std::lock_guard lock(read_mutex_);
  return read_setting(reader_, key);
}

Result<std::optional<Event>> SqliteStore::event(std::int64_t seq) {
  std::lock_guard lock(read_mutex_);
  return read_event(reader_, seq);
}

Result<std::vector<DeliveryState>> SqliteStore::deliveries(std::int64_t event_seq) {
  std::lock_guard lock(read_mutex_);
  return read_deliveries(reader_, event_seq);
}

Result<std::optional<Record>> SqliteStore::record(std::string_view kind, std::string_view id) {
  std::lock_guard lock(read_mutex_);
  return read_record(reader_, kind, id);
}

Result<std::vector<Record>> SqliteStore::records(std::string_view kind, std::string_view owner,
                                                 std::string_view after_id, std::size_t limit) {
  std::lock_guard lock(read_mutex_);
  return read_records(reader_, kind, owner, after_id, limit);
}

}  // namespace hookgate::store::sqlite
