// The SQLite C API behind Result: every failure is turned into an Error with SQLite's own message.
#include "store/sqlite/sqlite_db.hpp"

#include <sqlite3.h>

namespace hookgate::store::sqlite {
namespace {

// SQLite reads a null data pointer as SQL NULL; an empty value must stay an empty value.
const char* non_null(std::string_view value) {
  return value.data() != nullptr ? value.data() : "";
}

}  // namespace

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)),
      db_(other.db_),
      bind_error_(std::move(other.bind_error_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    bind_error_ = std::move(other.bind_error_);
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Error Statement::last_error(std::string_view what) const {
  return Error{std::string(what) + ": " + sqlite3_errmsg(db_)};
}

Statement& Statement::bind_int64(int index, std::int64_t value) {
  if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK && bind_error_.empty()) {
    bind_error_ = last_error("bind").message;
  }
  return *this;
}

Statement& Statement::bind_text(int index, std::string_view value) {
  if (sqlite3_bind_text64(stmt_, index, non_null(value), value.size(), SQLITE_STATIC,
                          SQLITE_UTF8) != SQLITE_OK &&
      bind_error_.empty()) {
    bind_error_ = last_error("bind").message;
  }
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view value) {
  if (sqlite3_bind_blob64(stmt_, index, non_null(value), value.size(), SQLITE_STATIC) !=
          SQLITE_OK &&
      bind_error_.empty()) {
    bind_error_ = last_error("bind").message;
  }
  return *this;
}

Statement& Statement::bind_null(int index) {
  if (sqlite3_bind_null(stmt_, index) != SQLITE_OK && bind_error_.empty()) {
    bind_error_ = last_error("bind").message;
  }
  return *this;
}

Result<bool> Statement::step() {
  if (!bind_error_.empty()) return Error{bind_error_};
  switch (sqlite3_step(stmt_)) {
    case SQLITE_ROW:
      return true;
    case SQLITE_DONE:
      return false;
    default:
      return last_error("step");
  }
}

Result<bool> Statement::run() {
  for (;;) {
    auto row = step();
    if (!row) return row;
    if (!*row) return true;
  }
}

Result<std::int64_t> Statement::count_rows() {
  std::int64_t rows = 0;
  for (;;) {
    auto row = step();
    if (!row) return Error{row.error()};
    if (!*row) return rows;
    ++rows;
  }
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

std::int64_t Statement::column_int64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

std::string Statement::column_text(int index) const {
  const auto* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return {};
  // Length after the pointer: asking for the pointer may convert the value first.
  return {reinterpret_cast<const char*>(text),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

std::string Statement::column_blob(int index) const {
  const auto* blob = sqlite3_column_blob(stmt_, index);
  if (blob == nullptr) return {};
  return {static_cast<const char*>(blob),
          static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

void Statement::reset() {
  bind_error_.clear();
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

void Db::Closer::operator()(sqlite3* db) const {
  sqlite3_close_v2(db);
}

Db::~Db() = default;

Result<Db> Db::open(const std::string& path, Mode mode) {
  // NOMUTEX: each connection is used by one thread at a time, the store serialises it.
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |=
      mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return Error{"cannot open " + path + ": " +
                 (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc))};
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Result<Statement> Db::prepare(std::string_view sql) {
  return prepare(sql, 0);
}

Result<Statement> Db::prepare(std::string_view sql, unsigned flags) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), flags, &stmt,
                         nullptr) != SQLITE_OK) {
    return Error{"prepare: " + std::string(sqlite3_errmsg(db_.get()))};
  }
  return Statement(stmt, db_.get());
}

Result<StatementRef> Db::cached(std::string_view sql) {
  auto found = cache_.find(std::string(sql));
  if (found == cache_.end()) {
    // PERSISTENT: tells SQLite the statement lives long, so it avoids its lookaside memory.
    auto prepared = prepare(sql, SQLITE_PREPARE_PERSISTENT);
    if (!prepared) return Error{prepared.error()};
    found = cache_.emplace(std::string(sql), std::move(prepared).value()).first;
  }
  return StatementRef(&found->second);
}

std::int64_t Db::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(db_.get());
}

Result<bool> Db::run(std::string_view sql) {
  auto statement = cached(sql);
  if (!statement) return Error{statement.error()};
  return (*statement)->run();
}

Result<bool> Db::exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    Error error{message != nullptr ? message : sqlite3_errmsg(db_.get())};
    sqlite3_free(message);
    return error;
  }
  return true;
}

Result<std::string> Db::query_text(std::string_view sql) {
  auto statement = prepare(sql);
  if (!statement) return Error{statement.error()};
  auto row = statement->step();
  if (!row) return Error{row.error()};
  if (!*row) return std::string();
  return statement->column_text(0);
}

bool Db::in_transaction() const {
  return sqlite3_get_autocommit(db_.get()) == 0;
}

}  // namespace hookgate::store::sqlite
