// The outbound side's data: applications (tenants), their endpoints, and API keys, as values,
// with their JSON form in the store (store::Record bodies). Secrets live in these values; the
// JSON written for API answers (api/) is a different, redacted view.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/schemes/scheme.hpp"

namespace hookgate::outbound {

inline constexpr std::string_view kAppKind = "app";
inline constexpr std::string_view kEndpointKind = "endpoint";
inline constexpr std::string_view kApiKeyKind = "api_key";
inline constexpr std::string_view kEventTypeKind = "event_type";
// Claims of a uid (record id: the uid; for endpoints "<app id>/<uid>"), created with
// put_record so two nodes cannot hand out the same uid.
inline constexpr std::string_view kAppUidKind = "app_uid";
inline constexpr std::string_view kEndpointUidKind = "endpoint_uid";

// Metadata: string pairs the API stores and returns as given (Svix's `metadata`).
using Metadata = std::map<std::string, std::string>;

struct App {
  std::string id;   // "app_..."
  std::string uid;  // the caller's own unique name for it; empty: none
  std::string name;
  // Svix's application throttleRate: stored and returned; endpoints' own limits are what
  // Hookgate enforces (docs/openapi.yaml).
  std::optional<double> throttle_rate;
  Metadata metadata;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t version = 0;  // the store record's, for compare-and-set updates
};

// A global event type (Svix's event types): a name, what it means, optional JSON schemas per
// version (stored and served as given).
struct EventType {
  std::string name;
  std::string description;
  bool archived = false;
  bool deprecated = false;
  std::string schemas;  // serialized JSON object, or empty: none
  std::vector<std::string> feature_flags;
  std::string group_name;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t version = 0;
};

// One signing key of an endpoint. The first is current; later ones are previous keys kept valid
// (and still signed with) until expires_ms, so receivers can roll over without losing events.
struct SigningKey {
  std::string secret;           // whsec_... (HMAC) or whsk_... (Ed25519 private)
  std::string public_key;       // whpk_... for Ed25519; empty for HMAC
  std::int64_t expires_ms = 0;  // 0: current, no expiry
};

// How an endpoint shows it wants events before any is sent (see outbound/verification.hpp).
enum class Verification { none, echo, challenge, hmac_challenge };
std::string_view to_string(Verification v);
std::optional<Verification> parse_verification(std::string_view text);

struct Endpoint {
  std::string id;  // "ep_..."
  std::string app_id;
  std::string uid;  // unique within its application; empty: none
  std::string url;
  std::string description;
  std::vector<std::string> event_types;  // empty: every type
  // The channels it listens to (Svix channels: a second filter, by recipient rather than type).
  std::vector<std::string> channels;
  bool enabled = true;
  std::string disabled_reason;  // why Hookgate disabled it (410, failing too long)
  double rate_limit = 0;        // attempts per second; 0: no limit
  // Sends the rate limit lets through back to back after a quiet spell (GCRA burst), 1..1000.
  int rate_burst = 1;
  std::map<std::string, std::string> headers;  // extra headers sent with every delivery
  bool ed25519 = false;                        // sign with v1a instead of v1
  std::vector<SigningKey> keys;
  Verification verification = Verification::none;
  bool verified = false;
  std::string verification_error;
  std::string encryption_key;  // base64 X25519 public key; empty: payloads sent in clear
  std::int64_t failing_since_ms = 0;
  Metadata metadata;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t version = 0;

  // Whether a message of this type, sent to these channels, goes to this endpoint (ignoring
  // enabled/verified). Svix's rules: an endpoint without event types takes every type; an
  // endpoint without channels takes every message, with channels or not; an endpoint with
  // channels takes only messages sharing at least one of them (so none without channels).
  bool wants(std::string_view event_type, const std::vector<std::string>& message_channels) const;
  // Keys still valid at now_ms (current first).
  std::vector<SigningKey> live_keys(std::int64_t now_ms) const;
};

struct ApiKey {
  std::string hash;    // hex SHA-256 of the key: the record id (the key itself is never stored)
  std::string prefix;  // first characters, to tell keys apart in listings
  std::string name;
  std::string scope;  // "admin" or an application id
  std::int64_t created_ms = 0;
  // 0: never. Past it the key is refused exactly like an unknown one (app-portal tokens).
  std::int64_t expires_ms = 0;
  std::string session_id;  // the app-portal session it was made for, if any
  // An app-portal token's capabilities (Svix's AppPortalCapability names); empty: an ordinary
  // key, not limited by capabilities.
  std::vector<std::string> capabilities;
  std::vector<std::string> feature_flags;  // feature-flagged event types this key may see
};

std::string new_id(std::string_view prefix);

// The scheme every endpoint is signed with (Standard Webhooks, v1 and v1a).
const schemes::Scheme& standard_webhooks();

std::string to_json(const App& app);
std::string to_json(const Endpoint& endpoint);
std::string to_json(const ApiKey& key);
std::string to_json(const EventType& type);
Result<App> app_from_json(std::string_view json, std::int64_t version);
Result<Endpoint> endpoint_from_json(std::string_view json, std::int64_t version);
Result<ApiKey> api_key_from_json(std::string_view json);
Result<EventType> event_type_from_json(std::string_view json, std::int64_t version);

}  // namespace hookgate::outbound
