// Scheme files (docs/schemes.md) -> Scheme. Every mistake names file, line and key; unknown keys
// are errors, because a misspelt key silently ignored would weaken verification.
#include <algorithm>
#include <set>
#include <string>

#include "content_template.hpp"
#include "hookgate/handshakes/handshake.hpp"
#include "hookgate/schemes/header_list.hpp"
#include "scheme_toml.hpp"

namespace hookgate::schemes {
namespace {

class Reader {
 public:
  Reader(const toml::table& table, std::string_view origin, std::string prefix)
      : table_(table), origin_(origin), prefix_(std::move(prefix)) {}

  Error error(std::string_view key, const std::string& what) const {
    const toml::node* node = table_.get(key);
    const auto line = node != nullptr ? node->source().begin.line : table_.source().begin.line;
    return Error{std::string(origin_) + ":" + std::to_string(line) + ": key '" + prefix_ +
                 std::string(key) + "': " + what};
  }

  // Unknown keys are reported with the line they are on.
  std::optional<Error> check_keys(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, v] : table_) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
        return Error{std::string(origin_) + ":" + std::to_string(k.source().begin.line) +
                     ": key '" + prefix_ + std::string(k.str()) + "': unknown key"};
      }
    }
    return std::nullopt;
  }

  Result<std::optional<std::string>> string(std::string_view key) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::optional<std::string>{};
    if (const auto* s = node->as_string()) return std::optional<std::string>{s->get()};
    return error(key, "expected a string");
  }

  Result<std::optional<std::int64_t>> integer(std::string_view key, std::int64_t min,
                                              std::int64_t max) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::optional<std::int64_t>{};
    const auto* i = node->as_integer();
    if (i == nullptr) return error(key, "expected an integer");
    if (i->get() < min || i->get() > max) {
      return error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return std::optional<std::int64_t>{i->get()};
  }

  Result<std::optional<bool>> boolean(std::string_view key) const {
    const toml::node* node = table_.get(key);
    if (node == nullptr) return std::optional<bool>{};
    if (const auto* b = node->as_boolean()) return std::optional<bool>{b->get()};
    return error(key, "expected true or false");
  }

  const toml::table* table(std::string_view key) const {
    const toml::node* node = table_.get(key);
    return node != nullptr ? node->as_table() : nullptr;
  }
  bool has(std::string_view key) const { return table_.get(key) != nullptr; }
  const toml::node* node(std::string_view key) const { return table_.get(key); }
  const std::string& prefix() const { return prefix_; }

 private:
  const toml::table& table_;
  std::string_view origin_;
  std::string prefix_;
};

// Declares var from a Result or returns its error: the one macro, to keep each reader linear.
// var names a declaration, which cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define HG_TRY(var, expr)                                \
  auto var##_result = (expr);                            \
  if (!var##_result) return Error{var##_result.error()}; \
  auto var = std::move(var##_result.value())
// NOLINTEND(bugprone-macro-parentheses)

std::optional<Algorithm> parse_algorithm(std::string_view s) {
  static constexpr std::pair<std::string_view, Algorithm> kNames[] = {
      {"hmac-sha1", Algorithm::hmac_sha1},
      {"hmac-sha256", Algorithm::hmac_sha256},
      {"hmac-sha512", Algorithm::hmac_sha512},
      {"sha256", Algorithm::sha256},
      {"ed25519", Algorithm::ed25519},
      {"ecdsa-p256-sha256", Algorithm::ecdsa_p256_sha256},
      {"rsa-sha1", Algorithm::rsa_sha1},
      {"rsa-sha256", Algorithm::rsa_sha256},
      {"token", Algorithm::token},
  };
  for (const auto& [n, a] : kNames) {
    if (n == s) return a;
  }
  return std::nullopt;
}
constexpr std::string_view kAlgorithmNames =
    "hmac-sha1, hmac-sha256, hmac-sha512, sha256, ed25519, ecdsa-p256-sha256, rsa-sha1, "
    "rsa-sha256, token";

Result<bool> read_signature(const Reader& r, Scheme& s) {
  if (auto e = r.check_keys({"header", "headers", "json_field", "encoding", "prefix", "algorithm",
                             "list", "pair", "versions", "expect_headers"})) {
    return *e;
  }
  HG_TRY(header, r.string("header"));
  HG_TRY(json_field, r.string("json_field"));
  if (header) s.signature_headers.push_back(*header);
  if (const toml::node* headers = r.node("headers")) {
    const auto* array = headers->as_array();
    if (array == nullptr || array->empty()) return r.error("headers", "expected a list of names");
    for (const auto& h : *array) {
      const auto* str = h.as_string();
      if (str == nullptr || str->get().empty()) return r.error("headers", "expected names");
      s.signature_headers.push_back(str->get());
    }
  }
  if (json_field) s.signature_json_field = *json_field;
  const int sources = (header ? 1 : 0) + (r.has("headers") ? 1 : 0) + (json_field ? 1 : 0);
  if (sources != 1) {
    return r.error(sources == 0 ? "header" : "json_field",
                   "give exactly one of header, headers or json_field");
  }
  for (const auto& h : s.signature_headers) {
    if (h.empty()) return r.error("header", "must not be empty");
  }

  HG_TRY(encoding, r.string("encoding"));
  if (encoding) {
    if (*encoding == "hex") {
      s.encoding = Encoding::hex;
    } else if (*encoding == "base64") {
      s.encoding = Encoding::base64;
    } else if (*encoding == "base64url") {
      s.encoding = Encoding::base64url;
    } else if (*encoding == "text") {
      s.encoding = Encoding::text;
    } else {
      return r.error("encoding", "unknown encoding '" + *encoding +
                                     "' (expected hex, base64, base64url or text)");
    }
  }
  HG_TRY(prefix, r.string("prefix"));
  if (prefix) s.prefix = *prefix;

  HG_TRY(list, r.string("list"));
  HG_TRY(pair, r.string("pair"));
  if (list) {
    if (list->size() != 1) return r.error("list", "must be one character");
    s.list_separator = (*list)[0];
    if (pair) {
      if (pair->size() != 1 || (*pair)[0] == s.list_separator) {
        return r.error("pair", "must be one character, other than the list separator");
      }
      s.pair_separator = (*pair)[0];
    }
    const toml::table* versions = r.table("versions");
    if (versions == nullptr || versions->empty()) {
      return r.error(r.has("versions") ? "versions" : "list",
                     "a list header needs versions = { NAME = \"ALGORITHM\" }");
    }
    for (const auto& [name, value] : *versions) {
      const auto* str = value.as_string();
      const auto algorithm = str != nullptr ? parse_algorithm(str->get()) : std::nullopt;
      if (!algorithm) {
        return Error{r.error("versions", "").message + "version '" + std::string(name.str()) +
                     "': unknown algorithm (expected one of " + std::string(kAlgorithmNames) + ")"};
      }
      s.versions.push_back({std::string(name.str()), *algorithm});
    }
    if (r.has("algorithm")) return r.error("algorithm", "a list header takes versions instead");
    if (!s.prefix.empty()) return r.error("prefix", "a list header has no prefix");
  } else {
    if (pair) return r.error("pair", "only meaningful with list");
    if (r.has("versions")) return r.error("versions", "only meaningful with list");
    HG_TRY(algorithm, r.string("algorithm"));
    if (!algorithm && s.procedure.empty()) return r.error("algorithm", "required");
    if (algorithm) {
      const auto a = parse_algorithm(*algorithm);
      if (!a) {
        return r.error("algorithm", "unknown algorithm '" + *algorithm + "' (expected one of " +
                                        std::string(kAlgorithmNames) + ")");
      }
      s.algorithm = *a;
    }
  }
  if (const toml::node* expect = r.node("expect_headers")) {
    const auto* table = expect->as_table();
    if (table == nullptr) return r.error("expect_headers", "expected { HEADER = \"VALUE\" }");
    for (const auto& [name, value] : *table) {
      const auto* str = value.as_string();
      if (str == nullptr) return r.error("expect_headers", "values must be strings");
      s.expect_headers.emplace_back(std::string(name.str()), str->get());
    }
  }
  return true;
}

Result<bool> read_key(const Reader& r, Scheme& s) {
  if (auto e = r.check_keys({"format", "min_length", "max_length", "generate", "generate_bytes",
                             "generate_length"})) {
    return *e;
  }
  HG_TRY(format, r.string("format"));
  if (format) {
    if (*format == "text") {
      s.key_format = KeyFormat::text;
    } else if (*format == "whsec") {
      s.key_format = KeyFormat::whsec;
    } else if (*format == "hex") {
      s.key_format = KeyFormat::hex;
    } else if (*format == "base64") {
      s.key_format = KeyFormat::base64;
    } else {
      return r.error("format",
                     "unknown key format '" + *format + "' (expected text, whsec, hex or base64)");
    }
  }
  HG_TRY(min_length, r.integer("min_length", 0, 4096));
  HG_TRY(max_length, r.integer("max_length", 0, 4096));
  if (min_length) s.secret.min_length = static_cast<std::size_t>(*min_length);
  if (max_length) s.secret.max_length = static_cast<std::size_t>(*max_length);
  if (s.secret.max_length != 0 && s.secret.max_length < s.secret.min_length) {
    return r.error("max_length", "is below min_length");
  }
  HG_TRY(generate, r.string("generate"));
  if (generate) {
    static constexpr std::string_view kKinds[] = {"whsec", "hex", "alphanumeric", "ed25519",
                                                  "ecdsa-p256"};
    if (std::find(std::begin(kKinds), std::end(kKinds), *generate) == std::end(kKinds)) {
      return r.error("generate", "unknown kind '" + *generate +
                                     "' (expected whsec, hex, alphanumeric, ed25519 or "
                                     "ecdsa-p256)");
    }
    s.secret.generate = *generate;
  }
  HG_TRY(bytes, r.integer("generate_bytes", 16, 256));
  HG_TRY(length, r.integer("generate_length", 8, 4096));
  if (bytes) s.secret.generate_bytes = static_cast<std::size_t>(*bytes);
  if (length) s.secret.generate_length = static_cast<std::size_t>(*length);
  if (s.secret.generate == "alphanumeric") {
    if (s.secret.max_length != 0 && s.secret.generate_length > s.secret.max_length) {
      return r.error("generate_length", "exceeds max_length");
    }
    if (s.secret.generate_length < s.secret.min_length) {
      return r.error("generate_length", "is below min_length");
    }
  }
  return true;
}

// Reads a Location from header / field / json / query keys; at most one may be given.
Result<Location> read_location(const Reader& r, bool allow_field) {
  Location loc;
  int given = 0;
  const std::pair<std::string_view, Location::Kind> kinds[] = {
      {"header", Location::Kind::header},
      {"field", Location::Kind::list_field},
      {"json", Location::Kind::json_field},
      {"query", Location::Kind::url_query},
  };
  for (const auto& [key, kind] : kinds) {
    HG_TRY(value, r.string(key));
    if (!value) continue;
    if (value->empty()) return r.error(key, "must not be empty");
    if (kind == Location::Kind::list_field && !allow_field) {
      return r.error(key, "only the timestamp can be a signature list field");
    }
    loc = Location{kind, *value};
    ++given;
  }
  if (given > 1) return r.error("header", "give only one of header, field, json or query");
  return loc;
}

Result<bool> read_timestamp(const Reader& r, Scheme& s) {
  if (auto e = r.check_keys({"header", "field", "json", "query", "format", "tolerance",
                             "tolerance_past", "tolerance_future"})) {
    return *e;
  }
  HG_TRY(loc, read_location(r, true));
  if (!loc.present()) return r.error("header", "say where the timestamp travels");
  if (loc.kind == Location::Kind::list_field && s.list_separator == 0) {
    return r.error("field", "needs a list signature header (signature.list)");
  }
  s.timestamp = loc;
  HG_TRY(format, r.string("format"));
  if (format) {
    if (*format == "unix") {
      s.timestamp_format = TimestampFormat::unix_seconds;
    } else if (*format == "unix-ms") {
      s.timestamp_format = TimestampFormat::unix_millis;
    } else if (*format == "rfc3339") {
      s.timestamp_format = TimestampFormat::rfc3339;
    } else {
      return r.error("format",
                     "unknown format '" + *format + "' (expected unix, unix-ms or rfc3339)");
    }
  }
  constexpr std::int64_t kYear = 366LL * 86400;
  HG_TRY(both, r.integer("tolerance", 1, kYear));
  HG_TRY(past, r.integer("tolerance_past", 1, kYear));
  HG_TRY(future, r.integer("tolerance_future", 1, kYear));
  if (both && (past || future)) {
    return r.error("tolerance", "give either tolerance or tolerance_past/tolerance_future");
  }
  if (both) past = future = both;
  if (past) s.tolerance_past = std::chrono::seconds(*past);
  if (future) s.tolerance_future = std::chrono::seconds(*future);
  return true;
}

Result<bool> read_url(const Reader& r, Scheme& s) {
  if (auto e = r.check_keys({"port_variants", "body_hash_param"})) return *e;
  HG_TRY(variants, r.boolean("port_variants"));
  HG_TRY(param, r.string("body_hash_param"));
  if (variants) s.url_port_variants = *variants;
  if (param) s.body_hash_param = *param;
  return true;
}

// Whether a valid signature proves the id is the one the provider sent: the template signs it,
// or signs the whole body (a JSON id) or URL (a query id) it is part of. A token proves nothing
// about the request, so nothing is covered.
bool signature_covers_id(const Scheme& s) {
  const auto algs = s.algorithms();
  if (std::find(algs.begin(), algs.end(), Algorithm::token) != algs.end()) return false;
  if (s.uses(Segment::Kind::id)) return true;
  const auto signs = [&](Segment::Kind kind, std::string_view name) {
    return std::any_of(s.content.begin(), s.content.end(), [&](const Segment& seg) {
      return seg.kind == kind &&
             (kind == Segment::Kind::header ? iequals(seg.text, name) : seg.text == name);
    });
  };
  switch (s.id.kind) {
    case Location::Kind::header:
      return signs(Segment::Kind::header, s.id.name);
    case Location::Kind::json_field:
      // AWS SNS signs MessageId in its canonical string.
      return s.uses(Segment::Kind::body) || signs(Segment::Kind::json, s.id.name) ||
             (s.procedure == "aws-sns" && s.id.name == "MessageId");
    case Location::Kind::url_query:
      return s.uses(Segment::Kind::url) || s.uses(Segment::Kind::url_decoded);
    case Location::Kind::list_field:
    case Location::Kind::none:
      break;
  }
  return false;
}

// The file's claim about the id must be what the content really signs: a scheme that calls an
// unsigned id signed would let a resent request through with a fresh id.
std::optional<Error> check_id_signed(const Reader& ir, const Scheme& s) {
  if (!s.id.present()) {
    if (s.id_signed) return ir.error("signed", "a signed id needs header, json or query");
    return std::nullopt;
  }
  const bool covered = signature_covers_id(s);
  if (s.id_signed && !covered) {
    return ir.error("signed",
                    "the signature does not cover this id (the content has no {id}, no "
                    "{header:NAME} of it and no {body}, or the algorithm is a token): a resent "
                    "request could carry any id; say signed = false");
  }
  if (!s.id_signed && covered) {
    return ir.error("signed", "the content signs this id; say signed = true");
  }
  return std::nullopt;
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

}  // namespace

Result<Scheme> scheme_from_table(const toml::table& table, std::string_view origin,
                                 std::string_view key_prefix) {
  const Reader r(table, origin, std::string(key_prefix));
  if (auto e = r.check_keys({"name", "description", "content", "procedure", "handshake",
                             "signature", "key", "timestamp", "id", "url"})) {
    return *e;
  }
  Scheme s;
  s.origin = std::string(origin);
  HG_TRY(name, r.string("name"));
  if (!name) return r.error("name", "required");
  if (!valid_name(*name)) {
    return r.error("name", "use 1-64 lowercase letters, digits and '-'");
  }
  s.name = *name;
  HG_TRY(description, r.string("description"));
  if (description) s.description = *description;
  HG_TRY(procedure, r.string("procedure"));
  if (procedure) {
    if (*procedure != "aws-sns") {
      return r.error("procedure", "unknown procedure '" + *procedure + "' (known: aws-sns)");
    }
    s.procedure = *procedure;
  }
  HG_TRY(handshake, r.string("handshake"));
  if (handshake) {
    if (!handshakes::parse_kind(*handshake)) {
      return r.error("handshake", "unknown handshake '" + *handshake +
                                      "' (known: asana, slack, zoom, msgraph, meta, dropbox, "
                                      "twitter-crc, twitch, discord-interactions, discord-events, "
                                      "okta, aws-sns)");
    }
    s.handshake = *handshake;
  }
  HG_TRY(content, r.string("content"));
  if (content && procedure) return r.error("content", "a procedure scheme has no template");
  if (!content && !procedure) return r.error("content", "required");
  if (content) {
    auto segments = parse_content_template(*content);
    if (!segments) return r.error("content", segments.error());
    s.content = std::move(segments.value());
  }

  const auto sub = [&](std::string_view key) -> const toml::table* {
    const toml::node* node = r.node(key);
    return node != nullptr ? node->as_table() : nullptr;
  };
  for (const std::string_view key : {"signature", "key", "timestamp", "id", "url"}) {
    if (r.has(key) && sub(key) == nullptr)
      return r.error(key, "expected a table [" + std::string(key) + "]");
  }
  const toml::table* signature = sub("signature");
  if (signature == nullptr) return r.error("signature", "required");
  {
    if (auto done = read_signature(Reader(*signature, origin, r.prefix() + "signature."), s); !done)
      return Error{done.error()};
  }
  if (const toml::table* key = sub("key")) {
    if (auto done = read_key(Reader(*key, origin, r.prefix() + "key."), s); !done)
      return Error{done.error()};
  }
  if (const toml::table* timestamp = sub("timestamp")) {
    if (auto done = read_timestamp(Reader(*timestamp, origin, r.prefix() + "timestamp."), s); !done)
      return Error{done.error()};
  }
  if (const toml::table* id = sub("id")) {
    const Reader ir(*id, origin, r.prefix() + "id.");
    if (auto e = ir.check_keys({"header", "json", "query", "signed", "dedupe_window"})) return *e;
    HG_TRY(loc, read_location(ir, false));
    s.id = loc;
    HG_TRY(id_signed, ir.boolean("signed"));
    if (!id_signed) {
      return ir.error("signed",
                      "required: say whether the signature covers the id (true or false)");
    }
    s.id_signed = *id_signed;
    s.id_declared = true;
    HG_TRY(window, ir.integer("dedupe_window", 1, 366LL * 86400));
    if (window) s.dedupe_window = std::chrono::seconds(*window);
  }
  if (const toml::table* url = sub("url")) {
    if (auto done = read_url(Reader(*url, origin, r.prefix() + "url."), s); !done)
      return Error{done.error()};
  }

  // Cross-checks between sections, so a scheme that could never verify is refused up front.
  if (s.uses(Segment::Kind::timestamp) && !s.timestamp.present()) {
    return r.error("content", "uses {timestamp} but [timestamp] says nowhere where it travels");
  }
  if (s.uses(Segment::Kind::id) && !s.id.present()) {
    return r.error("content", "uses {id} but [id] says nowhere where it travels");
  }
  if (s.id_declared) {
    const Reader ir(*sub("id"), origin, r.prefix() + "id.");
    if (auto e = check_id_signed(ir, s)) return *e;
  }
  if (s.uses(Segment::Kind::secret)) {
    const auto algs = s.algorithms();
    if (algs.size() != 1 || algs.front() != Algorithm::sha256) {
      return r.error("content", "{secret} is only for the plain sha256 algorithm");
    }
  }
  for (const auto a : s.algorithms()) {
    if (a == Algorithm::sha256 && !s.uses(Segment::Kind::secret)) {
      return r.error("content",
                     "the sha256 algorithm needs {secret} in the content, or anyone "
                     "could compute it");
    }
    // A token travels as itself, or base64-encoded (HTTP Basic credentials).
    if (a == Algorithm::token && s.encoding != Encoding::text && s.encoding != Encoding::base64) {
      return Error{r.error("signature", "").message +
                   "the token algorithm needs encoding = \"text\" or \"base64\""};
    }
  }
  return s;
}

Result<Scheme> load_scheme(std::string_view toml_text, std::string_view origin) {
  try {
    const toml::table table = toml::parse(toml_text, origin);
    return scheme_from_table(table, origin);
  } catch (const toml::parse_error& e) {
    return Error{std::string(origin) + ":" + std::to_string(e.source().begin.line) + ": " +
                 std::string(e.description())};
  }
}

}  // namespace hookgate::schemes
