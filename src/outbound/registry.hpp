// Registry: the management operations of the outbound side over the store's versioned records:
// applications, endpoints (URL checked against the outbound policy, secret generated or supplied
// and returned only at creation, rotation with a grace period, verification state) and API keys
// (stored as SHA-256 hashes, shown once). Endpoint secrets are sealed in the store (SecretSeal);
// rows written in clear by earlier versions are still read, and sealed by seal_stored_secrets.
// Every update is compare-and-set, retried on a conflict, so nodes sharing a store never lose each
// other's changes.
//
// Errors are "code: message" with code one of not_found, invalid, conflict, store_error; the API
// layer maps them to HTTP statuses. Messages never contain a secret.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hookgate/net/outbound_policy.hpp"
#include "hookgate/store/store.hpp"
#include "outbound/fanout_cache.hpp"
#include "outbound/model.hpp"
#include "outbound/secret_seal.hpp"

namespace hookgate::outbound {

struct RegistrySettings {
  net::OutboundPolicy policy;
  std::chrono::seconds default_grace{24 * 3600};  // old secret kept valid after a rotation
  // Seals endpoint secrets at rest. Without one, endpoints can be read (clear rows of earlier
  // versions) but none is written: a secret is never stored in clear.
  std::shared_ptr<const SecretSeal> seal;
};

// What a create or update of an application sets; an absent member is left as it is (created:
// its default). uid "" removes the uid; throttle_rate nullopt inside removes the rate.
struct AppInput {
  std::optional<std::string> name;
  std::optional<std::string> uid;
  std::optional<std::optional<double>> throttle_rate;
  std::optional<Metadata> metadata;
};

struct EventTypeInput {
  std::optional<std::string> description;
  std::optional<bool> archived;
  std::optional<bool> deprecated;
  std::optional<std::string> schemas;  // serialized JSON object; "" removes them
  std::optional<std::vector<std::string>> feature_flags;
  std::optional<std::string> group_name;
};

inline constexpr std::size_t kMaxEventTypeSchemas = std::size_t{64} * 1024;  // serialized bytes

struct EndpointInput {
  std::optional<std::string> url;
  std::optional<std::string> description;
  std::optional<std::string> uid;  // "" removes it
  std::optional<Metadata> metadata;
  std::optional<std::vector<std::string>> channels;
  std::optional<std::vector<std::string>> event_types;
  std::optional<bool> enabled;
  std::optional<double> rate_limit;
  std::optional<std::int64_t> rate_burst;
  std::optional<std::map<std::string, std::string>> headers;
  std::optional<std::string> secret;          // creation only: whsec_ supplied by the user
  std::optional<std::string> signing;         // creation only: "hmac" (default) or "ed25519"
  std::optional<std::string> verification;    // "none", "echo", "challenge", "hmac_challenge"
  std::optional<std::string> encryption_key;  // base64 X25519 public key, "" to remove
};

struct CreatedEndpoint {
  Endpoint endpoint;
  // What a receiver verifies with, returned in the creating response: the whsec_ secret (HMAC)
  // or the whpk_ public key (Ed25519). Never a private key: that one stays in Hookgate, or a
  // receiver could sign deliveries itself.
  std::string receiver_key;
};

template <class T>
struct Page {
  std::vector<T> items;
  std::string next;  // cursor of the next page; empty when this was the last
};

struct CreatedApiKey {
  ApiKey key;
  std::string plaintext;  // shown once
};

class Registry {
 public:
  Registry(store::Store& store, RegistrySettings settings, std::function<std::int64_t()> now_ms);

  Result<App> create_app(const AppInput& input);
  Result<App> create_app(const std::string& name) { return create_app(AppInput{name, {}, {}, {}}); }
  // Changes the members input sets (a new uid is claimed first: conflict when taken).
  Result<App> update_app(const std::string& id, const AppInput& input);
  Result<App> app(const std::string& id);
  // The id of the application an id or a uid names; nullopt when none does. Uids never start
  // with "app_", so an id is never shadowed by a uid.
  Result<std::optional<std::string>> app_id_of(const std::string& id_or_uid);
  Result<Page<App>> apps(const std::string& cursor, std::size_t limit);
  // Deletes the application and its endpoints (pending deliveries to them are given up).
  Result<bool> delete_app(const std::string& id);

  Result<CreatedEndpoint> create_endpoint(const std::string& app_id, const EndpointInput& input);
  Result<Endpoint> endpoint(const std::string& app_id, const std::string& id);
  Result<Endpoint> endpoint_by_id(const std::string& id);
  // The id of the application's endpoint an id or uid names (uids never start with "ep_");
  // nullopt when none does.
  Result<std::optional<std::string>> endpoint_id_of(const std::string& app_id,
                                                    const std::string& id_or_uid);
  Result<Page<Endpoint>> endpoints(const std::string& app_id, const std::string& cursor,
                                   std::size_t limit);
  // The fan-out of a publish: ids of the application's endpoints that receive a message of
  // event_type sent to channels now (enabled, verified, Endpoint::wants). Served from memory
  // (FanoutCache) while the application's endpoint generation is unchanged, on any node; no
  // secret is opened for it.
  Result<std::vector<std::string>> subscribers(const std::string& app_id,
                                               std::string_view event_type,
                                               const std::vector<std::string>& channels = {});
  Result<Endpoint> update_endpoint(const std::string& app_id, const std::string& id,
                                   const EndpointInput& input);
  Result<bool> delete_endpoint(const std::string& app_id, const std::string& id);
  // What the receiver verifies the current key with (explicit reveal; never part of other
  // answers): the whsec_ secret, or for Ed25519 the whpk_ public key, never the private key.
  Result<std::string> reveal_secret(const std::string& app_id, const std::string& id);
  // Makes secret (or a generated one) current; the previous keys stay valid for grace. Returns
  // the new key as reveal_secret does.
  Result<std::string> rotate_secret(const std::string& app_id, const std::string& id,
                                    const std::optional<std::string>& secret,
                                    std::optional<std::chrono::seconds> grace);

  // Applies change to the stored endpoint with compare-and-set, retrying on conflicts.
  Result<Endpoint> modify_endpoint(const std::string& id,
                                   const std::function<bool(Endpoint&)>& change);

  // Event types (global). create makes a new one or unarchives (and replaces) an archived one;
  // a live one of that name is a conflict.
  Result<EventType> create_event_type(const std::string& name, const EventTypeInput& input);
  Result<EventType> event_type(const std::string& name);
  Result<Page<EventType>> event_types(const std::string& cursor, std::size_t limit,
                                      bool include_archived);
  // replace: members absent from input take their defaults (PUT); otherwise they are kept.
  // upsert: a missing event type is created (the bool says whether it was).
  Result<std::pair<EventType, bool>> update_event_type(const std::string& name,
                                                       const EventTypeInput& input, bool replace,
                                                       bool upsert);
  // Archives it, or with expunge removes it.
  Result<bool> delete_event_type(const std::string& name, bool expunge);

  Result<CreatedApiKey> create_api_key(const std::string& name, const std::string& scope) {
    ApiKey k;
    k.name = name;
    k.scope = scope;
    return create_api_key(k);
  }
  // name, scope, expires_ms (0: never), session_id, capabilities and feature_flags of like.
  Result<CreatedApiKey> create_api_key(const ApiKey& like);
  // Makes the application's app-portal tokens (of those sessions, if any are named) expire
  // within delay_ms. Returns how many were cut short.
  Result<std::size_t> expire_portal_tokens(const std::string& app_id,
                                           const std::vector<std::string>& session_ids,
                                           std::int64_t delay_ms);
  // The key whose hash matches and has not expired, if any (constant work whatever the input).
  Result<std::optional<ApiKey>> find_api_key(const std::string& plaintext);
  // The same by the key's hash (a console session holds the hash, never the key).
  Result<std::optional<ApiKey>> find_api_key_by_hash(const std::string& hash);
  Result<Page<ApiKey>> api_keys(const std::string& cursor, std::size_t limit);
  Result<bool> delete_api_key(const std::string& hash);

  // Start-up migration and key check: every stored endpoint secret is opened (a sealed one that
  // does not open under the configured key is an error naming the endpoint: the key is wrong),
  // and rows still holding clear secrets are rewritten sealed. Returns how many were sealed.
  Result<std::size_t> seal_stored_secrets();

  const RegistrySettings& settings() const { return settings_; }

 private:
  // An endpoint from its stored row (secrets opened), and the row for an endpoint (sealed).
  Result<Endpoint> decode(const store::Record& record) const;
  Result<std::string> encode(const Endpoint& endpoint) const;
  Result<bool> check_url(const std::string& url) const;
  Result<bool> apply(Endpoint& e, const EndpointInput& input, bool creating) const;
  Result<App> modify_app(const std::string& id, const std::function<Result<bool>(App&)>& change);
  // Claims key (a uid) of kind for target (owned by owner); a claim left by a target that no
  // longer holds that uid (holds() says false) is taken over with compare-and-set. false: the
  // uid belongs to another.
  Result<bool> claim(std::string_view kind, const std::string& key, const std::string& owner,
                     const std::string& target,
                     const std::function<Result<bool>(const std::string& target)>& holds);
  // Removes target's claim of key, if it still is target's.
  void release(std::string_view kind, const std::string& key, const std::string& target);
  Result<std::optional<std::string>> claimed(std::string_view kind, const std::string& key);
  Result<bool> app_holds(const std::string& app_id, const std::string& uid);
  Result<bool> endpoint_holds(const std::string& endpoint_id, const std::string& uid);

  store::Store& store_;
  RegistrySettings settings_;
  std::function<std::int64_t()> now_ms_;
  FanoutCache fanout_;
};

}  // namespace hookgate::outbound
