// Management operations over versioned records: validation, secrets, compare-and-set updates.
#include "outbound/registry.hpp"

#include <algorithm>
#include <boost/json.hpp>

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

// Svix's uid rule: 1 to 256 of [a-zA-Z0-9-_.]; and not the id prefix, so a uid never looks
// like (or shadows) an id.
bool svix_name(const std::string& name) {
  return !name.empty() && name.size() <= 256 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

Result<bool> check_uid(const std::string& uid, std::string_view id_prefix) {
  if (!svix_name(uid)) {
    return invalid("uid: 1 to 256 of a-z, A-Z, 0-9, '-', '_' and '.'");
  }
  if (uid.starts_with(id_prefix)) {
    return invalid("uid: must not start with \"" + std::string(id_prefix) + "\" (ids do)");
  }
  return true;
}

Result<bool> check_metadata(const Metadata& m) {
  if (m.size() > 64) return invalid("metadata: at most 64 entries");
  for (const auto& [k, v] : m) {
    if (k.empty() || k.size() > 256 || v.size() > 4096) {
      return invalid("metadata: keys of 1 to 256 bytes, values of at most 4096");
    }
  }
  return true;
}

Result<bool> check_names(const std::vector<std::string>& names, std::string_view what) {
  if (names.size() > 256) return invalid(std::string(what) + ": at most 256");
  for (const auto& t : names) {
    if (t.empty() || t.size() > 256)
      return invalid(std::string(what) + ": names of 1 to 256 bytes");
  }
  return true;
}

std::string endpoint_uid_key(const std::string& app_id, const std::string& uid) {
  return app_id + "/" + uid;
}

std::string sha256_hex(std::string_view text) {
  return crypto::hex_encode(crypto::digest(crypto::DigestAlgorithm::sha256, text));
}

Result<SigningKey> generate_key(bool ed25519) {
  auto made = schemes::generate_secret(standard_webhooks(), ed25519 ? "ed25519" : "whsec");
  if (!made) return Error{"internal: " + made.error()};
  return SigningKey{made->secret, made->public_key, 0};
}

Result<SigningKey> supplied_key(const std::string& given, bool ed25519) {
  // Svix takes the base64 with or without the whsec_ prefix; stored with it.
  const std::string secret = ed25519 || given.starts_with("whsec_") || given.starts_with("whsk_")
                                 ? given
                                 : "whsec_" + given;
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
    : store_(store), settings_(std::move(settings)), now_ms_(std::move(now_ms)), fanout_(store) {}

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
    if (auto ok = check_names(*in.event_types, "eventTypes"); !ok) return ok;
    e.event_types = *in.event_types;
  }
  if (in.channels) {
    if (in.channels->size() > 10) return invalid("channels: at most 10");
    for (const auto& c : *in.channels) {
      if (c.empty() || c.size() > 128) return invalid("channels: names of 1 to 128 bytes");
    }
    e.channels = *in.channels;
  }
  if (in.uid) {
    if (!in.uid->empty()) {
      if (auto ok = check_uid(*in.uid, "ep_"); !ok) return ok;
    }
    e.uid = *in.uid;
  }
  if (in.metadata) {
    if (auto ok = check_metadata(*in.metadata); !ok) return ok;
    e.metadata = *in.metadata;
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
      return invalid("throttleRate: 0 (none) to 100000 per second");
    }
    e.rate_limit = *in.rate_limit;
  }
  if (in.rate_burst) {
    if (*in.rate_burst < 1 || *in.rate_burst > 1000) return invalid("rateBurst: 1 to 1000");
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
        return invalid("encryptionKey: base64 of a 32-byte X25519 public key");
      }
    }
    e.encryption_key = *in.encryption_key;
  }
  if (!creating && (in.secret || in.signing)) {
    return invalid("secret and signing are set at creation; use the rotate call to change keys");
  }
  return true;
}

Result<std::optional<std::string>> Registry::claimed(std::string_view kind,
                                                     const std::string& key) {
  auto r = store_.record(kind, key);
  if (!r) return store_error(r.error());
  if (!r->has_value()) return std::optional<std::string>();
  boost::system::error_code ec;
  const auto v = boost::json::parse((*r)->body, ec);
  if (ec || !v.is_object()) return std::optional<std::string>();
  const auto* t = v.as_object().if_contains("target");
  if (t == nullptr || !t->is_string()) return std::optional<std::string>();
  return std::optional<std::string>(std::string(t->as_string()));
}

Result<bool> Registry::claim(std::string_view kind, const std::string& key,
                             const std::string& owner, const std::string& target,
                             const std::function<Result<bool>(const std::string&)>& holds) {
  const auto body = boost::json::serialize(boost::json::object{{"target", target}});
  for (int attempt = 0; attempt < kCasRetries; ++attempt) {
    auto put = store_.put_record({std::string(kind), key, owner, body, 0}, 0);
    if (!put) return store_error(put.error());
    if (*put) return true;
    auto r = store_.record(kind, key);
    if (!r) return store_error(r.error());
    if (!r->has_value()) continue;  // released meanwhile: create again
    auto current = claimed(kind, key);
    if (!current) return Error{current.error()};
    if (*current && **current == target) return true;
    if (*current) {
      auto held = holds(**current);
      if (!held) return Error{held.error()};
      if (*held) return false;
    }
    // Left behind (its holder is gone or renamed): taken over unless someone else did first.
    auto taken = store_.put_record({std::string(kind), key, owner, body, 0}, (*r)->version);
    if (!taken) return store_error(taken.error());
    if (*taken) return true;
  }
  return Error{"conflict: the uid kept changing hands; try again"};
}

void Registry::release(std::string_view kind, const std::string& key, const std::string& target) {
  auto current = claimed(kind, key);
  if (current && *current && **current == target) (void)store_.delete_record(kind, key);
}

Result<bool> Registry::app_holds(const std::string& app_id, const std::string& uid) {
  auto r = store_.record(kAppKind, app_id);
  if (!r) return store_error(r.error());
  if (!r->has_value()) return false;
  auto a = app_from_json((*r)->body, (*r)->version);
  return a && a->uid == uid;
}

Result<bool> Registry::endpoint_holds(const std::string& endpoint_id, const std::string& uid) {
  auto r = store_.record(kEndpointKind, endpoint_id);
  if (!r) return store_error(r.error());
  if (!r->has_value()) return false;
  auto e = endpoint_from_json((*r)->body, (*r)->version);
  return e && e->uid == uid;
}

Result<std::optional<std::string>> Registry::app_id_of(const std::string& id_or_uid) {
  if (id_or_uid.starts_with("app_")) return std::optional<std::string>(id_or_uid);
  auto target = claimed(kAppUidKind, id_or_uid);
  if (!target || !*target) return target;
  // A claim outlives a crash between its steps: it counts only while the application holds it.
  auto holds = app_holds(**target, id_or_uid);
  if (!holds) return Error{holds.error()};
  if (!*holds) return std::optional<std::string>();
  return target;
}

Result<std::optional<std::string>> Registry::endpoint_id_of(const std::string& app_id,
                                                            const std::string& id_or_uid) {
  if (id_or_uid.starts_with("ep_")) return std::optional<std::string>(id_or_uid);
  auto target = claimed(kEndpointUidKind, endpoint_uid_key(app_id, id_or_uid));
  if (!target || !*target) return target;
  auto holds = endpoint_holds(**target, id_or_uid);
  if (!holds) return Error{holds.error()};
  if (!*holds) return std::optional<std::string>();
  return target;
}

Result<App> Registry::create_app(const AppInput& input) {
  App a;
  a.id = new_id("app_");
  a.created_ms = a.updated_ms = now_ms_();
  a.version = 1;
  const auto name = input.name.value_or("");
  if (name.empty() || name.size() > 256) return invalid("name: 1 to 256 bytes");
  a.name = name;
  if (input.uid && !input.uid->empty()) {
    if (auto ok = check_uid(*input.uid, "app_"); !ok) return Error{ok.error()};
    a.uid = *input.uid;
  }
  if (input.throttle_rate && *input.throttle_rate) {
    const double r = **input.throttle_rate;
    if (!(r >= 0 && r <= 100000)) return invalid("throttleRate: 0 to 100000 per second");
    a.throttle_rate = r;
  }
  if (input.metadata) {
    if (auto ok = check_metadata(*input.metadata); !ok) return Error{ok.error()};
    a.metadata = *input.metadata;
  }
  auto put = store_.put_record({std::string(kAppKind), a.id, "", to_json(a), 0}, 0);
  if (!put) return store_error(put.error());
  if (!*put) return Error{"conflict: application id collision, try again"};
  if (!a.uid.empty()) {
    // Written first, claimed second: a claim always names an application that exists, so a
    // claim whose application is gone (or renamed) is one left behind and may be taken over.
    auto claimed_uid = claim(kAppUidKind, a.uid, a.id, a.id,
                             [&](const std::string& other) { return app_holds(other, a.uid); });
    if (!claimed_uid || !*claimed_uid) {
      (void)store_.delete_record(kAppKind, a.id);
      if (!claimed_uid) return Error{claimed_uid.error()};
      return Error{"conflict: an application with uid " + a.uid + " already exists"};
    }
  }
  return a;
}

Result<App> Registry::modify_app(const std::string& id,
                                 const std::function<Result<bool>(App&)>& change) {
  for (int attempt = 0; attempt < kCasRetries; ++attempt) {
    auto current = app(id);
    if (!current) return current;
    App a = *current;
    auto changed = change(a);
    if (!changed) return Error{changed.error()};
    if (!*changed) return current;
    a.updated_ms = now_ms_();
    auto put = store_.put_record({std::string(kAppKind), a.id, "", to_json(a), 0}, a.version);
    if (!put) return store_error(put.error());
    if (*put) {
      a.version += 1;
      return a;
    }
  }
  return Error{"conflict: the application kept changing; try again"};
}

Result<App> Registry::update_app(const std::string& id, const AppInput& input) {
  if (input.name && (input.name->empty() || input.name->size() > 256)) {
    return invalid("name: 1 to 256 bytes");
  }
  if (input.uid && !input.uid->empty()) {
    if (auto ok = check_uid(*input.uid, "app_"); !ok) return Error{ok.error()};
  }
  if (input.throttle_rate && *input.throttle_rate) {
    const double r = **input.throttle_rate;
    if (!(r >= 0 && r <= 100000)) return invalid("throttleRate: 0 to 100000 per second");
  }
  if (input.metadata) {
    if (auto ok = check_metadata(*input.metadata); !ok) return Error{ok.error()};
  }
  auto before = app(id);
  if (!before) return before;
  const std::string old_uid = before->uid;
  auto updated = modify_app(id, [&](App& a) -> Result<bool> {
    if (input.name) a.name = *input.name;
    if (input.uid) a.uid = *input.uid;
    if (input.throttle_rate) a.throttle_rate = *input.throttle_rate;
    if (input.metadata) a.metadata = *input.metadata;
    return true;
  });
  if (!updated) return updated;
  if (updated->uid != old_uid) {
    if (!updated->uid.empty()) {
      const std::string uid = updated->uid;
      auto claimed_uid = claim(kAppUidKind, uid, id, id,
                               [&](const std::string& other) { return app_holds(other, uid); });
      if (!claimed_uid || !*claimed_uid) {
        // Taken: the application gets its former uid back.
        (void)modify_app(id, [&](App& a) -> Result<bool> {
          if (a.uid != uid) return false;
          a.uid = old_uid;
          return true;
        });
        if (!claimed_uid) return Error{claimed_uid.error()};
        return Error{"conflict: an application with uid " + uid + " already exists"};
      }
    }
    if (!old_uid.empty()) release(kAppUidKind, old_uid, id);
  }
  return updated;
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
  // Its uid claims (the application's and its endpoints', all owned by it) go last: until the
  // application is gone they still name it.
  for (const auto kind : {kAppUidKind, kEndpointUidKind}) {
    for (;;) {
      auto claims = store_.records(kind, id, "", kMaxPage);
      if (!claims) return store_error(claims.error());
      if (claims->empty()) break;
      for (const auto& r : *claims) {
        if (auto gone = store_.delete_record(kind, r.id); !gone) return store_error(gone.error());
      }
    }
  }
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
  if (!e.uid.empty()) {
    auto claimed_uid =
        claim(kEndpointUidKind, endpoint_uid_key(app_id, e.uid), app_id, e.id,
              [&](const std::string& other) { return endpoint_holds(other, e.uid); });
    if (!claimed_uid || !*claimed_uid) {
      (void)store_.delete_record(kEndpointKind, e.id);
      if (!claimed_uid) return Error{claimed_uid.error()};
      return Error{"conflict: an endpoint with uid " + e.uid + " already exists"};
    }
  }
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
                                                       std::string_view event_type,
                                                       const std::vector<std::string>& channels) {
  if (auto a = app(app_id); !a) return Error{a.error()};
  return fanout_.subscribers(app_id, event_type, channels);
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
  auto before = endpoint(app_id, id);
  if (!before) return before;
  const std::string old_uid = before->uid;
  std::optional<Error> problem;
  auto updated = modify_endpoint(id, [&](Endpoint& e) {
    if (auto ok = apply(e, input, false); !ok) {
      problem = Error{ok.error()};
      return false;
    }
    return true;
  });
  if (problem) return *problem;
  if (!updated) return updated;
  if (updated->uid != old_uid) {
    if (!updated->uid.empty()) {
      const std::string uid = updated->uid;
      auto claimed_uid =
          claim(kEndpointUidKind, endpoint_uid_key(app_id, uid), app_id, id,
                [&](const std::string& other) { return endpoint_holds(other, uid); });
      if (!claimed_uid || !*claimed_uid) {
        (void)modify_endpoint(id, [&](Endpoint& e) {
          if (e.uid != uid) return false;
          e.uid = old_uid;
          return true;
        });
        if (!claimed_uid) return Error{claimed_uid.error()};
        return Error{"conflict: an endpoint with uid " + uid + " already exists"};
      }
    }
    if (!old_uid.empty()) release(kEndpointUidKind, endpoint_uid_key(app_id, old_uid), id);
  }
  return updated;
}

Result<bool> Registry::delete_endpoint(const std::string& app_id, const std::string& id) {
  auto e = endpoint(app_id, id);
  if (!e) return Error{e.error()};
  auto d = store_.delete_record(kEndpointKind, id);
  if (!d) return store_error(d.error());
  if (!e->uid.empty()) release(kEndpointUidKind, endpoint_uid_key(app_id, e->uid), id);
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
    return invalid("gracePeriodSeconds: 0 to 2592000");
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

namespace {

Result<bool> check_event_type_input(const EventTypeInput& in) {
  if (in.description && in.description->size() > 4096) {
    return invalid("description: at most 4096 bytes");
  }
  if (in.schemas && in.schemas->size() > kMaxEventTypeSchemas) {
    return invalid("schemas: at most 64 KiB of JSON");
  }
  if (in.feature_flags) {
    if (auto ok = check_names(*in.feature_flags, "featureFlags"); !ok) return ok;
  }
  if (in.group_name && in.group_name->size() > 256) return invalid("groupName: at most 256 bytes");
  return true;
}

// Sets what input holds; with replace, what it does not hold goes back to its default.
void apply_event_type(EventType& t, const EventTypeInput& in, bool replace) {
  if (in.description || replace) t.description = in.description.value_or("");
  if (in.archived || replace) t.archived = in.archived.value_or(false);
  if (in.deprecated || replace) t.deprecated = in.deprecated.value_or(false);
  if (in.schemas || replace) t.schemas = in.schemas.value_or("");
  if (in.feature_flags || replace)
    t.feature_flags = in.feature_flags.value_or(std::vector<std::string>{});
  if (in.group_name || replace) t.group_name = in.group_name.value_or("");
}

}  // namespace

Result<EventType> Registry::create_event_type(const std::string& name, const EventTypeInput& in) {
  // Svix's event type names: 1 to 256 of [a-zA-Z0-9-_.].
  if (!svix_name(name)) return invalid("name: 1 to 256 of a-z, A-Z, 0-9, '-', '_' and '.'");
  if (auto ok = check_event_type_input(in); !ok) return Error{ok.error()};
  for (int attempt = 0; attempt < kCasRetries; ++attempt) {
    auto existing = store_.record(kEventTypeKind, name);
    if (!existing) return store_error(existing.error());
    EventType t;
    std::int64_t expected = 0;
    if (existing->has_value()) {
      auto old = event_type_from_json((*existing)->body, (*existing)->version);
      if (!old) return store_error(old.error());
      if (!old->archived) return Error{"conflict: event type " + name + " already exists"};
      // Unarchived by a create: as Svix, the description and schemas are the new ones.
      t.created_ms = old->created_ms;
      expected = old->version;
    } else {
      t.created_ms = now_ms_();
    }
    t.name = name;
    apply_event_type(t, in, true);
    t.updated_ms = now_ms_();
    auto put = store_.put_record({std::string(kEventTypeKind), name, "", to_json(t), 0}, expected);
    if (!put) return store_error(put.error());
    if (*put) {
      t.version = expected + 1;
      return t;
    }
  }
  return Error{"conflict: the event type kept changing; try again"};
}

Result<EventType> Registry::event_type(const std::string& name) {
  auto r = store_.record(kEventTypeKind, name);
  if (!r) return store_error(r.error());
  if (!r->has_value()) return not_found("no event type " + name.substr(0, 256));
  auto t = event_type_from_json((*r)->body, (*r)->version);
  if (!t) return store_error(t.error());
  return t;
}

Result<Page<EventType>> Registry::event_types(const std::string& cursor, std::size_t limit,
                                              bool include_archived) {
  limit = std::clamp<std::size_t>(limit, 1, kMaxPage);
  Page<EventType> page;
  std::string after = cursor;
  // Archived ones are skipped by reading on: a page still holds up to limit live ones.
  for (;;) {
    auto rows = store_.records(kEventTypeKind, "", after, kMaxPage);
    if (!rows) return store_error(rows.error());
    for (const auto& row : *rows) {
      auto t = event_type_from_json(row.body, row.version);
      if (!t || (t->archived && !include_archived)) continue;
      if (page.items.size() == limit) {
        page.next = page.items.back().name;
        return page;
      }
      page.items.push_back(std::move(t.value()));
    }
    if (rows->size() < kMaxPage) return page;
    after = rows->back().id;
  }
}

Result<std::pair<EventType, bool>> Registry::update_event_type(const std::string& name,
                                                               const EventTypeInput& in,
                                                               bool replace, bool upsert) {
  if (auto ok = check_event_type_input(in); !ok) return Error{ok.error()};
  for (int attempt = 0; attempt < kCasRetries; ++attempt) {
    auto current = event_type(name);
    if (!current) {
      if (!upsert || !current.error().starts_with("not_found")) return Error{current.error()};
      auto created = create_event_type(name, in);
      if (created) return std::pair<EventType, bool>{*created, true};
      if (created.error().starts_with("conflict")) continue;  // made meanwhile: update it
      return Error{created.error()};
    }
    EventType t = *current;
    apply_event_type(t, in, replace);
    t.updated_ms = now_ms_();
    auto put = store_.put_record({std::string(kEventTypeKind), name, "", to_json(t), 0}, t.version);
    if (!put) return store_error(put.error());
    if (*put) {
      t.version += 1;
      return std::pair<EventType, bool>{t, false};
    }
  }
  return Error{"conflict: the event type kept changing; try again"};
}

Result<bool> Registry::delete_event_type(const std::string& name, bool expunge) {
  if (expunge) {
    if (auto t = event_type(name); !t) return Error{t.error()};
    auto d = store_.delete_record(kEventTypeKind, name);
    if (!d) return store_error(d.error());
    return true;
  }
  EventTypeInput archive;
  archive.archived = true;
  auto done = update_event_type(name, archive, false, false);
  if (!done) return Error{done.error()};
  return true;
}

Result<CreatedApiKey> Registry::create_api_key(const ApiKey& like) {
  const std::string& name = like.name;
  const std::string& scope = like.scope;
  if (name.size() > 256) return invalid("name: at most 256 bytes");
  if (like.session_id.size() > 256) return invalid("sessionId: at most 256 bytes");
  if (auto ok = check_names(like.feature_flags, "featureFlags"); !ok) return Error{ok.error()};
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
  out.key.expires_ms = like.expires_ms;
  out.key.session_id = like.session_id;
  out.key.capabilities = like.capabilities;
  out.key.feature_flags = like.feature_flags;
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
  return find_api_key_by_hash(sha256_hex(plaintext));
}

Result<std::optional<ApiKey>> Registry::find_api_key_by_hash(const std::string& hash) {
  auto r = store_.record(kApiKeyKind, hash);
  if (!r) return store_error(r.error());
  if (!r->has_value()) return std::optional<ApiKey>();
  auto key = api_key_from_json((*r)->body);
  if (!key) return store_error(key.error());
  // An expired key is refused exactly as an unknown one (and removed on the way).
  if (key->expires_ms != 0 && key->expires_ms <= now_ms_()) {
    (void)store_.delete_record(kApiKeyKind, key->hash);
    return std::optional<ApiKey>();
  }
  return std::optional<ApiKey>(std::move(key.value()));
}

Result<std::size_t> Registry::expire_portal_tokens(const std::string& app_id,
                                                   const std::vector<std::string>& session_ids,
                                                   std::int64_t delay_ms) {
  const auto until = now_ms_() + delay_ms;
  std::size_t cut = 0;
  std::string cursor;
  for (;;) {
    auto rows = store_.records(kApiKeyKind, app_id, cursor, kMaxPage);
    if (!rows) return store_error(rows.error());
    for (const auto& row : *rows) {
      auto k = api_key_from_json(row.body);
      if (!k || k->capabilities.empty()) continue;  // ordinary keys are not portal tokens
      if (!session_ids.empty() &&
          std::find(session_ids.begin(), session_ids.end(), k->session_id) == session_ids.end()) {
        continue;
      }
      if (k->expires_ms != 0 && k->expires_ms <= until) continue;
      if (delay_ms == 0) {
        if (auto d = store_.delete_record(kApiKeyKind, row.id); !d) return store_error(d.error());
      } else {
        k->expires_ms = until;
        auto put = store_.put_record({std::string(kApiKeyKind), row.id, app_id, to_json(*k), 0},
                                     row.version);
        if (!put) return store_error(put.error());
      }
      ++cut;
    }
    if (rows->size() < kMaxPage) break;
    cursor = rows->back().id;
  }
  return cut;
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
