// The SQLite backend of the Store contract (store.hpp): one database file in WAL mode.
//
// Writes (append, claim_due, finish, put_setting) go through a GroupCommit: one writer thread,
// one transaction and one fsync per batch of concurrent writes. Only append() fails fast with
// kBusy when the write queue is full; the dispatcher's writes (claim_due, finish) and settings
// wait for room instead, since their callers are few and bounded. Reads use a second connection
// under a mutex and see every write whose call has returned.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "hookgate/store/store.hpp"
#include "store/sqlite/group_commit.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {

class SqliteStore final : public Store {
 public:
  // Creates the file if needed and migrates its schema.
  static Result<std::unique_ptr<Store>> open(const std::string& path, const StoreOptions& options);

  Result<Appended> append(NewEvent event) override;
  Result<std::vector<Event>> events_after(std::string_view source, std::int64_t after,
                                          std::size_t limit) override;
  Result<std::vector<Delivery>> claim_due(std::int64_t now_ms, std::size_t limit,
                                          std::string_view owner, std::int64_t lease_ms) override;
  Result<bool> finish(const Finished& result, std::string_view owner) override;
  Result<std::vector<Attempt>> attempts(std::int64_t delivery_id) override;
  Result<Counts> counts() override;
  Result<std::optional<std::string>> setting(std::string_view key) override;
  Result<bool> put_setting(std::string_view key, std::string_view value) override;

 private:
  SqliteStore(Db writer, Db reader, std::size_t max_pending_writes);

  std::mutex read_mutex_;
  Db reader_;  // guarded by read_mutex_
  // Last: destroyed first, so queued writes are committed while the rest still exists.
  GroupCommit writes_;
};

}  // namespace hookgate::store::sqlite
