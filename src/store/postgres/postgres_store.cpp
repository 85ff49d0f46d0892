// PostgresStore: connecting and migrating, and routing each call to the append writer or to a
// pooled connection.
#include "store/postgres/postgres_store.hpp"

#include <utility>

#include "store/postgres/claims.hpp"
#include "store/postgres/migrations.hpp"
#include "store/postgres/pg_url.hpp"
#include "store/postgres/reads.hpp"
#include "store/postgres/records.hpp"
#include "store/postgres/retention.hpp"
#include "store/postgres/schedule.hpp"
#include "store/postgres/writes.hpp"

namespace hookgate::store::postgres {
namespace {

// Enough for the dispatcher, the pull API and the management API to run side by side, small
// enough that many nodes fit in max_connections.
constexpr std::size_t kPoolSize = 4;

}  // namespace

Result<std::unique_ptr<Store>> PostgresStore::open(const std::string& url,
                                                   const StoreOptions& options) {
  if (options.max_pending_writes == 0) return Error{"max_pending_writes must be at least 1"};
  auto pooled = Conn::open(url);
  if (!pooled) return Error{pooled.error()};
  if (auto migrated = migrate(*pooled); !migrated) {
    return Error{redact_url(url) + ": " + scrub_password(migrated.error(), url)};
  }
  // Every seq up to the last visible one is committed, hence durable, and no lower one can appear
  // later (the append lock makes seqs visible in order).
  auto last = pooled->exec("SELECT coalesce(max(seq), 0)::int8 FROM events");
  if (!last) return Error{redact_url(url) + ": " + scrub_password(last.error(), url)};
  const std::int64_t durable_seq = last->int64(0, 0);
  // The schema the tables are in names the channel: nodes sharing it hear each other.
  auto schema = pooled->exec("SELECT coalesce(current_schema()::text, '')");
  if (!schema) return Error{redact_url(url) + ": " + scrub_password(schema.error(), url)};
  auto channel = notify_channel(schema->bytes(0, 0));
  if (!channel) return Error{channel.error()};
  auto writer = Conn::open(url);
  if (!writer) return Error{writer.error()};
  auto listening = Conn::open(url);
  if (!listening) return Error{listening.error()};
  try {
    auto store = std::unique_ptr<PostgresStore>(new PostgresStore(
        url, std::move(pooled).value(), std::move(writer).value(), std::move(listening).value(),
        std::move(channel).value(), options.max_pending_writes));
    store->durable_.advance(durable_seq);
    return std::unique_ptr<Store>(std::move(store));
  } catch (const std::exception& e) {
    return Error{redact_url(url) + ": cannot start the store: " + e.what()};
  }
}

PostgresStore::PostgresStore(const std::string& url, Conn pooled, Conn writer, Conn listening,
                             NotifyChannel channel, std::size_t max_pending_writes)
    : channel_(std::move(channel)),
      pool_(url, std::move(pooled), kPoolSize),
      listener_(std::move(listening), channel_),
      appends_(std::move(writer), max_pending_writes, channel_) {}

void PostgresStore::append_async(NewEvent event, AppendDone done) {
  AppendDone noted;
  try {
    noted = [this, done](Result<Appended> appended) {
      if (appended) durable_.advance(appended->seq);
      if (done) done(std::move(appended));
    };
  } catch (const std::exception& e) {
    try {
      if (done) done(Error{std::string("store write failed: ") + e.what()});
    } catch (...) {
      // The callback's own failure is its own; the append was refused either way.
    }
    return;
  }
  appends_.append_async(std::move(event), std::move(noted));
}

std::int64_t PostgresStore::durable_seq() {
  return durable_.get();
}

void PostgresStore::on_durable(DurableListener listener) {
  durable_.listen(std::move(listener));
}

Result<Pruned> PostgresStore::prune_events(std::int64_t before_ms, std::int64_t now_ms,
                                           std::int64_t after_seq, std::size_t limit) {
  return pool_.transaction<Pruned>(
      [&](Conn& conn) { return prune_finished_events(conn, before_ms, now_ms, after_seq, limit); });
}

Result<Claimed> PostgresStore::claim(const ClaimRequest& request) {
  // As on SQLite, a claim writes only leases: one a server crash takes back means the delivery
  // is claimed and sent again, which at-least-once allows. Its commit does not wait for the WAL
  // flush (the records after it do), so a claim-send-record cycle waits for one flush, not two.
  // Every event a claim can see was committed synchronously, so none is sent before it is
  // durable.
  return pool_.transaction<Claimed>([&](Conn& conn) -> Result<Claimed> {
    if (auto set = conn.run("SET LOCAL synchronous_commit = off"); !set) return Error{set.error()};
    return claim_deliveries(conn, request, claim_cursor_);
  });
}

Result<bool> PostgresStore::finish(const Finished& result, std::string_view owner) {
  return pool_.transaction<bool>([&](Conn& conn) { return finish_delivery(conn, result, owner); });
}

Result<std::vector<bool>> PostgresStore::finish_many(const std::vector<Finished>& results,
                                                     std::string_view owner) {
  return pool_.transaction<std::vector<bool>>(
      [&](Conn& conn) { return finish_deliveries(conn, results, owner); });
}

Result<std::vector<bool>> PostgresStore::postpone_many(const std::vector<Postponement>& items,
                                                       std::string_view owner) {
  return pool_.transaction<std::vector<bool>>(
      [&](Conn& conn) { return postpone_deliveries(conn, items, owner); });
}

void PostgresStore::on_remote_append(RemoteListener listener) {
  listener_.listen(std::move(listener));
}

Result<bool> PostgresStore::put_setting(std::string_view key, std::string_view value) {
  return pool_.transaction<bool>([&](Conn& conn) { return write_setting(conn, key, value); });
}

Result<bool> PostgresStore::replace_setting(std::string_view key,
                                            const std::optional<std::string>& expected,
                                            std::string_view value) {
  return pool_.transaction<bool>(
      [&](Conn& conn) { return replace_setting_value(conn, key, expected, value); });
}

Result<std::int64_t> PostgresStore::requeue(const Requeue& which, std::int64_t now_ms) {
  // Deliveries due again wake the other nodes' claimers as an append would (seq 0, no source).
  const std::string notice = append_payload(channel_.nonce, 0, true, "");
  return pool_.transaction<std::int64_t>([&](Conn& conn) -> Result<std::int64_t> {
    auto moved = requeue_deliveries(conn, which, now_ms);
    if (!moved || *moved == 0) return moved;
    auto sent = conn.exec("SELECT pg_notify($1, $2)", Params().text(channel_.channel).text(notice));
    if (!sent) return Error{sent.error()};
    return moved;
  });
}

Result<std::int64_t> PostgresStore::bring_forward(std::string_view destination,
                                                  std::int64_t up_to_ms, std::int64_t now_ms,
                                                  std::size_t limit) {
  return pool_.transaction<std::int64_t>([&](Conn& conn) {
    return bring_forward_deliveries(conn, destination, up_to_ms, now_ms, limit);
  });
}

Result<bool> PostgresStore::postpone(std::int64_t delivery_id, std::string_view owner,
                                     std::int64_t due_ms) {
  return pool_.transaction<bool>(
      [&](Conn& conn) { return postpone_delivery(conn, delivery_id, owner, due_ms); });
}

Result<std::int64_t> PostgresStore::prune_dedupe(std::int64_t now_ms, std::size_t limit) {
  return pool_.transaction<std::int64_t>(
      [&](Conn& conn) { return prune_dedupe_windows(conn, now_ms, limit); });
}

Result<std::int64_t> PostgresStore::reserve_slot(std::string_view key, std::int64_t interval_ms,
                                                 std::int64_t burst, std::int64_t now_ms) {
  return pool_.transaction<std::int64_t>(
      [&](Conn& conn) { return reserve_rate_slot(conn, key, interval_ms, burst, now_ms); });
}

Result<bool> PostgresStore::put_record(const Record& record, std::int64_t expected_version) {
  return pool_.transaction<bool>(
      [&](Conn& conn) { return write_record(conn, record, expected_version); });
}

Result<bool> PostgresStore::delete_record(std::string_view kind, std::string_view id) {
  return pool_.transaction<bool>([&](Conn& conn) { return remove_record(conn, kind, id); });
}

Result<std::vector<Event>> PostgresStore::events_after(std::string_view source, std::int64_t after,
                                                       std::size_t limit) {
  return pool_.read<std::vector<Event>>(
      [&](Conn& conn) { return read_events_after(conn, source, after, limit); });
}

Result<std::optional<Event>> PostgresStore::event(std::int64_t seq) {
  return pool_.read<std::optional<Event>>([&](Conn& conn) { return read_event(conn, seq); });
}

Result<std::vector<DeliveryState>> PostgresStore::deliveries(std::int64_t event_seq) {
  return pool_.read<std::vector<DeliveryState>>(
      [&](Conn& conn) { return read_deliveries(conn, event_seq); });
}

Result<std::optional<Event>> PostgresStore::event_by_public_id(std::string_view source,
                                                               std::string_view public_id) {
  return pool_.read<std::optional<Event>>(
      [&](Conn& conn) { return read_event_by_public_id(conn, source, public_id); });
}

Result<std::vector<Event>> PostgresStore::events_before(const EventPage& page) {
  return pool_.read<std::vector<Event>>([&](Conn& conn) { return read_events_before(conn, page); });
}

Result<std::vector<DestinationDelivery>> PostgresStore::deliveries_to(std::string_view destination,
                                                                      std::int64_t before_seq,
                                                                      std::size_t limit) {
  return pool_.read<std::vector<DestinationDelivery>>(
      [&](Conn& conn) { return read_deliveries_to(conn, destination, before_seq, limit); });
}

Result<std::vector<DestinationAttempt>> PostgresStore::attempts_to(std::string_view destination,
                                                                   std::int64_t before_seq,
                                                                   int before_number,
                                                                   std::size_t limit) {
  return pool_.read<std::vector<DestinationAttempt>>([&](Conn& conn) {
    return read_attempts_to(conn, destination, before_seq, before_number, limit);
  });
}

Result<DestinationStats> PostgresStore::destination_stats(std::string_view destination,
                                                          std::int64_t since_ms,
                                                          std::int64_t until_ms,
                                                          std::int64_t now_ms) {
  return pool_.read<DestinationStats>([&](Conn& conn) {
    return read_destination_stats(conn, destination, since_ms, until_ms, now_ms);
  });
}

Result<std::vector<Attempt>> PostgresStore::attempts(std::int64_t delivery_id) {
  return pool_.read<std::vector<Attempt>>(
      [&](Conn& conn) { return read_attempts(conn, delivery_id); });
}

Result<Counts> PostgresStore::counts() {
  return pool_.read<Counts>([&](Conn& conn) { return read_counts(conn); });
}

Result<std::optional<std::int64_t>> PostgresStore::records_generation(std::string_view kind,
                                                                      std::string_view owner) {
  return pool_.read<std::optional<std::int64_t>>(
      [&](Conn& conn) { return read_generation(conn, kind, owner); });
}

Result<std::optional<std::string>> PostgresStore::setting(std::string_view key) {
  return pool_.read<std::optional<std::string>>(
      [&](Conn& conn) { return read_setting(conn, key); });
}

Result<std::optional<Record>> PostgresStore::record(std::string_view kind, std::string_view id) {
  return pool_.read<std::optional<Record>>([&](Conn& conn) { return read_record(conn, kind, id); });
}

Result<std::vector<Record>> PostgresStore::records(std::string_view kind, std::string_view owner,
                                                   std::string_view after_id, std::size_t limit) {
  return pool_.read<std::vector<Record>>(
      [&](Conn& conn) { return read_records(conn, kind, owner, after_id, limit); });
}

}  // namespace hookgate::store::postgres
