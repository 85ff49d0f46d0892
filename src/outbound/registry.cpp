// Management operations over versioned records: validation, secrets, compare-and-set updates.
#include "outbound/registry.hpp"

#include <algorithm>

#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/random.hpp"
#include "hookgate/net/http_url.hpp"
#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/key.hpp"
#include "hookgate/schemes/secret.hpp"

namespace hookgate::outbound {

namespace {

constexpr std::size_t kMaxPage = 250;
constexpr int kCasRetries = 16;
constexpr std::string_view kKeyAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

Error invalid(const std::string& message) {
  return Error{"invalid: " + message};
}
Error not_found(const std::string& message) {
  return Error{"not_found: " + message};
}
Error store_error(const std::string& message) {
  return Error{"store_error: " + message};
}

bool token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Headers Hookgate sets itself, or that would change how the request is framed or signed.
bool reserved_header(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  return name.starts_with("webhook-") || name == "host" || name == "content-length" ||
         name == "transfer-encoding" || name == "connection" || name == "content-type" ||
         name == "user-agent" || name == "te" || name == "upgrade" || name == "trailer";
}

std::string sha256_hex(std::string_view text) {
  return crypto::hex_encode(crypto::digest(crypto::DigestAlgorithm::sha256, text));
}

Result<SigningKey> generate_key(bool ed25519) {
  auto made = schemes::generate_secret(standard_webhooks(), ed25519 ? "ed25519" : "whsec");
  if (!made) return Error{"internal: " + made.error()};
  return SigningKey{made->secret, made->public_key, 0};
}

Result<SigningKey> supplied_key(const std::string& secret, bool ed25519) {
  if (ed25519) {
    if (!secret.starts_with("whsk_")) return invalid("an ed25519 endpoint's secret is a whsk_ key");
    auto key = schemes::Key::parse_private_key(standard_webhooks(), secret);
    if (!key) return invalid("secret: " + key.error());
    // The public half is derived from the supplied private key.
    const auto& priv = key->private_key();
    if (!priv) return invalid("secret: not a private key");
    return SigningKey{secret, "whpk_" + crypto::base64_encode(priv->public_key().raw()), 0};
  }
  if (!secret.starts_with("whsec_")) {
    return invalid("secret must be a whsec_ secret (base64 of 24 to 64 random bytes)");
  }
  auto key = schemes::Key::parse_secret(standard_webhooks(), secret);
  if (!key) return invalid("secret: " + key.error());
  const auto raw = crypto::base64_decode(std::string_view(secret).substr(6));
  if (!raw || raw->size() < 24 || raw->size() > 64) {
    return invalid("secret must hold 24 to 64 bytes after whsec_");
  }
  return SigningKey{secret, "", 0};
}

// The half a receiver needs: an HMAC secret is shared by nature; of an Ed25519 pair only the
// public key ever leaves Hookgate.
std::string receiver_key_of(const SigningKey& key, bool ed25519) {
  return ed25519 ? key.public_key : key.secret;
}

}  // namespace

Registry::Registry(store::Store& store, RegistrySettings settings,
                   std::function<std::int64_t()> now_ms)
    : store_(store), settings_(std::move(settings)), now_ms_(std::move(now_ms)) {}

Result<Endpoint> Registry::decode(const store::Record& record) const {
  auto e = endpoint_from_json(record.body, record.version);
  if (!e) return e;
  for (auto& k : e->keys) {
    if (!SecretSeal::is_sealed(k.secret)) continue;  // a row from before sealing
    if (!settings_.seal) {
      return Error{"endpoint " + e->id +
                   ": its secret is sealed and no [outbound] secret_key is set"};
    }
    auto opened = settings_.seal->open(e->id, k.secret);
    if (!opened) return Error{"endpoint " + e->id + ": " + opened.error()};
    k.secret = std::move(opened.value());
  }
  return e;
}

Result<std::string> Registry::encode(const Endpoint& endpoint) const {
  if (!settings_.seal) {
    return Error{"no [outbound] secret_key to seal endpoint secrets with; none is stored in clear"};
  }
  Endpoint sealed = endpoint;
  for (auto& k : sealed.keys)
    k.secret = settings_.seal->seal(sealed.id, k.secret);
  return to_json(sealed);
}

Result<std::size_t> Registry::seal_stored_secrets() {
  std::size_t sealed = 0;
  std::string cursor;
  do {
    auto rows = store_.records(kEndpointKind, "", cursor, kMaxPage);  // every application's
    if (!rows) return store_error(rows.error());
    for (const auto& row : *rows) {
      auto e = decode(row);  // opens every sealed secret: a wrong key shows here
      if (!e) return Error{e.error()};
      const auto raw = endpoint_from_json(row.body, row.version);
      const bool clear =
          raw && std::any_of(raw->keys.begin(), raw->keys.end(),
                             [](const SigningKey& k) { return !SecretSeal::is_sealed(k.secret); });
      if (!clear) continue;
      auto rewritten = modify_endpoint(row.id, [](Endpoint&) { return true; });
      if (!rewritten) return Error{rewritten.error()};
      ++sealed;
    }
    cursor = rows->size() == kMaxPage ? rows->back().id : "";
  } while (!cursor.empty());
  return sealed;
}

Result<bool> Registry::check_url(const std::string& url) const {
  auto parsed = net::parse_http_url(url);
  if (!parsed) return invalid("url: " + parsed.error());
  if (auto refused = settings_.policy.refusal(*parsed)) return invalid("url: " + *refused);
  return true;
}

Result<bool> Registry::apply(Endpoint& e, const EndpointInput& in, bool creating) const {
  if (in.url) {
    if (auto ok = check_url(*in.url); !ok) return ok;
    if (*in.url != e.url) {
      // A new address has not said it wants these events: verify it again.
      e.verified = e.verification == Verification::none;
      e.verification_error.clear();
    }
    e.url = *in.url;
  } else if (creating) {
    return invalid("url is required");
  }
  if (in.description) {
    if (in.description->size() > 1024) return invalid("description: at most 1024 bytes");
    e.description = *in.description;
  }
  if (in.event_types) {
    if (in.event_types->size() > 256) return invalid("event_types: at most 256");
    for (const auto& t : *in.event_types) {
      if (t.empty() || t.size() > 256) return invalid("event_types: names of 1 to 256 bytes");
    }
    e.event_types = *in.event_types;
  }
  if (in.enabled) {
    e.enabled = *in.enabled;
    if (e.enabled) {
      e.disabled_reason.clear();
      e.failing_since_ms = 0;
    }
  }
  if (in.rate_limit) {
    if (!(*in.rate_limit >= 0 && *in.rate_limit <= 100000)) {
      return invalid("rate_limit: 0 (none) to 100000 per second");
    }
    e.rate_limit = *in.rate_limit;
  }
  if (in.rate_burst) {
    if (*in.rate_burst < 1 || *in.rate_burst > 1000) return invalid("rate_burst: 1 to 1000");
    e.rate_burst = static_cast<int>(*in.rate_burst);
  }
  if (in.headers) {
    if (in.headers->size() > 32) return invalid("headers: at most 32");
    for (const auto& [k, v] : *in.headers) {
      if (k.empty() || k.size() > 128 || !std::all_of(k.begin(), k.end(), token_char)) {
        return invalid("headers: names are HTTP tokens of at most 128 bytes");
      }
      if (reserved_header(k)) return invalid("headers: " + k + " is set by Hookgate");
      if (v.size() > 4096 || v.find_first_of("\r\n") != std::string::npos ||
          std::any_of(v.begin(), v.end(), [](char c) { return c == '\0'; })) {
        return invalid("headers: values are single lines of at most 4096 bytes");
      }
    }
    e.headers = *in.headers;
  }
  if (in.verification) {
    const auto v = parse_verification(*in.verification);
    if (!v) return invalid("verification: none, echo, challenge or hmac_challenge");
    // The answer is a MAC under the endpoint's shared secret: an Ed25519 receiver holds none.
    if (*v == Verification::hmac_challenge && e.ed25519) {
      return invalid("verification: hmac_challenge needs an HMAC endpoint (signing hmac)");
    }
    if (*v != e.verification || creating) {
      e.verification = *v;
      e.verified = *v == Verification::none;
      e.verification_error.clear();
    }
  } else if (creating) {
    e.verified = e.verification == Verification::none;
  }
  if (in.encryption_key) {
    if (!in.encryption_key->empty()) {
      const auto raw = crypto::base64_decode(*in.encryption_key);
      if (!raw || raw->size() != 32) {
        return invalid("encryption_key: base64 of a 32-byte X25519 public key");
      }
    }
    e.encryption_key = *in.encryption_key;
  }
  if (!creating && (in.secret || in.signing)) {
    return invalid("secret and signing are set at creation; use the rotate call to change keys");
  }
  return true;
}

Result<App> Registry::create_app(const std::string& name) {
  if (name.empty() || name.size() > 256) return invalid("name: 1 to 256 bytes");
  App a{new_id("app_"), name, now_ms_(), 1};
  auto put = store_.put_record({std::string(kAppKind), a.id, "", to_json(a), 0}, 0);
  if (!put) return store_error(put.error());
  if (!*put) return Error{"conflict: application id collision, try again"};
  return a;
}

Result<App> Registry::app(const std::string& id) {
  auto r = store_.record(kAppKind, id);
  if (!r) return store_error(r.error());
  if (!r->has_value()) return not_found("no application " + id);
  return app_from_json((*r)->body, (*r)->version);
}

Result<Page<App>> Registry::apps(const std::string& cursor, std::size_t limit) {
  limit = std::clamp<std::size_t>(limit, 1, kMaxPage);
  auto rows = store_.records(kAppKind, "", cursor, limit + 1);
  if (!rows) return store_error(rows.error());
  Page<App> page;
  for (std::size_t i = 0; i < rows->size() && i < limit; ++i) {
    auto a = app_from_json((*rows)[i].body, (*rows)[i].version);
    if (a) page.items.push_back(std::move(a.value()));
  }
  if (rows->size() > limit) page.next = (*rows)[limit - 1].id;
  return page;
}

Result<bool> Registry::delete_app(const std::string& id) {
  if (auto a = app(id); !a) return Error{a.error()};
  for (;;) {
    auto eps = store_.records(kEndpointKind, id, "", kMaxPage);
    if (!eps) return store_error(eps.error());
    if (eps->empty()) break;
    for (const auto& r : *eps) {
      if (auto d = store_.delete_record(kEndpointKind, r.id); !d) return store_error(d.error());
    }
  }
  // Its API keys go with it: they must not keep authenticating for an application that is gone.
  for (;;) {
    auto keys = store_.records(kApiKeyKind, id, "", kMaxPage);
    if (!keys) return store_error(keys.error());
    if (keys->empty()) break;
    for (const auto& r : *keys) {
      if (auto d = store_.delete_record(kApiKeyKind, r.id); !d) return store_error(d.error());
    }
  }
  auto d = store_.delete_record(kAppKind, id);
  if (!d) return store_error(d.error());
  return true;
}

Result<CreatedEndpoint> Registry::create_endpoint(const std::string& app_id,
                                                  const EndpointInput& input) {
  if (auto a = app(app_id); !a) return Error{a.error()};
  Endpoint e;
  e.id = new_id("ep_");
  e.app_id = app_id;
  e.created_ms = e.updated_ms = now_ms_();
  const std::string signing = input.signing.value_or("hmac");
  if (signing != "hmac" && signing != "ed25519") return invalid("signing: hmac or ed25519");
  e.ed25519 = signing == "ed25519";
  if (auto ok = apply(e, input, true); !ok) return Error{ok.error()};
  auto key = input.secret ? supplied_key(*input.secret, e.ed25519) : generate_key(e.ed25519);
  if (!key) return Error{key.error()};
  e.keys.push_back(std::move(key.value()));
  auto row = encode(e);
  if (!row) return store_error(row.error());
  auto put = store_.put_record({std::string(kEndpointKind), e.id, app_id, *row, 0}, 0);
  if (!put) return store_error(put.error());
  if (!*put) return Error{"conflict: endpoint id collision, try again"};
  e.version = 1;
  CreatedEndpoint out{e, receiver_key_of(e.keys.front(), e.ed25519)};
  return out;
}

Result<Endpoint> Registry::endpoint_by_id(const std::string& id) {
  auto r = store_.record(kEndpointKind, id);
  if (!r) return store_error(r.error());
  if (!r->has_value()) return not_found("no endpoint " + id);
  auto e = decode(**r);
  if (!e) return store_error(e.error());
  return e;
}

Result<Endpoint> Registry::endpoint(const std::string& app_id, const std::string& id) {
  auto e = endpoint_by_id(id);
  if (!e) return e;
  // An endpoint of another application is as absent as one that does not exist.
  if (e->app_id != app_id) return not_found("no endpoint " + id);
  return e;
}

Result<Page<Endpoint>> Registry::endpoints(const std::string& app_id, const std::string& cursor,
                                           std::size_t limit) {
  if (auto a = app(app_id); !a) return Error{a.error()};
  limit = std::clamp<std::size_t>(limit, 1, kMaxPage);
  auto rows = store_.records(kEndpointKind, app_id, cursor, limit + 1);
  if (!rows) return store_error(rows.error());
  Page<Endpoint> page;
  for (std::size_t i = 0; i < rows->size() && i < limit; ++i) {
    auto e = decode((*rows)[i]);
    if (!e) return store_error(e.error());
    page.items.push_back(std::move(e.value()));
  }
  if (rows->size() > limit) page.next = (*rows)[limit - 1].id;
  return page;
}

Result<std::vector<std::string>> Registry::subscribers(const std::string& app_id,
                                                       std::string_view event_type) {
  if (auto a = app(app_id); !a) return Error{a.error()};
  std::vector<std::string> ids;
  std::string cursor;
  for (;;) {
    auto rows = store_.records(kEndpointKind, app_id, cursor, kMaxPage);
    if (!rows) return store_error(rows.error());
    for (const auto& row : *rows) {
      auto e = endpoint_from_json(row.body, row.version);
      if (!e) return store_error(e.error());
      // An unverified endpoint gets nothing: it has not shown that it wants these events.
      if (e->enabled && e->verified && e->wants(event_type)) ids.push_back(e->id);
    }
    if (rows->size() < kMaxPage) break;
    cursor = rows->back().id;
  }
  return ids;
}

Result<Endpoint> Registry::modify_endpoint(const std::string& id,
                                           const std::function<bool(Endpoint&)>& change) {
  for (int attempt = 0; attempt < kCasRetries; ++attempt) {
    auto current = endpoint_by_id(id);
    if (!current) return current;
    Endpoint e = *current;
    if (!change(e)) return current;  // nothing to change
    e.updated_ms = now_ms_();
    auto row = encode(e);
    if (!row) return store_error(row.error());
    auto put = store_.put_record({std::string(kEndpointKind), e.id, e.app_id, *row, 0}, e.version);
    if (!put) return store_error(put.error());
    if (*put) {
      e.version += 1;
      return e;
    }
  }
  return Error{"conflict: the endpoint kept changing; try again"};
}

Result<Endpoint> Registry::update_endpoint(const std::string& app_id, const std::string& id,
                                           const EndpointInput& input) {
  if (auto e = endpoint(app_id, id); !e) return e;
  std::optional<Error> problem;
  auto updated = modify_endpoint(id, [&](Endpoint& e) {
    if (auto ok = apply(e, input, false); !ok) {
      problem = Error{ok.error()};
      return false;
    }
    return true;
  });
  if (problem) return *problem;
  return updated;
}

Result<bool> Registry::delete_endpoint(const std::string& app_id, const std::string& id) {
  if (auto e = endpoint(app_id, id); !e) return Error{e.error()};
  auto d = store_.delete_record(kEndpointKind, id);
  if (!d) return store_error(d.error());
  return true;
}

Result<std::string> Registry::reveal_secret(const std::string& app_id, const std::string& id) {
  auto e = endpoint(app_id, id);
  if (!e) return Error{e.error()};
  if (e->keys.empty()) return not_found("endpoint " + id + " has no key");
  return receiver_key_of(e->keys.front(), e->ed25519);
}

Result<std::string> Registry::rotate_secret(const std::string& app_id, const std::string& id,
                                            const std::optional<std::string>& secret,
                                            std::optional<std::chrono::seconds> grace) {
  auto e = endpoint(app_id, id);
  if (!e) return Error{e.error()};
  const auto period = grace.value_or(settings_.default_grace);
  if (period.count() < 0 || period > std::chrono::hours(24 * 30)) {
    return invalid("grace_seconds: 0 to 2592000");
  }
  auto key = secret ? supplied_key(*secret, e->ed25519) : generate_key(e->ed25519);
  if (!key) return Error{key.error()};
  const auto now = now_ms_();
  auto updated = modify_endpoint(id, [&](Endpoint& ep) {
    std::vector<SigningKey> keys{*key};
    for (auto k : ep.keys) {
      if (k.expires_ms != 0 && k.expires_ms <= now) continue;  // already expired: drop
      if (k.expires_ms == 0) k.expires_ms = now + std::chrono::milliseconds(period).count();
      if (period.count() > 0) keys.push_back(k);
    }
    ep.keys = std::move(keys);
    return true;
  });
  if (!updated) return Error{updated.error()};
  return receiver_key_of(*key, e->ed25519);
}

Result<CreatedApiKey> Registry::create_api_key(const std::string& name, const std::string& scope) {
  if (name.size() > 256) return invalid("name: at most 256 bytes");
  if (scope != "admin") {
    if (auto a = app(scope); !a) return invalid("scope: \"admin\" or an existing application id");
  }
  CreatedApiKey out;
  out.plaintext = "hgk_" + crypto::random_string(40, kKeyAlphabet);
  out.key.hash = sha256_hex(out.plaintext);
  out.key.prefix = out.plaintext.substr(0, 10);
  out.key.name = name;
  out.key.scope = scope;
  out.key.created_ms = now_ms_();
  auto put = store_.put_record(
      {std::string(kApiKeyKind), out.key.hash, scope == "admin" ? "" : scope, to_json(out.key), 0},
      0);
  if (!put) return store_error(put.error());
  if (!*put) return Error{"conflict: key collision, try again"};
  return out;
}

Result<std::optional<ApiKey>> Registry::find_api_key(const std::string& plaintext) {
  if (!plaintext.starts_with("hgk_") || plaintext.size() > 128) {
    return std::optional<ApiKey>();
  }
  // Looked up by hash: the comparison happens on a digest an attacker cannot steer byte by byte.
  auto r = store_.record(kApiKeyKind, sha256_hex(plaintext));
  if (!r) return store_error(r.error());
  if (!r->has_value()) return std::optional<ApiKey>();
  auto key = api_key_from_json((*r)->body);
  if (!key) return store_error(key.error());
  return std::optional<ApiKey>(std::move(key.value()));
}

Result<Page<ApiKey>> Registry::api_keys(const std::string& cursor, std::size_t limit) {
  limit = std::clamp<std::size_t>(limit, 1, kMaxPage);
  auto rows = store_.records(kApiKeyKind, "", cursor, limit + 1);
  if (!rows) return store_error(rows.error());
  Page<ApiKey> page;
  for (std::size_t i = 0; i < rows->size() && i < limit; ++i) {
    auto k = api_key_from_json((*rows)[i].body);
    if (k) page.items.push_back(std::move(k.value()));
  }
  if (rows->size() > limit) page.next = (*rows)[limit - 1].id;
  return page;
}

Result<bool> Registry::delete_api_key(const std::string& hash) {
  auto r = store_.record(kApiKeyKind, hash);
  if (!r) return store_error(r.error());
  if (!r->has_value()) return not_found("no API key " + hash.substr(0, 16));
  auto d = store_.delete_record(kApiKeyKind, hash);
  if (!d) return store_error(d.error());
  return true;
}

}  // namespace hookgate::outbound
