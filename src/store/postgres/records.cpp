// SQL of the management records on PostgreSQL: lookups, pages by id, and version
// compare-and-set. ids are bytea, so they order byte by byte as in SQLite.
#include "store/postgres/records.hpp"

#include <algorithm>

namespace hookgate::store::postgres {
namespace {

// Columns: kind, id, owner, body, version.
Record record_at(const Rows& rows, int r) {
  Record record;
  record.kind = rows.bytes(r, 0);
  record.id = rows.bytes(r, 1);
  record.owner = rows.bytes(r, 2);
  record.body = rows.bytes(r, 3);
  record.version = rows.int64(r, 4);
  return record;
}

}  // namespace

Result<std::optional<Record>> read_record(Conn& conn, std::string_view kind, std::string_view id) {
  auto rows =
      conn.exec("SELECT kind, id, owner, body, version FROM records WHERE kind = $1 AND id = $2",
                Params().bytes(kind).bytes(id));
  if (!rows) return Error{rows.error()};
  if (rows->size() == 0) return std::optional<Record>();
  return std::optional<Record>(record_at(*rows, 0));
}

Result<std::vector<Record>> read_records(Conn& conn, std::string_view kind, std::string_view owner,
                                         std::string_view after_id, std::size_t limit) {
  std::vector<Record> records;
  if (limit == 0) return records;
  const auto capped = static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX));
  // Two texts, so each is planned for its own index (primary key, or records_by_owner).
  auto rows = owner.empty() ? conn.exec(
                                  "SELECT kind, id, owner, body, version FROM records "
                                  "WHERE kind = $1 AND id > $2 ORDER BY id LIMIT $3",
                                  Params().bytes(kind).bytes(after_id).int64(capped))
                            : conn.exec(
                                  "SELECT kind, id, owner, body, version FROM records "
                                  "WHERE kind = $1 AND owner = $2 AND id > $3 ORDER BY id LIMIT $4",
                                  Params().bytes(kind).bytes(owner).bytes(after_id).int64(capped));
  if (!rows) return Error{rows.error()};
  records.reserve(static_cast<std::size_t>(rows->size()));
  for (int r = 0; r < rows->size(); ++r)
    records.push_back(record_at(*rows, r));
  return records;
}

// Inside the writing transaction: moves owner's generation of kind (records_generation). The
// upsert locks the setting's row until COMMIT, so concurrent writers of one owner each move it.
Result<bool> bump_generation(Conn& conn, std::string_view kind, std::string_view owner) {
  auto bumped = conn.exec(
      "INSERT INTO settings (key, value) VALUES ($1, convert_to('1', 'UTF8')) "
      "ON CONFLICT (key) DO UPDATE SET value = "
      "convert_to((convert_from(settings.value, 'UTF8')::int8 + 1)::text, 'UTF8')",
      Params().bytes(records_generation_key(kind, owner)));
  if (!bumped) return Error{bumped.error()};
  return true;
}

Result<bool> write_record(Conn& conn, const Record& record, std::int64_t expected_version) {
  std::optional<std::string> old_owner;
  if (expected_version != 0) {
    // Locked, so the owner this update replaces cannot change before it commits.
    auto owner = conn.exec("SELECT owner FROM records WHERE kind = $1 AND id = $2 FOR UPDATE",
                           Params().bytes(record.kind).bytes(record.id));
    if (!owner) return Error{owner.error()};
    if (owner->size() == 0) return false;
    old_owner = owner->bytes(0, 0);
  }
  // A concurrent writer of the same version waits for the first to commit, then re-checks the
  // version against the committed row (READ COMMITTED) and changes nothing.
  auto changed =
      expected_version == 0
          ? conn.exec(
                "INSERT INTO records (kind, id, owner, body, version) "
                "VALUES ($1, $2, $3, $4, 1) ON CONFLICT (kind, id) DO NOTHING",
                Params().bytes(record.kind).bytes(record.id).bytes(record.owner).bytes(record.body))
          : conn.exec(
                "UPDATE records SET owner = $3, body = $4, version = $5 + 1 "
                "WHERE kind = $1 AND id = $2 AND version = $5",
                Params()
                    .bytes(record.kind)
                    .bytes(record.id)
                    .bytes(record.owner)
                    .bytes(record.body)
                    .int64(expected_version));
  if (!changed) return Error{changed.error()};
  if (changed->affected() != 1) return false;
  if (auto bumped = bump_generation(conn, record.kind, record.owner); !bumped) return bumped;
  if (old_owner && *old_owner != record.owner) {
    if (auto bumped = bump_generation(conn, record.kind, *old_owner); !bumped) return bumped;
  }
  return true;
}

Result<bool> remove_record(Conn& conn, std::string_view kind, std::string_view id) {
  auto removed = conn.exec("DELETE FROM records WHERE kind = $1 AND id = $2 RETURNING owner",
                           Params().bytes(kind).bytes(id));
  if (!removed) return Error{removed.error()};
  if (removed->size() != 1) return false;
  if (auto bumped = bump_generation(conn, kind, removed->bytes(0, 0)); !bumped) return bumped;
  return true;
}

Result<std::optional<std::int64_t>> read_generation(Conn& conn, std::string_view kind,
                                                    std::string_view owner) {
  auto rows = conn.exec("SELECT convert_from(value, 'UTF8')::int8 FROM settings WHERE key = $1",
                        Params().bytes(records_generation_key(kind, owner)));
  if (!rows) return Error{rows.error()};
  // Never written: generation 0, which no write leaves behind (the first one makes it 1).
  return std::optional<std::int64_t>(rows->size() == 0 ? 0 : rows->int64(0, 0));
}

}  // namespace hookgate::store::postgres
