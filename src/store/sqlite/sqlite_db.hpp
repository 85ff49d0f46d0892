// A thin RAII layer over the SQLite C API: connections, prepared statements and a per-connection
// statement cache. Failures come back as Error carrying sqlite3_errmsg; nothing here throws.
// A Db and its statements belong to one thread at a time (the caller serialises access).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "hookgate/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace hookgate::store::sqlite {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based. A failed bind is remembered and reported by the next step(), so call
  // sites can bind a row without checking each call. Text and blob bytes are not copied: they
  // must stay alive until reset().
  Statement& bind_int64(int index, std::int64_t value);
  Statement& bind_text(int index, std::string_view value);
  Statement& bind_blob(int index, std::string_view value);
  Statement& bind_null(int index);

  // true: a row is ready to read; false: the statement has finished.
  Result<bool> step();
  // Steps a statement that returns no rows to completion.
  Result<bool> run();
  // Steps to completion and counts the rows: for DML, RETURNING rows are the rows it changed.
  Result<std::int64_t> count_rows();

  [[nodiscard]] bool column_is_null(int index) const;
  [[nodiscard]] std::int64_t column_int64(int index) const;
  [[nodiscard]] std::string column_text(int index) const;
  [[nodiscard]] std::string column_blob(int index) const;

  // Ends the statement's read snapshot and forgets borrowed parameter buffers.
  void reset();

 private:
  Error last_error(std::string_view what) const;

  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  std::string bind_error_;
};

// A cached statement on loan: reset when the loan ends, so it never pins a read snapshot (which
// would hold back WAL checkpoints) or points at a caller's freed buffer.
class StatementRef {
 public:
  explicit StatementRef(Statement* statement) : statement_(statement) {}
  StatementRef(StatementRef&& other) noexcept
      : statement_(std::exchange(other.statement_, nullptr)) {}
  StatementRef& operator=(StatementRef&&) = delete;
  StatementRef(const StatementRef&) = delete;
  StatementRef& operator=(const StatementRef&) = delete;
  ~StatementRef() {
    if (statement_ != nullptr) statement_->reset();
  }

  Statement* operator->() const { return statement_; }
  Statement& operator*() const { return *statement_; }

 private:
  Statement* statement_;
};

class Db {
 public:
  enum class Mode { read_write_create, read_only };

  static Result<Db> open(const std::string& path, Mode mode);

  Db(Db&&) noexcept = default;
  Db& operator=(Db&&) noexcept = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  Result<Statement> prepare(std::string_view sql);
  // Prepared once per connection, then reused: for statements on hot paths.
  Result<StatementRef> cached(std::string_view sql);
  // Runs one cached statement that returns no rows (BEGIN, COMMIT, SAVEPOINT...).
  Result<bool> run(std::string_view sql);
  // Runs one or more statements that return no rows (schema scripts, pragmas, transactions).
  Result<bool> exec(const std::string& sql);
  // First column of the first row of a statement, as text (e.g. "PRAGMA journal_mode=WAL").
  Result<std::string> query_text(std::string_view sql);

  // The rowid of the last row inserted on this connection (sqlite3_last_insert_rowid): cheaper
  // than RETURNING, which makes SQLite build a temporary table per statement.
  [[nodiscard]] std::int64_t last_insert_rowid() const;

  // False once SQLite has rolled a transaction back by itself (it does on some I/O errors).
  [[nodiscard]] bool in_transaction() const;
  [[nodiscard]] sqlite3* handle() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  explicit Db(sqlite3* db) : db_(db) {}
  Result<Statement> prepare(std::string_view sql, unsigned flags);

  std::unique_ptr<sqlite3, Closer> db_;
  // Declared after db_ so the statements are finalised before the connection closes.
  std::unordered_map<std::string, Statement> cache_;
};

}  // namespace hookgate::store::sqlite
