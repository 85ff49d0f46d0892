// The SQLite backend of the Store contract (store.hpp): one database file in WAL mode.
//
// Every write goes through a GroupCommit: one writer thread, one transaction and one fsync per
// batch of concurrent writes, which also makes each compare-and-set (settings, records, rate
// slots) atomic. Readers are capped at the durable seq: the WAL sync that covers an append
// advances it before the append is answered. Only append() fails fast with kBusy when the write
// queue is full; the other writes wait for room instead, since their callers are few and bounded.
// Reads use a second connection under a mutex and see every write whose call has returned.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "hookgate/store/store.hpp"
#include "store/claim_window.hpp"
#include "store/durable_seq.hpp"
#include "store/sqlite/group_commit.hpp"
#include "store/sqlite/sqlite_db.hpp"
#include "store/sqlite/wal_sync.hpp"

namespace hookgate::store::sqlite {

class SqliteStore final : public Store {
 public:
  // Creates the file if needed and migrates its schema.
  static Result<std::unique_ptr<Store>> open(const std::string& path, const StoreOptions& options);
  // The same, making the WAL durable through sync_file instead of fdatasync (tests count syncs,
  // fail them, or route them through a VFS that simulates a power cut).
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                   const StoreOptions& options,
                                                   WalSync::SyncFile sync_file);

  void append_async(NewEvent event, AppendDone done) override;
  Result<std::vector<Event>> events_after(std::string_view source, std::int64_t after,
                                          std::size_t limit) override;
  Result<bool> finish(const Finished& result, std::string_view owner) override;
  Result<std::vector<Attempt>> attempts(std::int64_t delivery_id) override;
  Result<Counts> counts() override;
  Result<std::optional<std::string>> setting(std::string_view key) override;
  Result<bool> put_setting(std::string_view key, std::string_view value) override;
  Result<bool> replace_setting(std::string_view key, const std::optional<std::string>& expected,
                               std::string_view value) override;
  Result<std::optional<Event>> event(std::int64_t seq) override;
  Result<std::vector<DeliveryState>> deliveries(std::int64_t event_seq) override;
  Result<std::optional<Event>> event_by_public_id(std::string_view source,
                                                  std::string_view public_id) override;
  Result<std::vector<Event>> events_before(const EventPage& page) override;
  Result<std::vector<DestinationDelivery>> deliveries_to(std::string_view destination,
                                                         std::int64_t before_seq,
                                                         std::size_t limit) override;
  Result<std::vector<DestinationAttempt>> attempts_to(std::string_view destination,
                                                      std::int64_t before_seq, int before_number,
                                                      std::size_t limit) override;
  Result<DestinationStats> destination_stats(std::string_view destination, std::int64_t since_ms,
                                             std::int64_t until_ms, std::int64_t now_ms) override;
  Result<std::int64_t> requeue(const Requeue& which, std::int64_t now_ms) override;
  Result<std::int64_t> bring_forward(std::string_view destination, std::int64_t up_to_ms,
                                     std::int64_t now_ms, std::size_t limit) override;
  Result<bool> postpone(std::int64_t delivery_id, std::string_view owner,
                        std::int64_t due_ms) override;
  Result<std::int64_t> prune_dedupe(std::int64_t now_ms, std::size_t limit) override;
  Result<Pruned> prune_events(std::int64_t before_ms, std::int64_t now_ms, std::int64_t after_seq,
                              std::size_t limit) override;
  std::int64_t durable_seq() override;
  void on_durable(DurableListener listener) override;
  Result<std::int64_t> reserve_slot(std::string_view key, std::int64_t interval_ms,
                                    std::int64_t burst, std::int64_t now_ms) override;
  Result<Claimed> claim(const ClaimRequest& request) override;
  Result<std::vector<bool>> finish_many(const std::vector<Finished>& results,
                                        std::string_view owner) override;
  Result<std::vector<bool>> postpone_many(const std::vector<Postponement>& items,
                                          std::string_view owner) override;
  void on_remote_append(RemoteListener listener) override;
  Result<std::optional<Record>> record(std::string_view kind, std::string_view id) override;
  Result<std::vector<Record>> records(std::string_view kind, std::string_view owner,
                                      std::string_view after_id, std::size_t limit) override;
  Result<bool> put_record(const Record& record, std::int64_t expected_version) override;
  Result<bool> delete_record(std::string_view kind, std::string_view id) override;
  Result<std::optional<std::int64_t>> records_generation(std::string_view kind,
                                                         std::string_view owner) override;

 private:
  SqliteStore(Db writer, Db reader, std::size_t max_pending_writes, GroupCommit::Durable durable,
              std::int64_t durable_seq);

  DurableSeq durable_;
  ClaimCursor claim_cursor_;
  std::mutex read_mutex_;
  Db reader_;  // guarded by read_mutex_
  // Last: destroyed first, so queued writes are committed while the rest still exists.
  GroupCommit writes_;
};

}  // namespace hookgate::store::sqlite
