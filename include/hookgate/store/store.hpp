// Store: the durable event log and delivery queue, behind one interface that SQLite (default)
// and PostgreSQL implement. Both directions of the gateway use it: an inbound event forwarded to
// a service and a published message sent to a customer are both an event with deliveries.
//
// Contract, for every backend:
// - append_async() reports success only once the event and its deliveries are durable (fsync'd);
//   concurrent appends share one sync (group commit) and no thread waits per append. When the
//   write queue is full it fails fast with an error starting with kBusy instead of growing
//   memory: the caller answers 503 with Retry-After. append() is the same, blocking.
// - De-duplication: an append whose (source, dedupe_key) was stored before and has not expired
//   returns the first event's seq with duplicate = true and creates no deliveries.
// - claim_due() hands each due delivery to one claimer at a time, under a lease; a claimer that
//   dies loses its lease when it expires and the delivery becomes claimable again.
// - Readers never see an event before it is durable: events_after() and event() stop at
//   durable_seq(), so a seq a power cut could take back (and hand to another event) is never
//   passed by a pull cursor.
// - All methods are thread-safe. Times are unix milliseconds chosen by the caller (injected
//   clock), never read by the store.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/result.hpp"

namespace hookgate::store {

// Error messages of appends that may succeed if tried again later (the write queue is full, the
// disk is full) start with this, so callers can map them to 503 with Retry-After.
inline constexpr std::string_view kBusy = "busy:";

struct NewEvent {
  std::string source;      // inbound source name, or outbound application id
  std::string event_type;  // may be empty
  std::string dedupe_key;  // empty: never a duplicate
  std::int64_t dedupe_until_ms = 0;
  std::int64_t received_ms = 0;
  std::string headers;                    // JSON object of the request headers kept with the event
  std::string body;                       // raw bytes, stored and returned byte for byte
  std::vector<std::string> destinations;  // one delivery each, due at received_ms
  // The id the event is known by outside (a published message's msg_...), unique within source;
  // empty for events known by seq only (inbound). Never derived from seq.
  std::string public_id;
  std::string meta;  // JSON object of what the publisher keeps with it (channels, tags...); or ""
};

struct Appended {
  std::int64_t seq = 0;  // the event's position in the log (increasing; the pull cursor)
  bool duplicate = false;
  // Of the stored event (for a duplicate, of the first one): its public id and received time.
  std::string public_id;
  std::int64_t received_ms = 0;
};

struct Event {
  std::int64_t seq = 0;
  std::string source;
  std::string event_type;
  std::int64_t received_ms = 0;
  std::string headers;
  std::string body;
  std::string public_id;  // see NewEvent
  std::string meta;
};

struct Delivery {
  std::int64_t id = 0;
  Event event;
  std::string destination;
  int attempts = 0;  // attempts made before this claim
  std::int64_t lease_until_ms = 0;
  // The number of the attempt the latest requeue (resend, recover) asked for; 0: none.
  int manual_attempt = 0;
  // Whether the attempt this claim makes was asked for by an operator (its retries are not).
  [[nodiscard]] bool manual() const {
    return manual_attempt != 0 && manual_attempt == attempts + 1;
  }
};

struct Attempt {
  std::int64_t delivery_id = 0;
  int number = 0;  // 1-based
  std::int64_t started_ms = 0;
  std::int64_t duration_ms = 0;
  int status = 0;        // HTTP status or process exit code; 0 = no answer
  std::string error;     // empty on success
  std::string response;  // capped excerpt of what the destination answered
};

enum class Next { delivered, retry, give_up };

struct Finished {
  Attempt attempt;
  Next next = Next::delivered;
  std::int64_t retry_at_ms = 0;  // for Next::retry
};

// A delivery's current state, for the management API and resend.
struct DeliveryState {
  std::int64_t id = 0;
  std::int64_t event_seq = 0;
  std::string destination;
  std::string state;  // "pending", "delivered" or "failed" (given up)
  int attempts = 0;
  std::int64_t due_ms = 0;
  std::int64_t lease_until_ms = 0;  // 0: not leased (a leased pending delivery is being sent)
  // The number of the attempt the latest requeue (resend, recover) asked for; 0: none.
  int manual_attempt = 0;
};

// Newest first pages of one source's events (Store::events_before).
struct EventPage {
  std::string source;
  std::int64_t before_seq = 0;           // 0: from the newest
  std::int64_t since_ms = 0;             // received at or after; 0: no bound
  std::int64_t until_ms = 0;             // received before; 0: no bound
  std::vector<std::string> event_types;  // empty: any (at most kMaxEventTypesFilter)
  std::size_t limit = 0;
};
inline constexpr std::size_t kMaxEventTypesFilter = 64;

// One delivery to a destination with its event (Store::deliveries_to).
struct DestinationDelivery {
  DeliveryState delivery;
  Event event;
};

// One attempt of a delivery to a destination, with its delivery and event (the event's body is
// left empty: lists of attempts do not carry payloads).
struct DestinationAttempt {
  Attempt attempt;
  DeliveryState delivery;
  Event event;
};

// Deliveries to one destination by state (Store::destination_stats). sending: pending and leased
// (an attempt in flight).
struct DestinationStats {
  std::int64_t delivered = 0;
  std::int64_t pending = 0;
  std::int64_t sending = 0;
  std::int64_t failed = 0;
};

// Which deliveries requeue() sends again. Every set field must match.
struct Requeue {
  std::int64_t event_seq = 0;      // 0: any event
  std::string destination;         // empty: any destination
  std::int64_t since_ms = 0;       // only deliveries of events received at or after this time
  bool include_delivered = false;  // false: only failed (given up) deliveries
  std::int64_t until_ms = 0;       // only deliveries of events received before this time (0: any)
};

// A small versioned document of the management plane (an application, an endpoint, an API
// key), kept as JSON next to the columns it is looked up by. The engine owns the JSON shape;
// the store owns atomicity: put_record() is compare-and-set on version, so two nodes editing the
// same endpoint cannot silently overwrite each other.
struct Record {
  std::string kind;          // "app", "endpoint", "api_key", ...
  std::string id;            // unique within kind
  std::string owner;         // e.g. the application id of an endpoint; may be empty
  std::string body;          // JSON document
  std::int64_t version = 0;  // 1 once created, +1 per update
};

struct Counts {
  std::int64_t events = 0;
  std::int64_t pending = 0;  // deliveries not yet delivered nor given up
  std::int64_t delivered = 0;
  std::int64_t failed = 0;                 // given up
  std::int64_t oldest_pending_due_ms = 0;  // the earliest due time of a pending one; 0: none
};

// The outcome of append_async, called exactly once: on the store's writer thread after the
// commit (or its failure), or on the calling thread before append_async returns when the append
// is refused (queue full, store closing). It runs while other appends wait for the writer, so
// it must be quick (hand the answer to another thread); what it throws is swallowed.
using AppendDone = std::function<void(Result<Appended>)>;

// Told the new durable seq each time it advances, on the store's writer (or sync) thread, before
// the appends it covers are answered: it must be quick and must not call the store.
using DurableListener = std::function<void(std::int64_t durable_seq)>;

// One claim of due work (Store::claim).
struct ClaimRequest {
  std::int64_t now_ms = 0;
  std::size_t limit = 0;  // deliveries at most
  std::string owner;      // lease owner
  std::int64_t lease_ms = 0;
  // Deliveries of one destination this claim may take at most: room[destination] when listed,
  // default_room otherwise (0: none). A destination with no room is skipped inside the store's
  // query, so the due backlog of a destination at its concurrency (a hanging endpoint) is never
  // claimed only to be handed back, and cannot crowd other destinations out of a claim.
  // Destinations with due work are visited in turn (round-robin across claims), each giving its
  // oldest due deliveries up to its room, until the limit.
  std::map<std::string, std::size_t, std::less<>> room;
  std::size_t default_room = SIZE_MAX;
};

struct Claimed {
  std::vector<Delivery> deliveries;  // oldest due first
  // The earliest time at which a pending delivery not claimed now becomes claimable (its due
  // time, or the end of another claimer's lease); nullopt when nothing is pending. Deliveries
  // skipped for lack of room do not count (they are claimable as soon as room frees).
  std::optional<std::int64_t> next_due_ms;
};

// A claimed delivery given back without an attempt (Store::postpone_many).
struct Postponement {
  std::int64_t delivery_id = 0;
  std::int64_t due_ms = 0;
};

// Another node sharing the store appended an event (PostgreSQL LISTEN/NOTIFY).
struct RemoteAppend {
  std::int64_t seq = 0;
  std::string source;
  bool routed = false;  // the event queued deliveries
};
// Called on a store thread: must be quick and must not call the store.
using RemoteListener = std::function<void(const RemoteAppend&)>;

// The outcome of one prune_events() call.
struct Pruned {
  std::int64_t removed = 0;     // events deleted, with their deliveries and attempts
  std::int64_t next_after = 0;  // the after_seq of the next call
  bool more = false;            // false: nothing older than before_ms is left past next_after
};

class Store {
 public:
  virtual ~Store() = default;

  // Never throws: every failure, even out of memory, reaches done.
  virtual void append_async(NewEvent event, AppendDone done) = 0;
  // append_async, waiting for the outcome.
  Result<Appended> append(NewEvent event);

  // Events of source with after < seq <= durable_seq(), oldest first, at most limit.
  virtual Result<std::vector<Event>> events_after(std::string_view source, std::int64_t after,
                                                  std::size_t limit) = 0;

  // Due deliveries (due_ms <= now_ms, not leased or lease expired), handed over oldest due
  // first: claim() without room limits (a destination's turn may take up to the limit).
  Result<std::vector<Delivery>> claim_due(std::int64_t now_ms, std::size_t limit,
                                          std::string_view owner, std::int64_t lease_ms);

  // Records the attempt and moves the delivery on. Refused when owner no longer holds the lease
  // (it expired and another claimer took it): that claimer's result is the one that counts.
  virtual Result<bool> finish(const Finished& result, std::string_view owner) = 0;

  virtual Result<std::vector<Attempt>> attempts(std::int64_t delivery_id) = 0;
  virtual Result<Counts> counts() = 0;

  // Small durable settings (e.g. an Asana source's established secret).
  virtual Result<std::optional<std::string>> setting(std::string_view key) = 0;
  virtual Result<bool> put_setting(std::string_view key, std::string_view value) = 0;
  // Compare-and-set: writes value only if the setting currently equals expected (nullopt: does
  // not exist). false when another writer got there first. Used where two nodes may race (a
  // one-time establishment code must be consumed once).
  virtual Result<bool> replace_setting(std::string_view key,
                                       const std::optional<std::string>& expected,
                                       std::string_view value) = 0;

  // One event by seq (nullopt when there is none, or it is not durable yet).
  virtual Result<std::optional<Event>> event(std::int64_t seq) = 0;
  // The deliveries of one event, by id.
  virtual Result<std::vector<DeliveryState>> deliveries(std::int64_t event_seq) = 0;
  // Moves the matching deliveries back to pending, due at now_ms, attempts kept (so the record
  // of earlier attempts stays), the next attempt marked manual (DeliveryState::manual_attempt).
  // Returns how many moved. Deliveries pending already are untouched.
  virtual Result<std::int64_t> requeue(const Requeue& which, std::int64_t now_ms) = 0;
  // The event of source known by public_id (nullopt: none, or not durable yet).
  virtual Result<std::optional<Event>> event_by_public_id(std::string_view source,
                                                          std::string_view public_id) = 0;
  // Events of page.source with seq < page.before_seq (and <= durable_seq()), newest first.
  virtual Result<std::vector<Event>> events_before(const EventPage& page) = 0;
  // Deliveries to destination of events with seq < before_seq (0: any), newest event first.
  virtual Result<std::vector<DestinationDelivery>> deliveries_to(std::string_view destination,
                                                                 std::int64_t before_seq,
                                                                 std::size_t limit) = 0;
  // Attempts of deliveries to destination before (before_seq, before_number) in (event seq,
  // attempt number) order (before_seq 0: from the newest), newest first.
  virtual Result<std::vector<DestinationAttempt>> attempts_to(std::string_view destination,
                                                              std::int64_t before_seq,
                                                              int before_number,
                                                              std::size_t limit) = 0;
  // Deliveries to destination by state, of events received in [since_ms, until_ms) (0: no
  // bound); leased ones count as sending while their lease runs at now_ms.
  virtual Result<DestinationStats> destination_stats(std::string_view destination,
                                                     std::int64_t since_ms, std::int64_t until_ms,
                                                     std::int64_t now_ms) = 0;
  // Gives a claimed delivery back without an attempt (rate limit, open circuit): it becomes due
  // at due_ms. false when owner no longer holds the lease.
  virtual Result<bool> postpone(std::int64_t delivery_id, std::string_view owner,
                                std::int64_t due_ms) = 0;
  // Makes the unleased pending deliveries to destination that are due in (now_ms, up_to_ms] due
  // at now_ms, earliest due first, at most limit of them: a circuit closed before its cool-down
  // ended (an operator's trial succeeded), so what it held back until then flows again. Returns
  // how many moved.
  virtual Result<std::int64_t> bring_forward(std::string_view destination, std::int64_t up_to_ms,
                                             std::int64_t now_ms, std::size_t limit) = 0;

  // Forgets de-duplication windows that ended at or before now_ms, oldest first, at most limit
  // per call; returns how many. Called periodically, so the table holds the live windows only.
  virtual Result<std::int64_t> prune_dedupe(std::int64_t now_ms, std::size_t limit) = 0;

  // Retention: looks at up to limit events with seq > after_seq, in seq order, and deletes those
  // received before before_ms that nothing needs any more, with their deliveries and attempts.
  // An event is kept while one of its deliveries is pending or its de-duplication window is open
  // at now_ms (deleting it would let a replay in). One bounded transaction per call.
  virtual Result<Pruned> prune_events(std::int64_t before_ms, std::int64_t now_ms,
                                      std::int64_t after_seq, std::size_t limit) = 0;

  // The highest seq readers are shown. SQLite: advanced when the WAL sync covering the commit
  // completes. PostgreSQL: a commit is durable, and seqs become visible in order; this node's
  // appends advance it (other nodes' do not, so there it is a wake-up hint, not the cap).
  virtual std::int64_t durable_seq() = 0;
  // Replaces the listener told when durable_seq() advances (empty: none).
  virtual void on_durable(DurableListener listener) = 0;

  // A shared rate limiter (GCRA with tolerance (burst - 1) * interval_ms): reserves the next send
  // slot of key and returns when it starts (now_ms when free now). burst slots may start at once;
  // after them slots are interval_ms apart, so no window of interval_ms holds more than burst.
  // A slot is never in the past, so idle time builds no burst beyond burst. burst 1 (or less):
  // each slot at least interval_ms after the previous one. Shared by every node of one store, so
  // a per-endpoint rate holds across nodes.
  virtual Result<std::int64_t> reserve_slot(std::string_view key, std::int64_t interval_ms,
                                            std::int64_t burst, std::int64_t now_ms) = 0;

  // Batched forms of the delivery engine's writes: one transaction (SQLite: one group-commit
  // job; PostgreSQL: set-based statements) for many deliveries, so one delivery costs a fraction
  // of a sync. Same rules as claim_due / finish / postpone one by one; result[i] answers
  // items[i] (false: owner no longer holds that lease; the others are still applied).
  virtual Result<Claimed> claim(const ClaimRequest& request) = 0;
  virtual Result<std::vector<bool>> finish_many(const std::vector<Finished>& results,
                                                std::string_view owner) = 0;
  virtual Result<std::vector<bool>> postpone_many(const std::vector<Postponement>& items,
                                                  std::string_view owner) = 0;

  // Replaces the listener told of other nodes' appends (empty: none). SQLite has one node and
  // never calls it. PostgreSQL also tells it of another node's requeue (resend, recover) with
  // seq 0, an empty source and routed = true, and once with the same after its listening
  // connection came back from a break (notifications sent meanwhile are lost).
  virtual void on_remote_append(RemoteListener listener) = 0;

  // Management records (see Record).
  virtual Result<std::optional<Record>> record(std::string_view kind, std::string_view id) = 0;
  // Records of kind (of owner, unless owner is empty) with id > after_id, ordered by id.
  virtual Result<std::vector<Record>> records(std::string_view kind, std::string_view owner,
                                              std::string_view after_id, std::size_t limit) = 0;
  // expected_version 0: create (false if the id exists); otherwise update only if the stored
  // version equals expected_version (false on a conflict or when it is gone). The stored
  // version becomes expected_version + 1; record.version is ignored.
  virtual Result<bool> put_record(const Record& record, std::int64_t expected_version) = 0;
  virtual Result<bool> delete_record(std::string_view kind, std::string_view id) = 0;
  // The generation of owner's records of kind: moved by every put_record and delete_record that
  // changes one of them (both owners when an update moves a record), in the same transaction, on
  // whichever node writes. One point read: records read after seeing generation g are at least as
  // new as g, so a copy kept under g is current while the generation still reads g. nullopt: this
  // store keeps no generations, and nothing may be cached on them.
  virtual Result<std::optional<std::int64_t>> records_generation(std::string_view kind,
                                                                 std::string_view owner);
};

// The setting that holds records_generation(kind, owner) in the stores that keep one.
std::string records_generation_key(std::string_view kind, std::string_view owner);

struct StoreOptions {
  std::size_t max_pending_writes = 4096;  // queued appends beyond which append() is busy
};

// "sqlite://PATH" (":memory:" is refused: it would not be durable) or a PostgreSQL connection
// URL ("postgres://user@host:port/db" or "postgresql://...").
Result<std::unique_ptr<Store>> open_store(std::string_view url, const StoreOptions& options = {});

}  // namespace hookgate::store
