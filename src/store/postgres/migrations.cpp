// Versioned schema of the PostgreSQL store. A step is never edited once released: change the
// schema by appending a step, so every existing database walks the same path to the current one.
//
// Every string the caller hands in is bytea, as SQLite keeps it: bytes in, the same bytes out,
// whatever their encoding (a response excerpt cut mid-character, a NUL in a header), and bytea
// compares byte by byte, the order SQLite's BINARY collation gives to record ids. Only the
// store's own vocabulary (a delivery's state) is text.
#include "store/postgres/migrations.hpp"

#include <span>
#include <string>

namespace hookgate::store::postgres {
namespace {

struct Step {
  int version;
  const char* sql;
};

constexpr Step kSteps[] = {
    {1, R"sql(
CREATE TABLE events (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- a sequence: never reused
  source bytea NOT NULL,
  event_type bytea NOT NULL,
  received_ms bigint NOT NULL,
  headers bytea NOT NULL,
  body bytea NOT NULL
);
CREATE INDEX events_by_source ON events (source, seq);

CREATE TABLE dedupe (
  source bytea NOT NULL,
  key bytea NOT NULL,
  until_ms bigint NOT NULL,
  seq bigint REFERENCES events (seq),  -- NULL only inside the transaction that claims the key
  PRIMARY KEY (source, key)
);

CREATE TABLE deliveries (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_seq bigint NOT NULL REFERENCES events (seq),
  destination bytea NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  due_ms bigint NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  lease_owner bytea,
  lease_until_ms bigint
);
CREATE INDEX deliveries_due ON deliveries (state, due_ms, id);
CREATE INDEX deliveries_by_event ON deliveries (event_seq, id);

CREATE TABLE attempts (
  delivery_id bigint NOT NULL REFERENCES deliveries (id),
  number integer NOT NULL,
  started_ms bigint NOT NULL,
  duration_ms bigint NOT NULL,
  status integer NOT NULL,
  error bytea NOT NULL,
  response bytea NOT NULL,
  PRIMARY KEY (delivery_id, number)
);

CREATE TABLE settings (
  key bytea PRIMARY KEY,
  value bytea NOT NULL
);

CREATE TABLE records (
  kind bytea NOT NULL,
  id bytea NOT NULL,
  owner bytea NOT NULL,
  body bytea NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX records_by_owner ON records (kind, owner, id);

CREATE TABLE rate_slots (
  key bytea PRIMARY KEY,
  next_ms bigint NOT NULL
);
)sql"},
    {2, R"sql(
-- Expired de-duplication windows are pruned oldest first without scanning the live ones.
CREATE INDEX dedupe_expiry ON dedupe (until_ms);
)sql"},
    {3, R"sql(
-- Retention deletes an event with its de-duplication row, and the foreign key's check on
-- deleting an event looks for rows naming it: both find them by seq without a scan.
CREATE INDEX dedupe_by_seq ON dedupe (seq);
)sql"},
    {4, R"sql(
-- A claim's next due time looks at leased deliveries by the end of their lease; only leased
-- rows (the ones in flight) are in this index, so it stays small however long the queue.
CREATE INDEX deliveries_leased ON deliveries (lease_until_ms) WHERE lease_until_ms IS NOT NULL;
)sql"},
    {5, R"sql(
-- Published messages are known by a random public id (msg_...), never by seq; NULL for inbound
-- events. meta: what the publisher keeps with a message (channels, tags, eventId) as JSON.
ALTER TABLE events ADD COLUMN public_id bytea;
ALTER TABLE events ADD COLUMN meta bytea NOT NULL DEFAULT ''::bytea;
CREATE UNIQUE INDEX events_by_public_id ON events (source, public_id) WHERE public_id IS NOT NULL;
-- Messages published before ids were random get one now (random too; their order is seq's).
UPDATE events SET public_id = convert_to('msg_' || md5(random()::text || seq::text), 'UTF8')
  WHERE substring(source FROM 1 FOR 4) = 'app:'::bytea;
-- The attempt a resend or recover asked for (reported as manually triggered).
ALTER TABLE deliveries ADD COLUMN manual_attempt integer NOT NULL DEFAULT 0;
-- An endpoint's deliveries and attempts, newest message first, and its stats, without a scan.
CREATE INDEX deliveries_by_destination ON deliveries (destination, event_seq);
)sql"},
    {6, R"sql(
-- Claims visit the destinations with pending work in turn (a loose index scan of this index, one
-- probe per destination) and read each one's rows oldest due first, no further than its room: a
-- claim costs what it takes, never the backlog of a destination that has no room. Only pending
-- rows are in it, so delivered history does not slow the scan.
CREATE INDEX deliveries_pending_by_destination ON deliveries (destination, due_ms, id)
  WHERE state = 'pending';
)sql"},
};

// Any constant works as long as every node uses the same one; advisory locks are per database.
constexpr std::int64_t kMigrationLock = 0x686f6f6b67617465;  // "hookgate"

Result<bool> apply_pending(Conn& conn) {
  if (auto locked = conn.exec("SELECT pg_advisory_xact_lock($1)", Params().int64(kMigrationLock));
      !locked) {
    return Error{locked.error()};
  }
  if (auto created =
          conn.run("CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
      !created) {
    return created;
  }
  auto current = conn.exec("SELECT coalesce(max(version), 0)::int8 FROM schema_migrations");
  if (!current) return Error{current.error()};
  const std::int64_t version = current->int64(0, 0);
  if (version > latest_schema_version()) {
    return Error{"database schema version " + std::to_string(version) +
                 " is newer than this build understands (" +
                 std::to_string(latest_schema_version()) + ")"};
  }
  for (const Step& step : kSteps) {
    if (step.version <= version) continue;
    if (auto applied = conn.run(step.sql); !applied) {
      return Error{"schema migration " + std::to_string(step.version) + ": " + applied.error()};
    }
    if (auto noted = conn.exec("INSERT INTO schema_migrations (version) VALUES ($1::int4)",
                               Params().int64(step.version));
        !noted) {
      return Error{noted.error()};
    }
  }
  return true;
}

}  // namespace

int latest_schema_version() {
  return std::span(kSteps).back().version;
}

Result<bool> migrate(Conn& conn) {
  if (auto begun = conn.run("BEGIN"); !begun) return Error{"schema migration: " + begun.error()};
  auto applied = apply_pending(conn);
  if (!applied) {
    (void)conn.run("ROLLBACK");
    return applied;
  }
  if (auto committed = conn.run("COMMIT"); !committed) {
    return Error{"schema migration: " + committed.error()};
  }
  return true;
}

}  // namespace hookgate::store::postgres
