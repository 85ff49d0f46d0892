// The gateway's configuration: one TOML file (examples/hookgate.toml is the annotated example).
// load_config() checks everything it can before the server listens, and every error names the
// file, the line and the key.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/schemes/catalogue.hpp"

namespace hookgate::config {

// A secret as written: inline text, "env:NAME" or "file:PATH". Resolved at load time so a
// missing variable or file stops the start-up instead of the first request.
struct SecretRef {
  std::string written;  // what the file says (never logged when inline)
  std::string value;    // the resolved secret
};

struct Listener {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string tls_certificate;              // PEM chain file; empty = plain HTTP
  std::string tls_private_key;              // PEM key file
  std::string client_ca;                    // PEM CA file: client certificates are requested
  bool require_client_certificate = false;  // mTLS: refuse connections without one
};

struct Limits {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_ip = 256;  // one peer address cannot hold all the connections
  std::size_t max_pending_writes = 4096;     // accepted-but-not-yet-durable events before 503
  std::size_t max_parked_polls = 2048;  // long polls waiting at once (about 1 KiB each); then 503
};

struct Source {
  std::string name;
  std::string path;                          // "/in/github"
  std::string scheme;                        // scheme name (built-in or [[scheme]])
  std::vector<SecretRef> secrets;            // several = rotation
  std::vector<SecretRef> public_keys;        // asymmetric schemes
  std::optional<SecretRef> verify_token;     // Meta hub.verify_token
  std::string handshake;                     // overrides the scheme's handshake; "none" disables it
  std::vector<std::string> allow_ips;        // CIDRs; empty = any
  std::vector<std::string> trusted_proxies;  // CIDRs whose X-Forwarded-For is believed
  std::optional<std::size_t> max_body_bytes;
  std::optional<std::chrono::seconds> tolerance;
  int failure_status = 401;
  std::chrono::seconds dedupe_ttl{7 * 24 * 3600};
  // How long the digest of a verified request is remembered when the scheme has no signed id and
  // checks no timestamp age: byte-identical requests inside it are one event. Unset: the
  // scheme's [id] dedupe_window, else dedupe_ttl.
  std::optional<std::chrono::seconds> dedupe_window;
  std::optional<SecretRef> pull_token;  // enables GET /pull/{source} and GET /stream/{source}
  // Enables GET /stream/{source}/{capability}: reading this source's stream without a token.
  // At least 32 characters of [A-Za-z0-9_-]; changing it revokes the old URL.
  std::optional<SecretRef> stream_capability;
  std::vector<std::string> keep_headers;  // request headers stored with the event
  std::string event_type_from;            // "header:X-GitHub-Event" or "json:type"; empty = none
  // For events from a Hookgate sender: the application id the signed webhook-id must carry
  // ("<app_id>/msg_..."), so events signed for another account are refused.
  std::string expect_app_id;
};

struct Destination {
  enum class Kind { http, command, file };
  std::string name;
  Kind kind = Kind::http;
  std::string url;                         // http
  std::vector<std::string> command;        // argv, never through a shell
  std::string file;                        // JSON-lines path
  std::string sign = "standard-webhooks";  // or "none"
  std::optional<SecretRef> secret;         // whsec_ secret for standard-webhooks
  std::optional<SecretRef> bearer;         // Authorization: Bearer
  std::chrono::milliseconds timeout{15'000};
  std::size_t concurrency = 8;
};

struct Route {
  std::string from;                          // source name
  std::vector<std::string> to;               // destination names
  std::vector<std::string> event_types;      // empty = all
  std::map<std::string, std::string> match;  // dotted JSON path -> required value
};

struct Delivery {
  // Delays before attempts 2, 3, ...; the Standard Webhooks schedule by default.
  std::vector<std::chrono::seconds> schedule{
      std::chrono::seconds(5),     std::chrono::seconds(300),   std::chrono::seconds(1800),
      std::chrono::seconds(7200),  std::chrono::seconds(18000), std::chrono::seconds(36000),
      std::chrono::seconds(50400), std::chrono::seconds(72000), std::chrono::seconds(86400)};
  double jitter = 0.2;  // +-20 %
  // A claimed delivery is this node's until the lease ends; a node that dies mid-attempt holds
  // it that long. Must outlive the slowest destination's timeout.
  std::chrono::milliseconds lease{30'000};
  std::size_t workers = 16;  // threads for attempts that block (command and file destinations)
  // Attempts in flight on this node, all destinations together (HTTP ones hold no thread).
  std::size_t max_in_flight = 4096;
  std::string node_id;  // lease owner name; empty: host name and process id
};

// The outbound side: endpoints registered through the management API. Their URLs come from
// users, so every connection goes through the address policy (SSRF defence).
struct Outbound {
  std::vector<std::string> allow_cidrs;  // refused ranges let through (e.g. "127.0.0.1/32")
  bool require_https = true;             // http:// endpoints only when set false on purpose
  std::chrono::milliseconds timeout{15'000};
  std::size_t max_response_bytes = 64 << 10;
  std::string ca_file;             // extra trusted CAs (PEM)
  std::string client_certificate;  // mTLS: presented to endpoints that ask (PEM)
  std::string client_private_key;
  std::size_t concurrency = 4;                        // attempts in flight per endpoint on one node
  std::chrono::seconds disable_after{5 * 24 * 3600};  // failing continuously this long: disabled
  std::chrono::seconds rotation_grace{24 * 3600};     // old secret still signed with
  std::chrono::seconds idempotency_ttl{24 * 3600};
  int breaker_failures = 5;  // consecutive failures that open an endpoint's circuit
  std::chrono::seconds breaker_cooldown{30};
  std::vector<std::string> operational_destinations;  // where endpoint.disabled events go
  // Seals endpoint secrets in the store: base64 of 32 bytes (env:/file:/inline). Unset: a key
  // generated into a 0600 file next to a SQLite database; required with PostgreSQL.
  std::optional<SecretRef> secret_key;
};

struct Api {
  bool enabled = false;               // serves /api/v1 when true
  std::vector<SecretRef> admin_keys;  // bootstrap keys with admin scope (never stored)
};

// [console]: the web console at /console and the customer portal at /portal (needs [api]).
struct Console {
  bool enabled = false;
  std::chrono::seconds session_ttl{8 * 3600};  // a console session's life (portal: never past
                                               // its token's expiry)
};

// [retention]: how long finished events are kept. Zero keeps them forever.
struct Retention {
  std::chrono::seconds events{0};  // age (by received time) past which a finished event goes
  std::size_t batch = 1000;        // events looked at per store transaction
};

// [streams]: GET /stream/{source} (text/event-stream).
struct Streams {
  std::chrono::milliseconds ping_interval{30'000};  // a comment line on an idle stream
  std::chrono::milliseconds retry{3'000};           // the client's reconnection delay (retry:)
  std::size_t buffer_bytes = 1 << 20;  // unsent bytes per stream beyond which it is cut off
  std::chrono::milliseconds write_timeout{30'000};  // no progress this long: cut off
  std::size_t max_streams = 1024;                   // open at once on this node; then 503
  std::size_t max_streams_per_ip = 16;              // open at once from one address; then 503
};

// [metrics]: who may read /metrics (names of sources and destinations, traffic and queue sizes:
// not for the internet the webhook listener faces).
struct Metrics {
  std::vector<std::string> allow{"127.0.0.0/8", "::1/128"};  // peers let in by their address
  std::optional<SecretRef> token;  // a scraper with this Bearer token is let in from anywhere
};

struct Config {
  std::string origin;  // the file it came from
  std::vector<Listener> listeners;
  std::string public_url;
  std::string store_url = "sqlite://hookgate.db";
  Limits limits;
  Delivery delivery;
  schemes::Catalogue catalogue;  // built-ins plus [[scheme]] tables
  std::vector<Source> sources;
  std::vector<Destination> destinations;
  std::vector<Route> routes;
  Outbound outbound;
  Api api;
  Retention retention;
  Streams streams;
  Console console;
  Metrics metrics;
};

// env is consulted for env: references through getenv; file: paths relative to the config file.
Result<Config> load_config(const std::string& path);
Result<Config> parse_config(std::string_view text, const std::string& origin);

}  // namespace hookgate::config
