// Versioned schema of the SQLite store. A step is never edited once released: change the schema by
// appending a step, so every existing database walks the same path to the current version.
#include "store/sqlite/migrations.hpp"

#include <span>
#include <string>

namespace hookgate::store::sqlite {
namespace {

struct Step {
  int version;
  const char* sql;
};

constexpr Step kSteps[] = {
    {1, R"sql(
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: a seq is a pull cursor, never reused
  source TEXT NOT NULL,
  event_type TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  headers TEXT NOT NULL,
  body BLOB NOT NULL
);
CREATE INDEX events_by_source ON events (source, seq);

CREATE TABLE dedupe (
  source TEXT NOT NULL,
  key TEXT NOT NULL,
  until_ms INTEGER NOT NULL,
  seq INTEGER NOT NULL REFERENCES events (seq),
  PRIMARY KEY (source, key)
) WITHOUT ROWID;

CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY,
  event_seq INTEGER NOT NULL REFERENCES events (seq),
  destination TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  due_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until_ms INTEGER
);
CREATE INDEX deliveries_due ON deliveries (state, due_ms);

CREATE TABLE attempts (
  delivery_id INTEGER NOT NULL REFERENCES deliveries (id),
  number INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  status INTEGER NOT NULL,
  error TEXT NOT NULL,
  response TEXT NOT NULL,
  PRIMARY KEY (delivery_id, number)
) WITHOUT ROWID;

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql"},
    {2, R"sql(
-- Management records: a versioned JSON document per (kind, id), listed by owner.
CREATE TABLE records (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  owner TEXT NOT NULL,
  body TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX records_by_owner ON records (kind, owner, id);

-- The shared rate limiter: the next free send slot of each key (GCRA).
CREATE TABLE rate_slots (
  key TEXT PRIMARY KEY,
  next_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- An event's deliveries (management API, resend) without scanning the queue.
CREATE INDEX deliveries_by_event ON deliveries (event_seq);
)sql"},
    {3, R"sql(
-- Expired de-duplication windows are pruned oldest first without scanning the live ones.
CREATE INDEX dedupe_expiry ON dedupe (until_ms);
)sql"},
    {4, R"sql(
-- Retention deletes an event with its de-duplication row: found by seq without a scan.
CREATE INDEX dedupe_by_seq ON dedupe (seq);
)sql"},
    {5, R"sql(
-- A claim's next due time looks at leased deliveries by the end of their lease; only leased
-- rows (the ones in flight) are in this index, so it stays small however long the queue.
CREATE INDEX deliveries_leased ON deliveries (lease_until_ms) WHERE lease_until_ms IS NOT NULL;
)sql"},
    {6, R"sql(
-- Published messages are known by a random public id (msg_...), never by seq; NULL for inbound
-- events. meta: what the publisher keeps with a message (channels, tags, eventId) as JSON.
ALTER TABLE events ADD COLUMN public_id TEXT;
ALTER TABLE events ADD COLUMN meta TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX events_by_public_id ON events (source, public_id) WHERE public_id IS NOT NULL;
-- Messages published before ids were random get one now (random too; their order is seq's).
UPDATE events SET public_id = 'msg_' || lower(hex(randomblob(16))) WHERE source LIKE 'app:%';
-- The attempt a resend or recover asked for (reported as manually triggered).
ALTER TABLE deliveries ADD COLUMN manual_attempt INTEGER NOT NULL DEFAULT 0;
-- An endpoint's deliveries and attempts, newest message first, and its stats, without a scan.
CREATE INDEX deliveries_by_destination ON deliveries (destination, event_seq);
)sql"},
    {7, R"sql(
-- Claims visit the destinations with pending work in turn (a skip-scan of this index, one seek
-- per destination) and read each one's rows oldest due first, no further than its room: a claim
-- costs what it takes, never the backlog of a destination that has no room. Only pending rows are
-- in it, so delivered history does not slow the skip-scan.
CREATE INDEX deliveries_pending_by_destination ON deliveries (destination, due_ms)
  WHERE state = 'pending';
)sql"},
};

Result<int> user_version(Db& db) {
  auto statement = db.prepare("PRAGMA user_version");
  if (!statement) return Error{statement.error()};
  auto row = statement->step();
  if (!row) return Error{row.error()};
  return *row ? static_cast<int>(statement->column_int64(0)) : 0;
}

Result<bool> apply_pending(Db& db) {
  auto current = user_version(db);
  if (!current) return Error{current.error()};
  if (*current > latest_schema_version()) {
    return Error{"database schema version " + std::to_string(*current) +
                 " is newer than this build understands (" +
                 std::to_string(latest_schema_version()) + ")"};
  }
  for (const Step& step : kSteps) {
    if (step.version <= *current) continue;
    if (auto applied = db.exec(step.sql); !applied) {
      return Error{"schema migration " + std::to_string(step.version) + ": " + applied.error()};
    }
    // user_version moves inside the same transaction, so a failed step leaves it untouched.
    if (auto bumped = db.exec("PRAGMA user_version = " + std::to_string(step.version)); !bumped) {
      return bumped;
    }
  }
  return true;
}

}  // namespace

int latest_schema_version() {
  return std::span(kSteps).back().version;
}

Result<bool> migrate(Db& db) {
  // IMMEDIATE: two processes opening a new file at once must not both run step 1.
  if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) {
    return Error{"schema migration: " + begun.error()};
  }
  auto applied = apply_pending(db);
  if (!applied) {
    (void)db.exec("ROLLBACK");
    return applied;
  }
  if (auto committed = db.exec("COMMIT"); !committed) {
    (void)db.exec("ROLLBACK");
    return Error{"schema migration: " + committed.error()};
  }
  return true;
}

}  // namespace hookgate::store::sqlite
