// libpq behind Result: connecting, per-connection prepared statements, binary encoding of
// parameters and decoding of results.
#include "store/postgres/pg_conn.hpp"

#include <libpq-fe.h>

#include <algorithm>
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
  const auto bits = static_cast<std::uint64_t>(value);
  append_be32(encoded, static_cast<std::uint32_t>(bits >> 32));
  append_be32(encoded, static_cast<std::uint32_t>(bits & 0xffffffffU));
  return own(kInt8Oid, std::move(encoded));
}

Params& Params::boolean(bool value) {
  return own(kBoolOid, std::string(1, value ? '\1' : '\0'));
}

Params& Params::bytes_array(const std::vector<std::string>& values) {
  // array_recv's format: dimensions, null flag, element type, then (length, bytes) per element.
  std::string encoded;
  append_be32(encoded, values.empty() ? 0 : 1);
  append_be32(encoded, 0);
  append_be32(encoded, kByteaOid);
  if (!values.empty()) {
    append_be32(encoded, static_cast<std::uint32_t>(values.size()));
    append_be32(encoded, 1);
  }
  for (const auto& value : values) {
    append_be32(encoded, static_cast<std::uint32_t>(value.size()));
    encoded += value;
  }
  return own(kByteaArrayOid, std::move(encoded));
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

Result<Rows> Conn::exec(std::string_view sql, const Params& params) {
  const auto count = static_cast<int>(params.params_.size());
  std::string key(sql);
  auto found = prepared_.find(key);
  if (found == prepared_.end()) {
    std::vector<unsigned> types;
    types.reserve(params.params_.size());
    for (const auto& p : params.params_)
      types.push_back(p.type);
    std::string name = "hg" + std::to_string(prepared_.size() + 1);
    Rows prepared(PQprepare(conn_.get(), name.c_str(), key.c_str(), count, types.data()));
    if (PQresultStatus(prepared.result_.get()) != PGRES_COMMAND_OK) {
      return error("prepare", prepared.result_.get());
    }
    found = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats(params.params_.size(), kBinary);
  values.reserve(params.params_.size());
  lengths.reserve(params.params_.size());
  for (const auto& p : params.params_) {
    const std::string_view data = p.is_owned ? std::string_view(p.owned) : p.borrowed;
    // libpq reads a null pointer as SQL NULL; an empty value must stay an empty value.
    values.push_back(data.data() != nullptr ? data.data() : "");
    lengths.push_back(static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX)));
  }
  Rows rows(PQexecPrepared(conn_.get(), found->second.c_str(), count, values.data(), lengths.data(),
                           formats.data(), kBinary));
  const auto status = PQresultStatus(rows.result_.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return error("query", rows.result_.get());
  }
  return rows;
}

Result<bool> Conn::run(const std::string& sql) {
  Rows rows(PQexec(conn_.get(), sql.c_str()));
  const auto status = PQresultStatus(rows.result_.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return error("query", rows.result_.get());
  return true;
}

bool Conn::broken() const {
  return PQstatus(conn_.get()) != CONNECTION_OK;
}

Result<bool> Conn::reconnect() {
  prepared_.clear();  // statements died with the old session
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

}  // namespace hookgate::store::postgres
