// libpq behind Result: connecting, per-connection prepared statements, pipelines, binary encoding
// of parameters and decoding of results.
#include "store/postgres/pg_conn.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <utility>

#include "store/postgres/pg_url.hpp"

namespace hookgate::store::postgres {
namespace {

// Type OIDs from pg_type.dat; stable across PostgreSQL versions.
constexpr unsigned kBoolOid = 16;
constexpr unsigned kByteaOid = 17;
constexpr unsigned kInt8Oid = 20;
constexpr unsigned kTextOid = 25;
constexpr unsigned kByteaArrayOid = 1001;
constexpr unsigned kInt8ArrayOid = 1016;

constexpr int kBinary = 1;

void append_be32(std::string& out, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((value >> shift) & 0xffU));
}

std::string trimmed(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

void append_be64(std::string& out, std::int64_t value) {
  const auto bits = static_cast<std::uint64_t>(value);
  append_be32(out, static_cast<std::uint32_t>(bits >> 32));
  append_be32(out, static_cast<std::uint32_t>(bits & 0xffffffffU));
}

// array_recv's format: dimensions, null flag, element type, then (length, bytes) per element.
std::string array_header(unsigned element_type, std::size_t count) {
  std::string encoded;
  append_be32(encoded, count == 0 ? 0 : 1);
  append_be32(encoded, 0);
  append_be32(encoded, element_type);
  if (count != 0) {
    append_be32(encoded, static_cast<std::uint32_t>(count));
    append_be32(encoded, 1);
  }
  return encoded;
}

// libpq prints notices (e.g. "relation already exists, skipping") on stderr by default.
void ignore_notice(void* /*arg*/, const char* /*message*/) {}

}  // namespace

Params& Params::own(unsigned type, std::string value) {
  Param p;
  p.type = type;
  p.owned = std::move(value);
  p.is_owned = true;
  params_.push_back(std::move(p));
  return *this;
}

Params& Params::bytes(std::string_view value) {
  params_.push_back(Param{kByteaOid, {}, value, false});
  return *this;
}

Params& Params::text(std::string_view value) {
  params_.push_back(Param{kTextOid, {}, value, false});
  return *this;
}

Params& Params::int64(std::int64_t value) {
  std::string encoded;
  append_be64(encoded, value);
  return own(kInt8Oid, std::move(encoded));
}

Params& Params::boolean(bool value) {
  return own(kBoolOid, std::string(1, value ? '\1' : '\0'));
}

Params& Params::bytes_array(std::span<const std::string_view> values) {
  std::string encoded = array_header(kByteaOid, values.size());
  std::size_t size = encoded.size();
  for (const auto& value : values)
    size += 4 + value.size();
  encoded.reserve(size);  // one allocation: a batch's bodies can be megabytes
  for (const auto& value : values) {
    append_be32(encoded, static_cast<std::uint32_t>(value.size()));
    encoded += value;
  }
  return own(kByteaArrayOid, std::move(encoded));
}

Params& Params::int64_array(std::span<const std::int64_t> values) {
  std::string encoded = array_header(kInt8Oid, values.size());
  encoded.reserve(encoded.size() + 12 * values.size());
  for (const std::int64_t value : values) {
    append_be32(encoded, 8);
    append_be64(encoded, value);
  }
  return own(kInt8ArrayOid, std::move(encoded));
}

Params::Encoded Params::encode() const {
  Encoded out;
  out.types.reserve(params_.size());
  out.values.reserve(params_.size());
  out.lengths.reserve(params_.size());
  out.formats.assign(params_.size(), kBinary);
  for (const auto& p : params_) {
    out.types.push_back(p.type);
    const std::string_view data = p.is_owned ? std::string_view(p.owned) : p.borrowed;
    // libpq reads a null pointer as SQL NULL; an empty value must stay an empty value.
    out.values.push_back(data.data() != nullptr ? data.data() : "");
    out.lengths.push_back(static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX)));
  }
  return out;
}

void Rows::Clear::operator()(pg_result* result) const {
  PQclear(result);
}

Rows::Rows(pg_result* result) : result_(result) {}

int Rows::size() const {
  return result_ ? PQntuples(result_.get()) : 0;
}

bool Rows::is_null(int row, int column) const {
  return PQgetisnull(result_.get(), row, column) != 0;
}

std::int64_t Rows::int64(int row, int column) const {
  const auto* data = reinterpret_cast<const unsigned char*>(PQgetvalue(result_.get(), row, column));
  const int length = PQgetlength(result_.get(), row, column);
  std::uint64_t bits = 0;
  for (int i = 0; i < length; ++i)
    bits = (bits << 8) | data[i];
  if (length == 0 || length >= 8) return static_cast<std::int64_t>(bits);
  // Sign-extend int2 and int4.
  const int unused = 64 - 8 * length;
  return static_cast<std::int64_t>(bits << unused) >> unused;
}

std::string Rows::bytes(int row, int column) const {
  return {PQgetvalue(result_.get(), row, column),
          static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::int64_t Rows::affected() const {
  const char* text = PQcmdTuples(result_.get());
  std::int64_t count = 0;
  for (; text != nullptr && *text >= '0' && *text <= '9'; ++text)
    count = count * 10 + (*text - '0');
  return count;
}

void Conn::Finish::operator()(pg_conn* conn) const {
  PQfinish(conn);
}

Conn::~Conn() = default;

Result<Conn> Conn::open(std::string_view url) {
  const std::string conninfo(url);
  // Defaults first: what the URL says after them wins (expand_dbname).
  const char* const keywords[] = {"application_name", "connect_timeout", "dbname", nullptr};
  const char* const values[] = {"hookgate", "10", conninfo.c_str(), nullptr};
  Conn conn(PQconnectdbParams(keywords, values, 1), conninfo);
  if (!conn.conn_) return Error{"postgres: out of memory"};
  if (PQstatus(conn.conn_.get()) != CONNECTION_OK) {
    return Error{"postgres: cannot connect to " + redact_url(url) + ": " +
                 scrub_password(trimmed(PQerrorMessage(conn.conn_.get())), url)};
  }
  PQsetNoticeProcessor(conn.conn_.get(), ignore_notice, nullptr);
  // SKIP LOCKED and identity columns.
  if (PQserverVersion(conn.conn_.get()) < 100000) {
    return Error{"postgres: " + redact_url(url) + ": PostgreSQL 10 or newer is needed"};
  }
  if (auto started = conn.start_session(); !started) return Error{started.error()};
  return conn;
}

Result<bool> Conn::start_session() {
  // A 2xx promises the event is on disk: a server (or role) default of synchronous_commit=off
  // would break that, so it is turned back on; local, remote_write and stronger levels stay.
  auto level = exec("SELECT current_setting('synchronous_commit')");
  if (!level) return Error{level.error()};
  if (level->size() == 1 && level->bytes(0, 0) == "off") {
    if (auto set = run("SET synchronous_commit = on"); !set) return set;
  }
  return true;
}

Error Conn::error(std::string_view what, const pg_result* result) const {
  std::string message = result != nullptr ? trimmed(PQresultErrorMessage(result)) : std::string();
  if (message.empty()) message = trimmed(PQerrorMessage(conn_.get()));
  return Error{"postgres: " + std::string(what) + ": " + scrub_password(std::move(message), url_)};
}

std::string Conn::prepared_name(const std::string& sql) const {
  const auto found = prepared_.find(sql);
  return found != prepared_.end() ? found->second : std::string();
}

std::string Conn::next_statement_name() {
  return "hg" + std::to_string(++statements_named_);
}

Result<Rows> Conn::exec(std::string_view sql, const Params& params) {
  const Params::Encoded encoded = params.encode();
  const auto count = static_cast<int>(encoded.values.size());
  std::string key(sql);
  std::string name = prepared_name(key);
  if (name.empty()) {
    name = next_statement_name();
    Rows prepared(PQprepare(conn_.get(), name.c_str(), key.c_str(), count, encoded.types.data()));
    if (PQresultStatus(prepared.result_.get()) != PGRES_COMMAND_OK) {
      return error("prepare", prepared.result_.get());
    }
    prepared_.emplace(std::move(key), name);
  }
  Rows rows(PQexecPrepared(conn_.get(), name.c_str(), count, encoded.values.data(),
                           encoded.lengths.data(), encoded.formats.data(), kBinary));
  const auto status = PQresultStatus(rows.result_.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return error("query", rows.result_.get());
  }
  return rows;
}

Pipelined Conn::pipeline(std::span<const Statement> statements) {
  Pipelined out;
  if (statements.empty()) return out;
  pg_conn* const conn = conn_.get();
  // Whatever way this returns (an error, an exception), a connection still in pipeline mode has
  // answers nobody will read: only a new session can be trusted after that.
  struct Guard {
    Conn& self;
    ~Guard() {
      if (PQpipelineStatus(self.conn_.get()) != PQ_PIPELINE_OFF ||
          PQisnonblocking(self.conn_.get()) != 0) {
        self.desynced_ = true;
      }
    }
  } guard{*this};

  // Nonblocking while sending, so that a long pipeline cannot deadlock with a server that
  // waits for its answers to be read before it reads on.
  if (PQsetnonblocking(conn, 1) != 0 || PQenterPipelineMode(conn) != 1) {
    out.error = error("pipeline", nullptr);
    (void)PQsetnonblocking(conn, 0);
    return out;
  }
  std::vector<std::string> names;  // per statement
  std::vector<bool> preparing;     // per statement: a prepare was sent before it
  if (!send_pipeline(statements, names, preparing) || PQpipelineSync(conn) != 1 ||
      !flush_pipeline()) {
    out.error = error("pipeline", nullptr);
    return out;
  }

  out.rows.reserve(statements.size());
  bool lost = false;
  // Reads the answers of one command (a prepare or an execution); false when none came.
  const auto read_command = [&](bool is_prepare, std::size_t index) {
    bool answered = false;
    while (PGresult* raw = PQgetResult(conn)) {
      answered = true;
      Rows result(raw);
      const auto status = PQresultStatus(raw);
      const bool ok = status == PGRES_COMMAND_OK || (!is_prepare && status == PGRES_TUPLES_OK);
      if (ok && is_prepare) {
        prepared_.emplace(std::string(statements[index].sql), names[index]);
      } else if (ok && !out.error) {
        out.rows.push_back(std::move(result));
      } else if (!ok && status != PGRES_PIPELINE_ABORTED && !out.error) {
        out.error = error(is_prepare ? "prepare" : "query", raw);
      }
    }
    return answered;
  };
  for (std::size_t i = 0; i < statements.size() && !lost; ++i) {
    if (preparing[i] && !read_command(true, i)) lost = true;
    if (!lost && !read_command(false, i)) lost = true;
    if (PQstatus(conn) != CONNECTION_OK) lost = true;
  }
  if (!lost) {
    Rows sync(PQgetResult(conn));
    lost = PQresultStatus(sync.result_.get()) != PGRES_PIPELINE_SYNC;
  }
  if (lost || PQexitPipelineMode(conn) != 1 || PQsetnonblocking(conn, 0) != 0) {
    if (!out.error) out.error = error("pipeline", nullptr);
    return out;
  }
  if (!out.error && out.rows.size() != statements.size()) {
    out.error = Error{"postgres: pipeline: a statement returned nothing"};
  }
  return out;
}

bool Conn::send_pipeline(std::span<const Statement> statements, std::vector<std::string>& names,
                         std::vector<bool>& preparing) {
  pg_conn* const conn = conn_.get();
  names.reserve(statements.size());
  preparing.reserve(statements.size());
  std::unordered_map<std::string, std::string> sent;  // prepared earlier in this pipeline
  for (const Statement& statement : statements) {
    const Params::Encoded encoded = statement.params.encode();
    const auto count = static_cast<int>(encoded.values.size());
    std::string key(statement.sql);
    std::string name = prepared_name(key);
    if (name.empty()) {
      if (auto found = sent.find(key); found != sent.end()) name = found->second;
    }
    preparing.push_back(name.empty());
    if (name.empty()) {
      name = next_statement_name();
      if (PQsendPrepare(conn, name.c_str(), key.c_str(), count, encoded.types.data()) != 1) {
        return false;
      }
      sent.emplace(std::move(key), name);
    }
    if (PQsendQueryPrepared(conn, name.c_str(), count, encoded.values.data(),
                            encoded.lengths.data(), encoded.formats.data(), kBinary) != 1) {
      return false;
    }
    names.push_back(std::move(name));
  }
  return true;
}

bool Conn::flush_pipeline() {
  pg_conn* const conn = conn_.get();
  for (;;) {
    const int unsent = PQflush(conn);
    if (unsent == 0) return true;
    if (unsent < 0) return false;
    pollfd fd{PQsocket(conn), POLLIN | POLLOUT, 0};
    if (::poll(&fd, 1, -1) < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    // Taking the server's answers in lets it go on reading what is still to be sent.
    if ((fd.revents & POLLIN) != 0 && PQconsumeInput(conn) != 1) return false;
  }
}

Result<bool> Conn::run(const std::string& sql) {
  Rows rows(PQexec(conn_.get(), sql.c_str()));
  const auto status = PQresultStatus(rows.result_.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return error("query", rows.result_.get());
  return true;
}

bool Conn::broken() const {
  return desynced_ || PQstatus(conn_.get()) != CONNECTION_OK;
}

Result<bool> Conn::reconnect() {
  prepared_.clear();  // statements died with the old session
  desynced_ = false;  // so did whatever the old session had left unread
  PQreset(conn_.get());
  if (PQstatus(conn_.get()) != CONNECTION_OK) {
    return Error{"postgres: cannot reconnect to " + redact_url(url_) + ": " +
                 scrub_password(trimmed(PQerrorMessage(conn_.get())), url_)};
  }
  return start_session();
}

bool Conn::in_transaction() const {
  return PQtransactionStatus(conn_.get()) != PQTRANS_IDLE;
}

int Conn::socket() const {
  return PQsocket(conn_.get());
}

Result<std::vector<Notification>> Conn::notifications() {
  std::vector<Notification> received;
  if (PQconsumeInput(conn_.get()) != 1) return error("listen", nullptr);
  while (PGnotify* note = PQnotifies(conn_.get())) {
    try {
      received.push_back(Notification{note->relname != nullptr ? note->relname : "",
                                      note->extra != nullptr ? note->extra : ""});
    } catch (const std::exception& e) {
      PQfreemem(note);
      return Error{std::string("postgres: listen: ") + e.what()};
    }
    PQfreemem(note);
  }
  if (PQstatus(conn_.get()) != CONNECTION_OK) return error("listen", nullptr);
  return received;
}

}  // namespace hookgate::store::postgres
