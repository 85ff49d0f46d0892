// SQL of the management records: lookups, pages by id, and version compare-and-set.
#include "store/sqlite/records.hpp"

#include <algorithm>
#include <utility>

namespace hookgate::store::sqlite {
namespace {

// Columns: kind, id, owner, body, version.
Record record_at(const Statement& row) {
  Record r;
  r.kind = row.column_text(0);
  r.id = row.column_text(1);
  r.owner = row.column_text(2);
  r.body = row.column_text(3);
  r.version = row.column_int64(4);
  return r;
}

}  // namespace

Result<std::optional<Record>> read_record(Db& db, std::string_view kind, std::string_view id) {
  auto select =
      db.prepare("SELECT kind, id, owner, body, version FROM records WHERE kind = ?1 AND id = ?2");
  if (!select) return Error{select.error()};
  select->bind_text(1, kind).bind_text(2, id);
  auto row = select->step();
  if (!row) return Error{row.error()};
  if (!*row) return std::optional<Record>();
  return std::optional<Record>(record_at(*select));
}

Result<std::vector<Record>> read_records(Db& db, std::string_view kind, std::string_view owner,
                                         std::string_view after_id, std::size_t limit) {
  std::vector<Record> records;
  if (limit == 0) return records;
  // Two texts rather than "(?2 = '' OR owner = ?2)", which would keep SQLite off the owner index.
  auto select = owner.empty()
                    ? db.prepare(
                          "SELECT kind, id, owner, body, version FROM records "
                          "WHERE kind = ?1 AND id > ?3 ORDER BY id LIMIT ?4")
                    : db.prepare(
                          "SELECT kind, id, owner, body, version FROM records "
                          "WHERE kind = ?1 AND owner = ?2 AND id > ?3 ORDER BY id LIMIT ?4");
  if (!select) return Error{select.error()};
  select->bind_text(1, kind)
      .bind_text(3, after_id)
      .bind_int64(4, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
  if (!owner.empty()) select->bind_text(2, owner);
  for (;;) {
    auto row = select->step();
    if (!row) return Error{row.error()};
    if (!*row) break;
    records.push_back(record_at(*select));
  }
  return records;
}

// Inside the writing transaction: moves owner's generation of kind (records_generation).
Result<bool> bump_generation(Db& db, std::string_view kind, std::string_view owner) {
  auto bump = db.cached(
      "INSERT INTO settings (key, value) VALUES (?1, '1') ON CONFLICT (key) "
      "DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)");
  if (!bump) return Error{bump.error()};
  const auto key = records_generation_key(kind, owner);
  (*bump)->bind_text(1, key);
  return (*bump)->run();
}

// The owner of a record as this transaction sees it (nullopt: no such record).
Result<std::optional<std::string>> owner_of(Db& db, std::string_view kind, std::string_view id) {
  auto select = db.cached("SELECT owner FROM records WHERE kind = ?1 AND id = ?2");
  if (!select) return Error{select.error()};
  (*select)->bind_text(1, kind).bind_text(2, id);
  auto row = (*select)->step();
  if (!row) return Error{row.error()};
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>((*select)->column_text(0));
}

Result<bool> write_record(Db& db, const Record& record, std::int64_t expected_version) {
  // Runs in the group commit's transaction: the owner read here is the one the update replaces.
  std::optional<std::string> old_owner;
  if (expected_version != 0) {
    auto owner = owner_of(db, record.kind, record.id);
    if (!owner) return Error{owner.error()};
    old_owner = std::move(owner.value());
  }
  // A row comes back only when this call created or updated the record: the CAS outcome.
  auto write = expected_version == 0
                   ? db.cached(
                         "INSERT INTO records (kind, id, owner, body, version) "
                         "VALUES (?1, ?2, ?3, ?4, 1) "
                         "ON CONFLICT (kind, id) DO NOTHING RETURNING 1")
                   : db.cached(
                         "UPDATE records SET owner = ?3, body = ?4, version = ?5 + 1 "
                         "WHERE kind = ?1 AND id = ?2 AND version = ?5 RETURNING 1");
  if (!write) return Error{write.error()};
  (*write)
      ->bind_text(1, record.kind)
      .bind_text(2, record.id)
      .bind_text(3, record.owner)
      .bind_text(4, record.body);
  if (expected_version != 0) (*write)->bind_int64(5, expected_version);
  auto changed = (*write)->count_rows();
  if (!changed) return Error{changed.error()};
  if (*changed != 1) return false;
  if (auto bumped = bump_generation(db, record.kind, record.owner); !bumped) return bumped;
  if (old_owner && *old_owner != record.owner) {
    if (auto bumped = bump_generation(db, record.kind, *old_owner); !bumped) return bumped;
  }
  return true;
}

Result<bool> remove_record(Db& db, std::string_view kind, std::string_view id) {
  auto remove = db.cached("DELETE FROM records WHERE kind = ?1 AND id = ?2 RETURNING owner");
  if (!remove) return Error{remove.error()};
  (*remove)->bind_text(1, kind).bind_text(2, id);
  auto row = (*remove)->step();
  if (!row) return Error{row.error()};
  if (!*row) return false;
  const std::string owner = (*remove)->column_text(0);
  // Stepped to its end before the next statement: RETURNING rows are all produced up front, and
  // the loan's reset releases the statement.
  if (auto rest = (*remove)->step(); !rest) return Error{rest.error()};
  if (auto bumped = bump_generation(db, kind, owner); !bumped) return bumped;
  return true;
}

Result<std::optional<std::int64_t>> read_generation(Db& db, std::string_view kind,
                                                    std::string_view owner) {
  auto select = db.cached("SELECT CAST(value AS INTEGER) FROM settings WHERE key = ?1");
  if (!select) return Error{select.error()};
  const auto key = records_generation_key(kind, owner);
  (*select)->bind_text(1, key);
  auto row = (*select)->step();
  if (!row) return Error{row.error()};
  // Never written: generation 0, which no write leaves behind (the first one makes it 1).
  return std::optional<std::int64_t>(*row ? (*select)->column_int64(0) : 0);
}

}  // namespace hookgate::store::sqlite
