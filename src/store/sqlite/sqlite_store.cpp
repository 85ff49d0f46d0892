// SqliteStore: opening the file with the durability settings, and routing each call to the
// writer thread or the read connection.
#include "store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

#include <memory>
#include <utility>

#include "store/sqlite/claims.hpp"
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
  // A 16 MiB page cache (default 2 MiB): replay keys are random, so each insert lands on its own
  // leaf of the de-duplication B-tree; kept in memory, those leaves are not read back per insert.
  for (const char* pragma :
       {"PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON", "PRAGMA cache_size = -16384"}) {
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

std::shared_ptr<WalSync> wal_sync_of(const Db& writer, WalSync::SyncFile sync_file) {
  // SQLite's own name for the file: absolute, whatever path the configuration gave.
  const char* name = sqlite3_db_filename(writer.handle(), "main");
  return std::make_shared<WalSync>(name != nullptr ? name : "", std::move(sync_file));
}

Result<std::int64_t> last_seq(Db& db) {
  auto select = db.prepare("SELECT coalesce(max(seq), 0) FROM events");
  if (!select) return Error{select.error()};
  auto row = select->step();
  if (!row) return Error{row.error()};
  return *row ? select->column_int64(0) : 0;
}

// SQLite says "database or disk is full" (SQLITE_FULL) when a write meets ENOSPC or the size
// limit. It rolled the write back and nothing is stuck: the same append succeeds once space
// returns, so the caller is told to come back later (503) rather than that the store failed.
// Only a failed fdatasync is sticky (see WalSync); a write() refused for space loses nothing
// already acknowledged.
std::string lease_lost(std::int64_t delivery_id, std::string_view owner) {
  return "lease lost: delivery " + std::to_string(delivery_id) + " is not leased to " +
         std::string(owner);
}

Error retry_later_if_full(Error error) {
  if (error.message.find(sqlite3_errstr(SQLITE_FULL)) == std::string::npos) return error;
  if (error.message.starts_with(kBusy)) return error;
  return Error{std::string(kBusy) + " the store's disk is full (" + error.message + ")"};
}

}  // namespace

Result<std::unique_ptr<Store>> SqliteStore::open(const std::string& path,
                                                 const StoreOptions& options) {
  auto opened = open(path, options, WalSync::fdatasync_file);
  if (!opened) return Error{opened.error()};
  return std::unique_ptr<Store>(std::move(opened).value());
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       const StoreOptions& options,
                                                       WalSync::SyncFile sync_file) {
  if (options.max_pending_writes == 0) return Error{"max_pending_writes must be at least 1"};
  auto writer = open_writer(path);
  if (!writer) return Error{writer.error()};
  auto reader = open_reader(path);
  if (!reader) return Error{reader.error()};
  try {
    auto wal = wal_sync_of(*writer, std::move(sync_file));
    // What an earlier process committed may still sit unsynced in the page cache (it was killed
    // between its commit and its sync): sync it before readers are shown any of it.
    if (auto synced = wal->sync(); !synced) return Error{path + ": " + synced.error()};
    auto seq = last_seq(*writer);
    if (!seq) return Error{path + ": " + seq.error()};
    return std::unique_ptr<SqliteStore>(new SqliteStore(
        std::move(writer).value(), std::move(reader).value(), options.max_pending_writes,
        [wal] { return wal->sync(); }, *seq));
  } catch (const std::exception& e) {
    return Error{path + ": cannot start the store: " + e.what()};
  }
}

SqliteStore::SqliteStore(Db writer, Db reader, std::size_t max_pending_writes,
                         GroupCommit::Durable durable, std::int64_t durable_seq)
    : reader_(std::move(reader)),
      writes_(std::move(writer), max_pending_writes, std::move(durable)) {
  durable_.advance(durable_seq);
}

void SqliteStore::append_async(NewEvent event, AppendDone done) {
  // The answer comes on the sync thread once the WAL sync covering the commit succeeded: only
  // then may readers see the seq. Seqs are assigned in commit order by the one writer, and each
  // sync covers every commit before it, so every seq below a durable one is durable too.
  writes_.submit_async<Appended>(
      [event = std::move(event)](Db& db) { return append_event(db, event); },
      [this, done = std::move(done)](Result<Appended> appended) {
        if (appended) {
          durable_.advance(appended->seq);
        } else {
          appended = retry_later_if_full(Error{appended.error()});
        }
        if (done) done(std::move(appended));
      },
      GroupCommit::WhenFull::fail_busy);
}

std::int64_t SqliteStore::durable_seq() {
  return durable_.get();
}

void SqliteStore::on_durable(DurableListener listener) {
  durable_.listen(std::move(listener));
}

Result<Pruned> SqliteStore::prune_events(std::int64_t before_ms, std::int64_t now_ms,
                                         std::int64_t after_seq, std::size_t limit) {
  return writes_.submit<Pruned>(
      [&](Db& db) { return prune_finished_events(db, before_ms, now_ms, after_seq, limit); },
      GroupCommit::WhenFull::wait);
}

Result<Claimed> SqliteStore::claim(const ClaimRequest& request) {
  // A lease lost in a power cut only means the delivery is claimed and sent again, which
  // at-least-once allows: the claim is answered at its commit, not after a sync of its own, so a
  // claim-send-record cycle pays for one sync (the record's), not two.
  return writes_.submit<Claimed>(
      [&](Db& db) { return claim_deliveries(db, request, durable_.get(), claim_cursor_); },
      GroupCommit::WhenFull::wait, GroupCommit::Sync::commit_only);
}

Result<bool> SqliteStore::finish(const Finished& result, std::string_view owner) {
  auto finished = writes_.submit<bool>([&](Db& db) { return finish_delivery(db, result, owner); },
                                       GroupCommit::WhenFull::wait);
  if (finished && !*finished) return Error{lease_lost(result.attempt.delivery_id, owner)};
  return finished;
}

Result<std::vector<bool>> SqliteStore::finish_many(const std::vector<Finished>& results,
                                                   std::string_view owner) {
  // One job: the whole batch is one transaction and one sync, and a lost lease is a false for
  // its item rather than a failed job (which would roll the batch back).
  return writes_.submit<std::vector<bool>>(
      [&](Db& db) { return finish_deliveries(db, results, owner); }, GroupCommit::WhenFull::wait);
}

Result<std::vector<bool>> SqliteStore::postpone_many(const std::vector<Postponement>& items,
                                                     std::string_view owner) {
  return writes_.submit<std::vector<bool>>(
      [&](Db& db) { return postpone_deliveries(db, items, owner); }, GroupCommit::WhenFull::wait);
}

void SqliteStore::on_remote_append(RemoteListener /*listener*/) {
  // One process owns the file: there is no other node to hear from.
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

Result<std::int64_t> SqliteStore::bring_forward(std::string_view destination, std::int64_t up_to_ms,
                                                std::int64_t now_ms, std::size_t limit) {
  return writes_.submit<std::int64_t>(
      [&](Db& db) { return bring_forward_deliveries(db, destination, up_to_ms, now_ms, limit); },
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
                                               std::int64_t burst, std::int64_t now_ms) {
  return writes_.submit<std::int64_t>(
      [&](Db& db) { return reserve_rate_slot(db, key, interval_ms, burst, now_ms); },
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
  const std::int64_t durable = durable_.get();
  std::lock_guard lock(read_mutex_);
  return read_events_after(reader_, source, after, durable, limit);
}

Result<std::vector<Attempt>> SqliteStore::attempts(std::int64_t delivery_id) {
  std::lock_guard lock(read_mutex_);
  return read_attempts(reader_, delivery_id);
}

Result<Counts> SqliteStore::counts() {
  std::lock_guard lock(read_mutex_);
  return read_counts(reader_);
}

Result<std::optional<std::int64_t>> SqliteStore::records_generation(std::string_view kind,
                                                                    std::string_view owner) {
  std::lock_guard lock(read_mutex_);
  return read_generation(reader_, kind, owner);
}

Result<std::optional<std::string>> SqliteStore::setting(std::string_view key) {
  std::lock_guard lock(read_mutex_);
  return read_setting(reader_, key);
}

Result<std::optional<Event>> SqliteStore::event(std::int64_t seq) {
  if (seq > durable_.get()) return std::optional<Event>();
  std::lock_guard lock(read_mutex_);
  return read_event(reader_, seq);
}

Result<std::vector<DeliveryState>> SqliteStore::deliveries(std::int64_t event_seq) {
  if (event_seq > durable_.get()) return std::vector<DeliveryState>();
  std::lock_guard lock(read_mutex_);
  return read_deliveries(reader_, event_seq);
}

Result<std::optional<Event>> SqliteStore::event_by_public_id(std::string_view source,
                                                             std::string_view public_id) {
  const std::int64_t durable = durable_.get();
  std::lock_guard lock(read_mutex_);
  return read_event_by_public_id(reader_, source, public_id, durable);
}

Result<std::vector<Event>> SqliteStore::events_before(const EventPage& page) {
  const std::int64_t durable = durable_.get();
  std::lock_guard lock(read_mutex_);
  return read_events_before(reader_, page, durable);
}

Result<std::vector<DestinationDelivery>> SqliteStore::deliveries_to(std::string_view destination,
                                                                    std::int64_t before_seq,
                                                                    std::size_t limit) {
  const std::int64_t durable = durable_.get();
  std::lock_guard lock(read_mutex_);
  return read_deliveries_to(reader_, destination, before_seq, durable, limit);
}

Result<std::vector<DestinationAttempt>> SqliteStore::attempts_to(std::string_view destination,
                                                                 std::int64_t before_seq,
                                                                 int before_number,
                                                                 std::size_t limit) {
  std::lock_guard lock(read_mutex_);
  return read_attempts_to(reader_, destination, before_seq, before_number, limit);
}

Result<DestinationStats> SqliteStore::destination_stats(std::string_view destination,
                                                        std::int64_t since_ms,
                                                        std::int64_t until_ms,
                                                        std::int64_t now_ms) {
  std::lock_guard lock(read_mutex_);
  return read_destination_stats(reader_, destination, since_ms, until_ms, now_ms);
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
