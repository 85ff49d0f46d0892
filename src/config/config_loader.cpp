// hookgate.toml -> Config. Unknown keys, wrong types, dangling references (a route to a missing
// destination, a source with an unknown scheme) and unresolvable secrets are all errors that
// name file, line and key, so a mistake stops the start-up rather than a request.
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "hookgate/config/config.hpp"
#include "hookgate/config/secret_source.hpp"
#include "hookgate/handshakes/handshake.hpp"
#include "hookgate/net/ip_address.hpp"
#include "schemes/scheme_toml.hpp"

namespace hookgate::config {
namespace {

class Ctx {
 public:
  Ctx(std::string origin, std::filesystem::path base)
      : origin_(std::move(origin)), base_(std::move(base)) {}

  Error at(const toml::node* node, const std::string& key, const std::string& what) const {
    const auto line = node != nullptr ? node->source().begin.line : 0;
    return Error{origin_ + ":" + std::to_string(line) + ": key '" + key + "': " + what};
  }
  const std::string& origin() const { return origin_; }
  const std::filesystem::path& base() const { return base_; }

 private:
  std::string origin_;
  std::filesystem::path base_;
};

// A table being read: knows its key path for messages and which keys were consumed.
class Table {
 public:
  Table(const Ctx& ctx, const toml::table& t, std::string path)
      : ctx_(ctx), t_(t), path_(std::move(path)) {}

  std::string key(std::string_view k) const {
    return path_.empty() ? std::string(k) : path_ + "." + std::string(k);
  }
  Error error(std::string_view k, const std::string& what) const {
    const toml::node* n = t_.get(k);
    return ctx_.at(n != nullptr ? n : &t_, key(k), what);
  }
  const toml::node* get(std::string_view k) const { return t_.get(k); }

  std::optional<Error> unknown(std::initializer_list<std::string_view> allowed) const {
    for (const auto& [k, v] : t_) {
      if (std::find(allowed.begin(), allowed.end(), k.str()) == allowed.end()) {
        return ctx_.at(&v, key(k.str()), "unknown key");
      }
    }
    return std::nullopt;
  }

  Result<std::optional<std::string>> str(std::string_view k) const {
    const auto* n = t_.get(k);
    if (n == nullptr) return std::optional<std::string>{};
    if (const auto* s = n->as_string()) return std::optional<std::string>{s->get()};
    return error(k, "expected a string");
  }
  Result<std::optional<std::int64_t>> integer(std::string_view k, std::int64_t lo,
                                              std::int64_t hi) const {
    const auto* n = t_.get(k);
    if (n == nullptr) return std::optional<std::int64_t>{};
    const auto* i = n->as_integer();
    if (i == nullptr) return error(k, "expected an integer");
    if (i->get() < lo || i->get() > hi) {
      return error(k, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
    }
    return std::optional<std::int64_t>{i->get()};
  }
  Result<std::optional<bool>> boolean(std::string_view k) const {
    const auto* n = t_.get(k);
    if (n == nullptr) return std::optional<bool>{};
    if (const auto* b = n->as_boolean()) return std::optional<bool>{b->get()};
    return error(k, "expected true or false");
  }
  Result<std::vector<std::string>> strings(std::string_view k) const {
    std::vector<std::string> out;
    const auto* n = t_.get(k);
    if (n == nullptr) return out;
    const auto* a = n->as_array();
    if (a == nullptr) return error(k, "expected a list of strings");
    for (const auto& e : *a) {
      const auto* s = e.as_string();
      if (s == nullptr) return error(k, "expected a list of strings");
      out.push_back(s->get());
    }
    return out;
  }
  const Ctx& ctx() const { return ctx_; }
  const toml::table& raw() const { return t_; }

 private:
  const Ctx& ctx_;
  const toml::table& t_;
  std::string path_;
};

// Declares var from a Result or returns its error: the one macro, to keep each reader linear.
// var names a declaration, which cannot be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define HG_GET(var, expr)                      \
  auto var##_r = (expr);                       \
  if (!var##_r) return Error{var##_r.error()}; \
  auto var = std::move(var##_r.value())
// NOLINTEND(bugprone-macro-parentheses)

Result<SecretRef> resolve_secret(const Table& t, std::string_view k, const std::string& written) {
  auto value = config::resolve_secret(written, t.ctx().base());
  if (!value) return t.error(k, value.error());
  return SecretRef{written, std::move(value.value())};
}

Result<std::optional<SecretRef>> optional_secret(const Table& t, std::string_view k) {
  HG_GET(written, t.str(k));
  if (!written) return std::optional<SecretRef>{};
  HG_GET(ref, resolve_secret(t, k, *written));
  return std::optional<SecretRef>{std::move(ref)};
}

Result<std::vector<SecretRef>> secret_list(const Table& t, std::string_view k) {
  HG_GET(written, t.strings(k));
  std::vector<SecretRef> out;
  for (const auto& w : written) {
    HG_GET(ref, resolve_secret(t, k, w));
    out.push_back(std::move(ref));
  }
  return out;
}

// A list of IP addresses or CIDR ranges, each checked here so a bad one names its line and key.
Result<std::vector<std::string>> cidr_list(const Table& t, std::string_view k) {
  HG_GET(texts, t.strings(k));
  for (const auto& text : texts) {
    if (auto range = net::CidrRange::parse(text); !range) {
      return t.error(k, "'" + text + "': " + range.error());
    }
  }
  return texts;
}

// "127.0.0.1:8080", "[::1]:8443", ":8080".
Result<Listener> parse_listen(const Table& t, std::string_view k, const std::string& text) {
  Listener l;
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return t.error(k, "expected HOST:PORT");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string port = text.substr(colon + 1);
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit) ||
      std::stoi(port) > 65535) {
    return t.error(k, "port must be 0-65535");
  }
  l.address = host.empty() ? "0.0.0.0" : host;
  l.port = static_cast<std::uint16_t>(std::stoi(port));
  return l;
}

Result<std::chrono::milliseconds> millis(const Table& t, std::string_view k,
                                         std::chrono::milliseconds fallback) {
  HG_GET(v, t.integer(k, 1, 3'600'000));
  return v ? std::chrono::milliseconds(*v) : fallback;
}

std::string file_path(const Ctx& ctx, const std::string& p) {
  if (p.empty()) return p;
  const std::filesystem::path path(p);
  return path.is_relative() ? (ctx.base() / path).string() : p;
}

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

Result<bool> read_server(const Table& t, Config& c) {
  if (auto e =
          t.unknown({"listen", "public_url", "max_body_bytes", "max_header_bytes",
                     "header_timeout_ms", "body_timeout_ms", "idle_timeout_ms", "max_connections",
                     "max_pending_writes", "max_parked_polls", "max_connections_per_ip"})) {
    return *e;
  }
  HG_GET(listen, t.str("listen"));
  if (listen) {
    HG_GET(l, parse_listen(t, "listen", *listen));
    c.listeners.push_back(l);
  }
  HG_GET(public_url, t.str("public_url"));
  if (public_url) c.public_url = *public_url;
  HG_GET(body, t.integer("max_body_bytes", 1, 1LL << 30));
  HG_GET(header, t.integer("max_header_bytes", 1024, 1 << 20));
  HG_GET(conns, t.integer("max_connections", 1, 1 << 20));
  HG_GET(pending, t.integer("max_pending_writes", 1, 1 << 20));
  HG_GET(per_ip, t.integer("max_connections_per_ip", 1, 1 << 20));
  if (per_ip) c.limits.max_connections_per_ip = static_cast<std::size_t>(*per_ip);
  if (body) c.limits.max_body_bytes = static_cast<std::size_t>(*body);
  if (header) c.limits.max_header_bytes = static_cast<std::size_t>(*header);
  if (conns) c.limits.max_connections = static_cast<std::size_t>(*conns);
  if (pending) c.limits.max_pending_writes = static_cast<std::size_t>(*pending);
  HG_GET(parked, t.integer("max_parked_polls", 1, 1 << 20));
  if (parked) c.limits.max_parked_polls = static_cast<std::size_t>(*parked);
  HG_GET(ht, millis(t, "header_timeout_ms", c.limits.header_timeout));
  HG_GET(bt, millis(t, "body_timeout_ms", c.limits.body_timeout));
  HG_GET(it, millis(t, "idle_timeout_ms", c.limits.idle_timeout));
  c.limits.header_timeout = ht;
  c.limits.body_timeout = bt;
  c.limits.idle_timeout = it;
  return true;
}

Result<Listener> read_listener(const Table& t) {
  if (auto e = t.unknown({"listen", "tls_certificate", "tls_private_key", "client_ca",
                          "require_client_certificate"})) {
    return *e;
  }
  HG_GET(listen, t.str("listen"));
  if (!listen) return t.error("listen", "required");
  HG_GET(l, parse_listen(t, "listen", *listen));
  HG_GET(cert, t.str("tls_certificate"));
  HG_GET(key, t.str("tls_private_key"));
  HG_GET(ca, t.str("client_ca"));
  HG_GET(require, t.boolean("require_client_certificate"));
  if (cert.has_value() != key.has_value()) {
    return t.error(cert ? "tls_private_key" : "tls_certificate",
                   "tls_certificate and tls_private_key go together");
  }
  for (const auto& [k, v] : {std::pair{"tls_certificate", cert}, std::pair{"tls_private_key", key},
                             std::pair{"client_ca", ca}}) {
    if (v && !std::filesystem::exists(file_path(t.ctx(), *v))) {
      return t.error(k, "file " + file_path(t.ctx(), *v) + " does not exist");
    }
  }
  if ((ca || require.value_or(false)) && !cert) {
    return t.error(ca ? "client_ca" : "require_client_certificate",
                   "client certificates need TLS (tls_certificate)");
  }
  if (require.value_or(false) && !ca) {
    return t.error("require_client_certificate", "needs client_ca to check certificates against");
  }
  l.tls_certificate = file_path(t.ctx(), cert.value_or(""));
  l.tls_private_key = file_path(t.ctx(), key.value_or(""));
  l.client_ca = file_path(t.ctx(), ca.value_or(""));
  l.require_client_certificate = require.value_or(false);
  return l;
}

Result<Source> read_source(const Table& t, const schemes::Catalogue& catalogue) {
  if (auto e =
          t.unknown({"name", "path", "scheme", "secrets", "public_keys", "verify_token",
                     "handshake", "allow_ips", "trusted_proxies", "max_body_bytes", "tolerance",
                     "failure_status", "dedupe_ttl", "pull_token", "keep_headers",
                     "event_type_from", "expect_app_id", "dedupe_window", "stream_capability"})) {
    return *e;
  }
  Source s;
  HG_GET(name, t.str("name"));
  if (!name || !valid_name(*name)) return t.error("name", "required: letters, digits, '-' or '_'");
  s.name = *name;
  HG_GET(path, t.str("path"));
  s.path = path.value_or("/in/" + s.name);
  if (!s.path.starts_with("/") || s.path.find_first_of("?# ") != std::string::npos) {
    return t.error("path", "must start with '/' and hold no query, fragment or space");
  }
  HG_GET(scheme, t.str("scheme"));
  if (!scheme) return t.error("scheme", "required (see `hookgate schemes`)");
  const schemes::Scheme* found = catalogue.find(*scheme);
  if (found == nullptr)
    return t.error("scheme", "unknown scheme '" + *scheme + "' (see `hookgate schemes`)");
  s.scheme = *scheme;
  HG_GET(secrets, secret_list(t, "secrets"));
  HG_GET(public_keys, secret_list(t, "public_keys"));
  s.secrets = std::move(secrets);
  s.public_keys = std::move(public_keys);
  // Asana's secret comes from `hookgate establish`, not from the file.
  if (s.secrets.empty() && s.public_keys.empty() && found->handshake != "asana") {
    return t.error("secrets", "source " + s.name + " has no secrets or public_keys to verify with");
  }
  HG_GET(verify_token, optional_secret(t, "verify_token"));
  s.verify_token = std::move(verify_token);
  HG_GET(handshake, t.str("handshake"));
  s.handshake = handshake.value_or(found->handshake);
  if (const auto kind = handshakes::parse_kind(s.handshake)) {
    if (auto conflict = handshakes::signing_domain_conflict(*kind, *found)) {
      return t.error("handshake", *conflict);
    }
  }
  HG_GET(allow, cidr_list(t, "allow_ips"));
  HG_GET(proxies, cidr_list(t, "trusted_proxies"));
  s.allow_ips = std::move(allow);
  s.trusted_proxies = std::move(proxies);
  HG_GET(body, t.integer("max_body_bytes", 1, 1LL << 30));
  if (body) s.max_body_bytes = static_cast<std::size_t>(*body);
  HG_GET(tolerance, t.integer("tolerance", 1, 366LL * 86400));
  if (tolerance) s.tolerance = std::chrono::seconds(*tolerance);
  HG_GET(status, t.integer("failure_status", 400, 499));
  if (status) s.failure_status = static_cast<int>(*status);
  HG_GET(ttl, t.integer("dedupe_ttl", 0, 366LL * 86400));
  if (ttl) s.dedupe_ttl = std::chrono::seconds(*ttl);
  HG_GET(window, t.integer("dedupe_window", 1, 366LL * 86400));
  if (window) s.dedupe_window = std::chrono::seconds(*window);
  HG_GET(pull, optional_secret(t, "pull_token"));
  s.pull_token = std::move(pull);
  HG_GET(capability, optional_secret(t, "stream_capability"));
  if (capability) {
    // A path segment that is a bearer credential: long enough not to be guessed, and made of
    // characters that need no escaping in a URL.
    const auto& v = capability->value;
    if (v.size() < 32 || v.size() > 256 ||
        v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
            std::string::npos) {
      return t.error("stream_capability",
                     "32 to 256 characters of A-Z a-z 0-9 _ - (openssl rand -hex 32)");
    }
  }
  s.stream_capability = std::move(capability);
  HG_GET(keep, t.strings("keep_headers"));
  s.keep_headers = std::move(keep);
  HG_GET(type_from, t.str("event_type_from"));
  if (type_from) {
    if (!type_from->starts_with("header:") && !type_from->starts_with("json:")) {
      return t.error("event_type_from", "expected header:NAME or json:PATH");
    }
    s.event_type_from = *type_from;
  }
  HG_GET(app_id, t.str("expect_app_id"));
  if (app_id) {
    if (app_id->empty() || app_id->find('/') != std::string::npos) {
      return t.error("expect_app_id", "an application id such as app_...");
    }
    s.expect_app_id = *app_id;
  }
  return s;
}

Result<Destination> read_destination(const Table& t) {
  if (auto e = t.unknown({"name", "url", "command", "file", "sign", "secret", "bearer",
                          "timeout_ms", "concurrency"})) {
    return *e;
  }
  Destination d;
  HG_GET(name, t.str("name"));
  if (!name || !valid_name(*name)) return t.error("name", "required: letters, digits, '-' or '_'");
  d.name = *name;
  HG_GET(url, t.str("url"));
  HG_GET(command, t.strings("command"));
  HG_GET(file, t.str("file"));
  const int kinds = (url ? 1 : 0) + (command.empty() ? 0 : 1) + (file ? 1 : 0);
  if (kinds != 1) return t.error("url", "give exactly one of url, command or file");
  if (url) {
    if (!url->starts_with("http://") && !url->starts_with("https://")) {
      return t.error("url", "must be an http:// or https:// URL");
    }
    d.kind = Destination::Kind::http;
    d.url = *url;
  } else if (!command.empty()) {
    d.kind = Destination::Kind::command;
    d.command = std::move(command);
  } else {
    d.kind = Destination::Kind::file;
    d.file = file_path(t.ctx(), *file);
  }
  HG_GET(sign, t.str("sign"));
  if (sign) {
    if (*sign != "standard-webhooks" && *sign != "none") {
      return t.error("sign", "expected \"standard-webhooks\" or \"none\"");
    }
    d.sign = *sign;
  }
  HG_GET(secret, optional_secret(t, "secret"));
  HG_GET(bearer, optional_secret(t, "bearer"));
  d.secret = std::move(secret);
  d.bearer = std::move(bearer);
  if (d.kind == Destination::Kind::http && d.sign == "standard-webhooks" && !d.secret) {
    return t.error("secret",
                   "standard-webhooks signing needs a whsec_ secret (or sign = \"none\")");
  }
  HG_GET(timeout, millis(t, "timeout_ms", d.timeout));
  d.timeout = timeout;
  HG_GET(conc, t.integer("concurrency", 1, 1024));
  if (conc) d.concurrency = static_cast<std::size_t>(*conc);
  return d;
}

Result<Route> read_route(const Table& t, const Config& c) {
  if (auto e = t.unknown({"from", "to", "event_types", "match"})) return *e;
  Route r;
  HG_GET(from, t.str("from"));
  if (!from) return t.error("from", "required");
  const bool known_source = std::any_of(c.sources.begin(), c.sources.end(),
                                        [&](const Source& s) { return s.name == *from; });
  if (!known_source) return t.error("from", "no [[source]] is named '" + *from + "'");
  r.from = *from;
  HG_GET(to, t.strings("to"));
  if (to.empty()) return t.error("to", "required: a list of destination names");
  for (const auto& name : to) {
    const bool known = std::any_of(c.destinations.begin(), c.destinations.end(),
                                   [&](const Destination& d) { return d.name == name; });
    if (!known) return t.error("to", "no [[destination]] is named '" + name + "'");
  }
  r.to = std::move(to);
  HG_GET(types, t.strings("event_types"));
  r.event_types = std::move(types);
  if (const auto* m = t.get("match")) {
    const auto* table = m->as_table();
    if (table == nullptr) return t.error("match", "expected { \"json.path\" = \"value\" }");
    for (const auto& [k, v] : *table) {
      const auto* s = v.as_string();
      if (s == nullptr) return t.error("match", "values must be strings");
      r.match.emplace(std::string(k.str()), s->get());
    }
  }
  return r;
}

Result<bool> read_delivery(const Table& t, Config& c) {
  if (auto e = t.unknown(
          {"schedule", "jitter", "lease_seconds", "workers", "node_id", "max_in_flight"})) {
    return *e;
  }
  if (const auto* n = t.get("schedule")) {
    const auto* a = n->as_array();
    if (a == nullptr || a->empty()) return t.error("schedule", "expected a list of seconds");
    c.delivery.schedule.clear();
    for (const auto& e : *a) {
      const auto* i = e.as_integer();
      if (i == nullptr || i->get() < 0 || i->get() > 30LL * 86400) {
        return t.error("schedule", "each delay is 0-2592000 seconds");
      }
      c.delivery.schedule.emplace_back(i->get());
    }
  }
  if (const auto* n = t.get("jitter")) {
    const auto v = n->value<double>();
    if (!v || *v < 0 || *v > 1) return t.error("jitter", "must be between 0 and 1");
    c.delivery.jitter = *v;
  }
  HG_GET(lease, t.integer("lease_seconds", 1, 3600));
  if (lease) c.delivery.lease = std::chrono::seconds(*lease);
  HG_GET(workers, t.integer("workers", 1, 1024));
  if (workers) c.delivery.workers = static_cast<std::size_t>(*workers);
  HG_GET(in_flight, t.integer("max_in_flight", 1, 100'000));
  if (in_flight) c.delivery.max_in_flight = static_cast<std::size_t>(*in_flight);
  HG_GET(node, t.str("node_id"));
  if (node) {
    if (!valid_name(*node)) return t.error("node_id", "letters, digits, '-' or '_' (at most 64)");
    c.delivery.node_id = *node;
  }
  return true;
}

Result<bool> read_outbound(const Table& t, Config& c) {
  if (auto e = t.unknown({"allow_cidrs", "require_https", "timeout_ms", "max_response_bytes",
                          "ca_file", "client_certificate", "client_private_key", "concurrency",
                          "disable_after_seconds", "rotation_grace_seconds",
                          "idempotency_ttl_seconds", "breaker_failures", "breaker_cooldown_seconds",
                          "operational_destinations", "secret_key"})) {
    return *e;
  }
  auto& o = c.outbound;
  HG_GET(allow, cidr_list(t, "allow_cidrs"));
  o.allow_cidrs = std::move(allow);
  HG_GET(https, t.boolean("require_https"));
  // The safe default: a plain-http endpoint must be allowed on purpose (loopback tests do).
  o.require_https = https.value_or(true);
  HG_GET(timeout, millis(t, "timeout_ms", o.timeout));
  o.timeout = timeout;
  HG_GET(max_response, t.integer("max_response_bytes", 0, 16 << 20));
  if (max_response) o.max_response_bytes = static_cast<std::size_t>(*max_response);
  for (const auto& [key, field] :
       {std::pair{"ca_file", &o.ca_file}, std::pair{"client_certificate", &o.client_certificate},
        std::pair{"client_private_key", &o.client_private_key}}) {
    HG_GET(v, t.str(key));
    if (v) {
      *field = file_path(t.ctx(), *v);
      if (!std::filesystem::exists(*field))
        return t.error(key, "file " + *field + " does not exist");
    }
  }
  if (o.client_certificate.empty() != o.client_private_key.empty()) {
    return t.error("client_certificate", "client_certificate and client_private_key go together");
  }
  HG_GET(conc, t.integer("concurrency", 1, 1024));
  if (conc) o.concurrency = static_cast<std::size_t>(*conc);
  HG_GET(disable, t.integer("disable_after_seconds", 60, 365LL * 86400));
  if (disable) o.disable_after = std::chrono::seconds(*disable);
  HG_GET(grace, t.integer("rotation_grace_seconds", 0, 30LL * 86400));
  if (grace) o.rotation_grace = std::chrono::seconds(*grace);
  HG_GET(ttl, t.integer("idempotency_ttl_seconds", 60, 30LL * 86400));
  if (ttl) o.idempotency_ttl = std::chrono::seconds(*ttl);
  HG_GET(failures, t.integer("breaker_failures", 1, 1000));
  if (failures) o.breaker_failures = static_cast<int>(*failures);
  HG_GET(cooldown, t.integer("breaker_cooldown_seconds", 1, 86400));
  if (cooldown) o.breaker_cooldown = std::chrono::seconds(*cooldown);
  HG_GET(ops, t.strings("operational_destinations"));
  o.operational_destinations = std::move(ops);
  HG_GET(seal_key, optional_secret(t, "secret_key"));
  o.secret_key = std::move(seal_key);
  return true;
}

Result<bool> read_api(const Table& t, Config& c) {
  if (auto e = t.unknown({"enabled", "admin_keys"})) return *e;
  HG_GET(enabled, t.boolean("enabled"));
  c.api.enabled = enabled.value_or(true);
  HG_GET(keys, secret_list(t, "admin_keys"));
  for (const auto& k : keys) {
    if (k.value.size() < 24) {
      return t.error("admin_keys", "an admin key must be at least 24 characters");
    }
  }
  c.api.admin_keys = std::move(keys);
  return true;
}

Result<bool> read_console(const Table& t, Config& c) {
  if (auto e = t.unknown({"enabled", "session_ttl_seconds"})) return *e;
  HG_GET(enabled, t.boolean("enabled"));
  c.console.enabled = enabled.value_or(true);
  HG_GET(ttl, t.integer("session_ttl_seconds", 60, 7LL * 86400));
  if (ttl) c.console.session_ttl = std::chrono::seconds(*ttl);
  if (c.console.enabled && !c.api.enabled) {
    return t.error("enabled", "the console works through /api/v1: enable [api] as well");
  }
  return true;
}

Result<bool> read_metrics(const Table& t, Config& c) {
  if (auto e = t.unknown({"allow", "token"})) return *e;
  if (t.get("allow") != nullptr) {
    HG_GET(allow, cidr_list(t, "allow"));
    c.metrics.allow = std::move(allow);
  }
  HG_GET(token, optional_secret(t, "token"));
  if (token && token->value.size() < 24) {
    return t.error("token", "a metrics token must be at least 24 characters");
  }
  c.metrics.token = std::move(token);
  return true;
}

template <class F>
Result<bool> each_table(const Ctx& ctx, const toml::table& root, std::string_view key, F&& f) {
  const auto* n = root.get(key);
  if (n == nullptr) return true;
  const auto* array = n->as_array();
  if (array == nullptr)
    return ctx.at(n, std::string(key), "expected [[" + std::string(key) + "]] tables");
  std::size_t i = 0;
  for (const auto& e : *array) {
    const auto* table = e.as_table();
    const std::string path = std::string(key) + "[" + std::to_string(i++) + "]";
    if (table == nullptr) return ctx.at(&e, path, "expected a table");
    if (auto r = f(Table(ctx, *table, path)); !r) return Error{r.error()};
  }
  return true;
}

}  // namespace

Result<Config> parse_config(std::string_view text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return Error{origin + ":" + std::to_string(e.source().begin.line) + ": " +
                 std::string(e.description())};
  }
  const Ctx ctx(origin, std::filesystem::path(origin).parent_path());
  const Table top(ctx, root, "");
  if (auto e =
          top.unknown({"server", "listener", "store", "delivery", "scheme", "source", "destination",
                       "route", "outbound", "api", "retention", "streams", "console", "metrics"})) {
    return *e;
  }
  auto catalogue = schemes::Catalogue::with_builtins();
  if (!catalogue) return Error{catalogue.error()};
  Config c;
  c.origin = origin;
  c.catalogue = std::move(catalogue.value());

  const auto sub = [&](std::string_view k) -> Result<const toml::table*> {
    const auto* n = root.get(k);
    if (n == nullptr) return static_cast<const toml::table*>(nullptr);
    if (const auto* t = n->as_table()) return t;
    return ctx.at(n, std::string(k), "expected a table [" + std::string(k) + "]");
  };
  HG_GET(server, sub("server"));
  if (server) {
    if (auto r = read_server(Table(ctx, *server, "server"), c); !r) return Error{r.error()};
  }
  if (auto r = each_table(ctx, root, "listener",
                          [&](const Table& t) -> Result<bool> {
                            HG_GET(l, read_listener(t));
                            c.listeners.push_back(std::move(l));
                            return true;
                          });
      !r) {
    return Error{r.error()};
  }
  if (c.listeners.empty()) c.listeners.push_back(Listener{});
  HG_GET(store, sub("store"));
  if (store) {
    const Table t(ctx, *store, "store");
    if (auto e = t.unknown({"url"})) return *e;
    HG_GET(written, t.str("url"));
    std::optional<std::string> url;
    if (written) {
      // env:NAME / file:PATH like every secret: a PostgreSQL URL usually carries a password.
      auto resolved = config::resolve_secret(*written, ctx.base());
      if (!resolved) return t.error("url", resolved.error());
      url = std::move(resolved.value());
    }
    if (url) {
      if (!url->starts_with("sqlite://") && !url->starts_with("postgres://") &&
          !url->starts_with("postgresql://")) {
        return t.error("url", "expected sqlite://PATH or postgres://...");
      }
      c.store_url = *url;
      // A relative SQLite path is relative to the config file, like file: secrets, so the
      // database does not move with the directory hookgate happens to be started from.
      if (url->starts_with("sqlite://")) {
        const std::string path = url->substr(9);
        if (!path.empty() && path.front() != '/' && path != ":memory:") {
          c.store_url = "sqlite://" + file_path(ctx, path);
        }
      }
    }
  }
  HG_GET(retention, sub("retention"));
  if (retention) {
    const Table t(ctx, *retention, "retention");
    if (auto e = t.unknown({"events_days", "batch"})) return *e;
    HG_GET(days, t.integer("events_days", 0, 3650));
    if (days) c.retention.events = std::chrono::seconds(*days * 86400);
    HG_GET(batch, t.integer("batch", 1, 100'000));
    if (batch) c.retention.batch = static_cast<std::size_t>(*batch);
  }
  HG_GET(streams, sub("streams"));
  if (streams) {
    const Table t(ctx, *streams, "streams");
    if (auto e = t.unknown({"ping_interval_ms", "retry_ms", "buffer_bytes", "write_timeout_ms",
                            "max_streams", "max_streams_per_ip"})) {
      return *e;
    }
    HG_GET(ping, millis(t, "ping_interval_ms", c.streams.ping_interval));
    HG_GET(retry, millis(t, "retry_ms", c.streams.retry));
    HG_GET(write, millis(t, "write_timeout_ms", c.streams.write_timeout));
    HG_GET(buffer, t.integer("buffer_bytes", 64 << 10, 1LL << 30));
    HG_GET(max, t.integer("max_streams", 1, 1 << 20));
    HG_GET(per_ip, t.integer("max_streams_per_ip", 1, 1 << 20));
    c.streams.ping_interval = ping;
    c.streams.retry = retry;
    c.streams.write_timeout = write;
    if (buffer) c.streams.buffer_bytes = static_cast<std::size_t>(*buffer);
    if (max) c.streams.max_streams = static_cast<std::size_t>(*max);
    if (per_ip) c.streams.max_streams_per_ip = static_cast<std::size_t>(*per_ip);
  }
  HG_GET(delivery, sub("delivery"));
  if (delivery) {
    if (auto r = read_delivery(Table(ctx, *delivery, "delivery"), c); !r) return Error{r.error()};
  }
  if (auto r = each_table(ctx, root, "scheme",
                          [&](const Table& t) -> Result<bool> {
                            auto s = schemes::scheme_from_table(t.raw(), origin, t.key(""));
                            if (!s) return Error{s.error()};
                            return c.catalogue.add(std::move(s.value()));
                          });
      !r) {
    return Error{r.error()};
  }
  std::set<std::string> names, paths;
  if (auto r = each_table(ctx, root, "source",
                          [&](const Table& t) -> Result<bool> {
                            HG_GET(s, read_source(t, c.catalogue));
                            if (!names.insert(s.name).second)
                              return t.error("name", "another source is named " + s.name);
                            if (!paths.insert(s.path).second)
                              return t.error("path", "another source uses " + s.path);
                            c.sources.push_back(std::move(s));
                            return true;
                          });
      !r) {
    return Error{r.error()};
  }
  for (const auto& a : c.sources) {
    const auto kind = handshakes::parse_kind(a.handshake);
    if (!kind || !handshakes::answers_with_mac(*kind)) continue;
    // The handshake MACs tokens under this key; under another source's scheme the same MAC could
    // be an event signature, so the key must be this source's alone.
    for (const auto& b : c.sources) {
      if (&a == &b) continue;
      for (const auto& x : a.secrets) {
        for (const auto& y : b.secrets) {
          if (x.value == y.value) {
            return Error{"source " + a.name + ": its secret is also a secret of source " + b.name +
                         "; handshake " + a.handshake + " answers with an HMAC under it"};
          }
        }
      }
    }
  }
  names.clear();
  if (auto r = each_table(ctx, root, "destination",
                          [&](const Table& t) -> Result<bool> {
                            HG_GET(d, read_destination(t));
                            if (!names.insert(d.name).second)
                              return t.error("name", "another destination is named " + d.name);
                            c.destinations.push_back(std::move(d));
                            return true;
                          });
      !r) {
    return Error{r.error()};
  }
  HG_GET(outbound, sub("outbound"));
  if (outbound) {
    const Table t(ctx, *outbound, "outbound");
    if (auto r = read_outbound(t, c); !r) return Error{r.error()};
    for (const auto& name : c.outbound.operational_destinations) {
      const bool known = std::any_of(c.destinations.begin(), c.destinations.end(),
                                     [&](const Destination& d) { return d.name == name; });
      if (!known) {
        return t.error("operational_destinations", "no [[destination]] is named '" + name + "'");
      }
    }
  }
  HG_GET(api, sub("api"));
  if (api) {
    if (auto r = read_api(Table(ctx, *api, "api"), c); !r) return Error{r.error()};
  }
  HG_GET(metrics, sub("metrics"));
  if (metrics) {
    if (auto r = read_metrics(Table(ctx, *metrics, "metrics"), c); !r) return Error{r.error()};
  }
  HG_GET(console, sub("console"));
  if (console) {
    if (auto r = read_console(Table(ctx, *console, "console"), c); !r) return Error{r.error()};
  }
  if (c.api.enabled && c.outbound.timeout + std::chrono::seconds(1) > c.delivery.lease) {
    const Table t(ctx, outbound != nullptr ? *outbound : root,
                  outbound != nullptr ? "outbound" : "");
    return t.error("timeout_ms", "must be at least a second shorter than [delivery] lease_seconds");
  }
  for (const auto& d : c.destinations) {
    if (d.timeout + std::chrono::seconds(1) > c.delivery.lease) {
      const Table t(ctx, delivery != nullptr ? *delivery : root,
                    delivery != nullptr ? "delivery" : "");
      return t.error("lease_seconds", "must exceed destination " + d.name +
                                          "'s timeout_ms by at least a second, or two nodes "
                                          "could attempt the same delivery at once");
    }
  }
  if (auto r = each_table(ctx, root, "route",
                          [&](const Table& t) -> Result<bool> {
                            HG_GET(route, read_route(t, c));
                            c.routes.push_back(std::move(route));
                            return true;
                          });
      !r) {
    return Error{r.error()};
  }
  return c;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot read the config file"};
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace hookgate::config
