// The PostgreSQL backend of the Store contract (store.hpp), for gateways that run as several
// nodes on one database.
//
// Each store opens 1 + kPoolSize + 1 connections at most: the append writer's, the pool's (lazily)
// and the listener's (listener.hpp), which hears the other nodes' append and requeue notices.
//
// Appends go through an AppendWriter (group commit: one transaction and one WAL flush per batch
// of concurrent appends, fail-fast kBusy when its queue is full). Everything else borrows a
// connection from a small Pool; each write is one transaction, each read one statement. What
// must hold across nodes is left to PostgreSQL's row locks: claims use FOR UPDATE SKIP LOCKED,
// compare-and-set writes and rate slots are single conditional statements, de-duplication is an
// INSERT ... ON CONFLICT in the appending transaction.
#pragma once

#include <memory>
#include <string>

#include "hookgate/store/store.hpp"
#include "store/claim_window.hpp"
#include "store/durable_seq.hpp"
#include "store/postgres/append_writer.hpp"
#include "store/postgres/listener.hpp"
#include "store/postgres/notify.hpp"
#include "store/postgres/pool.hpp"

namespace hookgate::store::postgres {

class PostgresStore final : public Store {
 public:
  // Connects, migrates the schema and starts the append writer. Errors never carry the URL's
  // password.
  static Result<std::unique_ptr<Store>> open(const std::string& url, const StoreOptions& options);

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
  PostgresStore(const std::string& url, Conn pooled, Conn writer, Conn listening,
                NotifyChannel channel, std::size_t max_pending_writes);

  const NotifyChannel channel_;
  ClaimCursor claim_cursor_;
  Pool pool_;
  // This node's appends only: readers are not capped by it (a commit is durable, and the append
  // lock makes seqs visible in order on every node).
  DurableSeq durable_;
  NotificationListener listener_;
  // Last: destroyed first, so queued appends are committed while the rest still exists.
  AppendWriter appends_;
};

}  // namespace hookgate::store::postgres
