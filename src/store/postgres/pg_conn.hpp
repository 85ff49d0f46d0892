// A thin RAII layer over libpq: one connection, its prepared statements, binary parameters and
// results. Failures come back as Error with the server's message, never the URL's password;
// nothing here throws. A Conn belongs to one thread at a time (the caller serialises access).
//
// Everything travels in binary with explicit types: bytea stays raw bytes and int8 stays exact,
// with no text escaping in between.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hookgate/result.hpp"

struct pg_conn;
struct pg_result;

namespace hookgate::store::postgres {

// Statement parameters, $1 upwards in the order added. Borrowed views must outlive the exec().
class Params {
 public:
  Params& bytes(std::string_view value);  // bytea
  Params& text(std::string_view value);   // text: the store's own vocabulary only
  Params& int64(std::int64_t value);      // int8
  Params& boolean(bool value);
  Params& bytes_array(const std::vector<std::string>& values);  // bytea[]

 private:
  friend class Conn;
  struct Param {
    unsigned type = 0;
    std::string owned;          // encoded here when is_owned
    std::string_view borrowed;  // the caller's bytes otherwise
    bool is_owned = false;
  };
  Params& own(unsigned type, std::string value);
  std::vector<Param> params_;
};

class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* result);

  [[nodiscard]] int size() const;
  [[nodiscard]] bool is_null(int row, int column) const;
  // int2, int4, int8 or bool columns.
  [[nodiscard]] std::int64_t int64(int row, int column) const;
  // bytea or text columns, byte for byte.
  [[nodiscard]] std::string bytes(int row, int column) const;
  // Rows an INSERT, UPDATE or DELETE changed.
  [[nodiscard]] std::int64_t affected() const;

 private:
  friend class Conn;
  struct Clear {
    void operator()(pg_result* result) const;
  };
  std::unique_ptr<pg_result, Clear> result_;
};

class Conn {
 public:
  // url is anything libpq accepts (postgres://, postgresql://, key=value). Error messages carry
  // neither the password nor, when it cannot be parsed, the URL.
  static Result<Conn> open(std::string_view url);

  Conn(Conn&&) noexcept = default;
  Conn& operator=(Conn&&) noexcept = default;
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;
  ~Conn();

  // Runs sql as a statement prepared once per connection, then reused.
  Result<Rows> exec(std::string_view sql, const Params& params = {});
  // Runs one or more statements without parameters (BEGIN, COMMIT, schema scripts).
  Result<bool> run(const std::string& sql);

  // The connection is gone (server restart, network): reconnect() before using it again.
  [[nodiscard]] bool broken() const;
  Result<bool> reconnect();
  // Not idle in a transaction block: in one, or in one that failed.
  [[nodiscard]] bool in_transaction() const;

 private:
  struct Finish {
    void operator()(pg_conn* conn) const;
  };
  Conn(pg_conn* conn, std::string url) : conn_(conn), url_(std::move(url)) {}
  Result<bool> start_session();
  Error error(std::string_view what, const pg_result* result) const;

  std::unique_ptr<pg_conn, Finish> conn_;
  std::string url_;  // only to scrub its password out of messages
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
};

}  // namespace hookgate::store::postgres
