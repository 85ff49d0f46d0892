// A thin RAII layer over libpq: one connection, its prepared statements, binary parameters and
// results. Failures come back as Error with the server's message, never the URL's password;
// nothing here throws. A Conn belongs to one thread at a time (the caller serialises access).
//
// Everything travels in binary with explicit types: bytea stays raw bytes and int8 stays exact,
// with no text escaping in between.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
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
  Params& bytes_array(std::span<const std::string_view> values);  // bytea[]
  Params& int64_array(std::span<const std::int64_t> values);      // int8[]

 private:
  friend class Conn;
  // What libpq takes; the pointers are into the Params, valid while they live unchanged.
  struct Encoded {
    std::vector<unsigned> types;
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
  };
  [[nodiscard]] Encoded encode() const;
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

// One statement of Conn::pipeline().
struct Statement {
  std::string_view sql;  // kept by the Conn as a prepared statement, as exec() does
  Params params;
};

// What Conn::pipeline() got back: the rows of each statement that succeeded, in order, up to the
// first failure, which skipped every statement after it.
struct Pipelined {
  std::vector<Rows> rows;
  std::optional<Error> error;  // the failure of statement number rows.size(), if any
};

// An asynchronous notification (LISTEN/NOTIFY) a connection received.
struct Notification {
  std::string channel;
  std::string payload;
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
  // Runs statements in order in one round trip (libpq's pipeline mode): all are sent, then all
  // answers read. Inside a transaction block, a failure leaves the transaction failed, as exec()
  // does; outside one, the statements before the failure are rolled back with it.
  Pipelined pipeline(std::span<const Statement> statements);

  // The connection is gone (server restart, network), or a pipeline could not be brought back to
  // a known state: reconnect() before using it again.
  [[nodiscard]] bool broken() const;
  Result<bool> reconnect();
  // Not idle in a transaction block: in one, or in one that failed.
  [[nodiscard]] bool in_transaction() const;

  // The connection's socket, to poll() for notifications (-1 when there is none).
  [[nodiscard]] int socket() const;
  // Reads whatever the server sent without blocking and returns the notifications received so
  // far; an error when the connection broke.
  Result<std::vector<Notification>> notifications();

 private:
  struct Finish {
    void operator()(pg_conn* conn) const;
  };
  Conn(pg_conn* conn, std::string url) : conn_(conn), url_(std::move(url)) {}
  Result<bool> start_session();
  Error error(std::string_view what, const pg_result* result) const;
  // The statement name of sql, or empty when it is not prepared on this connection yet.
  [[nodiscard]] std::string prepared_name(const std::string& sql) const;
  std::string next_statement_name();
  bool send_pipeline(std::span<const Statement> statements, std::vector<std::string>& names,
                     std::vector<bool>& preparing);
  bool flush_pipeline();

  std::unique_ptr<pg_conn, Finish> conn_;
  std::string url_;  // only to scrub its password out of messages
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
  std::uint64_t statements_named_ = 0;                     // names are never reused
  bool desynced_ = false;  // a pipeline left results unread: the session is unusable
};

}  // namespace hookgate::store::postgres
