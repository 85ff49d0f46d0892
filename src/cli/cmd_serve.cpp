// `hookgate serve --config FILE`: loads and checks the config (errors name file, line and key,
// before anything listens), opens the store, starts the delivery engine and the listeners, and
// serves until SIGINT/SIGTERM, then stops in two stages: stop accepting, let in-flight requests
// and attempts finish within a deadline, close. Work cut off there keeps its lease and is retried.
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <optional>

#include "api/gateway.hpp"
#include "api/log_sink.hpp"
#include "api/management_api.hpp"
#include "api/metrics.hpp"
#include "cli.hpp"
#include "engine/config_targets.hpp"
#include "engine/destination_pauses.hpp"
#include "engine/http_sender.hpp"
#include "engine/inspector.hpp"
#include "engine/inspector_mirror.hpp"
#include "engine/stats_mirror.hpp"
#include "engine/stats_series.hpp"
#include "hookgate/crypto/random.hpp"
#include "hookgate/engine/dispatcher.hpp"
#include "hookgate/engine/housekeeper.hpp"
#include "hookgate/net/http_pool.hpp"
#include "hookgate/net/http_server.hpp"
#include "hookgate/store/store.hpp"
#include "outbound/combined_targets.hpp"
#include "outbound/endpoint_targets.hpp"
#include "outbound/publisher.hpp"
#include "outbound/registry.hpp"
#include "outbound/sealing_key.hpp"
#include "outbound/verification.hpp"

namespace hookgate::cli {

namespace {

// Unique per process: a restarted node must not mistake the leases of its previous life (which
// may still be running an attempt somewhere) for its own.
std::string lease_owner(const config::Config& config) {
  std::string node = config.delivery.node_id;
  if (node.empty()) {
    char host[256] = {};
    node = ::gethostname(host, sizeof host - 1) == 0 ? host : "hookgate";
  }
  return node + "/" + std::to_string(::getpid()) + "/" +
         crypto::random_string(8, "0123456789abcdefghijklmnopqrstuvwxyz");
}

const char* outcome_name(const engine::AttemptReport& r) {
  if (r.verdict == engine::Verdict::delivered) return "delivered";
  return r.gave_up ? "failed" : "retry";
}

}  // namespace

int run_serve(const std::string& config_path) {
  // Set before any thread starts, so every arena gets them. glibc trims a thread's arena back to
  // the kernel (madvise) whenever its free top passes 128 KiB, and serves blocks above a moving
  // threshold with mmap: the engine frees request buffers on one thread and allocates them on
  // another many thousand times a second, so each delivery paid page faults and madvise calls
  // (1 444 madvise in a 10 000-message fast-endpoint run; CPU 5.7 s -> 4.0 s with these
  // thresholds, bench/RESULTS.md "Issue 11 — session 4"). Memory kept free per arena is bounded
  // by the trim threshold; a single block above 1 MiB still comes from (and goes back to) mmap.
  mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
  mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
  // A peer or a command that goes away while we write must be an error on that write (EPIPE),
  // never the end of the gateway. Children get SIGPIPE back (see CommandSender).
  std::signal(SIGPIPE, SIG_IGN);
  // Every connection, stream and outbound socket is a descriptor. Service managers start
  // processes with a low soft limit (systemd: 1024) and a high hard one, expecting servers that do
  // not use select() to raise it: with the soft limit, max_connections would be cut to 512.
  if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  // Signals are taken synchronously by this thread; every thread started later inherits the mask.
  // Blocked before anything starts a thread (the store's writer does, at open): a SIGTERM taken
  // by a thread that does not block it would end the process without the orderly stop.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto config = config::load_config(config_path);
  if (!config) return usage_error(config.error());
  store::StoreOptions store_options;
  store_options.max_pending_writes = config->limits.max_pending_writes;
  auto store = store::open_store(config->store_url, store_options);
  if (!store) {
    std::cerr << "hookgate: store: " << store.error() << "\n";
    return kExitInvalid;
  }
  // AWS SNS subscription confirmations: the SubscribeURL (checked to be an SNS https address
  // by ingest) is fetched through a client that reaches public addresses only.
  net::HttpClientOptions visit_options;
  visit_options.timeout = std::chrono::seconds(10);
  auto visit_client = net::HttpClient::create(visit_options);
  if (!visit_client) return usage_error(visit_client.error());
  const engine::UrlVisitor visit = [&visit_client](const std::string& url) -> Result<int> {
    net::OutboundRequest request;
    request.method = "GET";
    request.url = url;
    auto response = visit_client->post(request);
    if (!response) return Error{response.error()};
    return response->status;
  };
  // The console's inspector: refused, duplicate and handshake requests per source in bounded
  // rings (mirrored through a shared PostgreSQL store, so every node shows every node's), and
  // this node's per-second rates.
  engine::StatsSeries stats_series;
  engine::Inspector inspector(*config, api::LogSink::node_name(config->delivery.node_id),
                              &stats_series);
  std::optional<engine::InspectorMirror> inspector_mirror;
  if (config->store_url.starts_with("postgres"))
    inspector_mirror.emplace(inspector, **store, now_ms);
  auto ingest = engine::Ingest::create(
      *config, **store, [] { return std::chrono::system_clock::now(); }, visit, &inspector);
  if (!ingest) return usage_error(ingest.error());

  // Series are labelled with configured names only; a request can never add a label value.
  api::MetricNames metric_names;
  for (const auto& s : config->sources)
    metric_names.sources.push_back(s.name);
  for (const auto& d : config->destinations)
    metric_names.destinations.push_back(d.name);
  api::Metrics metrics(metric_names);
  api::LogSink log(std::cout, std::chrono::milliseconds(50),
                   api::LogSink::node_name(config->delivery.node_id));
  // [[destination]] URLs are the operator's own services (often on loopback or a private
  // network), written in the config, so they are not subject to the SSRF policy that guards
  // URLs registered through the API.
  auto operator_policy = net::OutboundPolicy::make({"0.0.0.0/0", "::/0"}, false);
  if (!operator_policy) return usage_error(operator_policy.error());
  // Attempts go out through pooled keep-alive connections on event loops: one pool per policy
  // and TLS setting, so nothing checked under one serves the other.
  net::PoolOptions pool_options;
  net::HttpClientOptions operator_options;
  operator_options.policy = operator_policy.value();
  operator_options.max_response_body_bytes = engine::kMaxRecordedResponse;
  auto operator_pool = net::HttpPool::create(operator_options, pool_options);
  if (!operator_pool) return usage_error("[[destination]] client: " + operator_pool.error());
  engine::HttpSender http(std::move(operator_policy.value()));
  // An operator's pause of a configured destination (console, PATCH /api/v1/destination/{name})
  // is kept in the store: read now, so a destination paused before a restart stays paused from
  // the first claim, and refreshed every second for the other nodes' changes.
  std::vector<std::string> destination_names;
  for (const auto& d : config->destinations)
    destination_names.push_back(d.name);
  engine::DestinationPauses pauses(**store, std::move(destination_names), now_ms);
  if (auto read = pauses.refresh(); !read) {
    std::cerr << "hookgate: store: paused destinations: " << read.error() << "\n";
    return kExitInvalid;
  }
  engine::ConfigTargets configured(*config, http, **operator_pool, &pauses);

  // The outbound side: endpoints registered through the API, reached only through the SSRF
  // policy of [outbound].
  const auto& out = config->outbound;
  auto policy = net::OutboundPolicy::make(out.allow_cidrs, out.require_https);
  if (!policy) return usage_error(config->origin + ": [outbound] allow_cidrs: " + policy.error());
  net::HttpClientOptions client_options;
  client_options.policy = std::move(policy.value());
  client_options.timeout = out.timeout;
  client_options.max_response_body_bytes = out.max_response_bytes;
  client_options.ca_file = out.ca_file;
  client_options.client_certificate = out.client_certificate;
  client_options.client_private_key = out.client_private_key;
  auto endpoint_client = net::HttpClient::create(client_options);
  if (!endpoint_client)
    return usage_error(config->origin + ": [outbound]: " + endpoint_client.error());
  auto endpoint_pool = net::HttpPool::create(client_options, pool_options);
  if (!endpoint_pool) return usage_error(config->origin + ": [outbound]: " + endpoint_pool.error());
  // Endpoint secrets are sealed at rest; a wrong key stops the start here, before a delivery is
  // signed with anything, and rows from before sealing are sealed now.
  auto sealing = outbound::sealing_key(*config);
  if (!sealing) return usage_error(config->origin + ": " + sealing.error());
  if (!sealing->seal && config->api.enabled) {
    return usage_error(config->origin +
                       ": [outbound] secret_key is required with a PostgreSQL store and the API "
                       "on: the nodes share the endpoints and must share the key sealing their "
                       "secrets (base64 of 32 bytes: openssl rand -base64 32)");
  }
  outbound::Registry registry(**store, {client_options.policy, out.rotation_grace, sealing->seal},
                              now_ms);
  if (auto sealed = registry.seal_stored_secrets(); !sealed) {
    std::cerr << "hookgate: stored endpoint secrets: " << sealed.error();
    if (sealing->seal) {
      std::cerr << "; the key in use (" << sealing->origin
                << ") is not the one they were sealed under";
    }
    std::cerr << ". Start with [outbound] secret_key set to that key.\n";
    return kExitInvalid;
  } else if (*sealed > 0) {
    std::cerr << "hookgate: sealed " << *sealed << " endpoint secrets that were stored in clear\n";
  }
  if (sealing->generated) {
    std::cerr << "hookgate: generated the key sealing endpoint secrets: " << sealing->origin
              << " (back it up apart from the database; without it the secrets are lost)\n";
  }
  outbound::Publisher publisher(**store, registry, out.idempotency_ttl, now_ms);
  outbound::Verifier verifier(registry, *endpoint_client, now_ms);
  outbound::EndpointSettings endpoint_settings;
  endpoint_settings.schedule = {config->delivery.schedule, config->delivery.jitter};
  endpoint_settings.concurrency = out.concurrency;
  endpoint_settings.timeout = out.timeout;
  endpoint_settings.disable_after = out.disable_after;
  endpoint_settings.breaker_failures = out.breaker_failures;
  endpoint_settings.breaker_cooldown = out.breaker_cooldown;
  endpoint_settings.operational_destinations = out.operational_destinations;
  outbound::EndpointTargets endpoints(**store, registry, **endpoint_pool, endpoint_settings,
                                      now_ms);
  outbound::CombinedTargets targets(configured, endpoints);
  engine::DispatcherOptions options;
  options.owner = lease_owner(*config);
  options.lease = config->delivery.lease;
  options.max_in_flight = config->delivery.max_in_flight;
  // A claim gives a destination it holds no work of at most one round of the smallest
  // concurrency configured, so nothing claimed waits longer than one attempt to start.
  options.default_room = out.concurrency;
  for (const auto& d : config->destinations)
    options.default_room = std::min(options.default_room, d.concurrency);
  engine::Dispatcher dispatcher(
      **store, targets, options, now_ms,
      [&metrics, &log, &stats_series](const engine::AttemptReport& r) {
        const std::string outcome = outcome_name(r);
        metrics.attempt(r.destination, outcome, static_cast<double>(r.attempt.duration_ms) / 1e3);
        stats_series.add(r.verdict == engine::Verdict::delivered ? engine::StatsSeries::delivered
                         : r.gave_up                             ? engine::StatsSeries::failed
                                                                 : engine::StatsSeries::retried,
                         now_ms());
        boost::json::object line{{"ts_ms", now_ms()},
                                 {"delivery", r.attempt.delivery_id},
                                 {"destination", r.destination},
                                 {"attempt", r.attempt.number},
                                 {"status", r.attempt.status},
                                 {"outcome", outcome},
                                 {"ms", r.attempt.duration_ms}};
        if (!r.attempt.error.empty()) line["error"] = r.attempt.error;
        log.write(line);
      });

  pauses.on_resume([&dispatcher] { dispatcher.notify(); });
  // Each node's per-second counts and open circuits, for the console's cluster-wide overview.
  std::optional<engine::StatsMirror> stats_mirror;
  if (config->store_url.starts_with("postgres")) {
    stats_mirror.emplace(
        stats_series, inspector.node(), [&endpoints] { return endpoints.open_circuits(); }, **store,
        now_ms);
  }

  // Expired de-duplication windows, and finished events past [retention], go in the background.
  engine::HousekeeperOptions housekeeping;
  housekeeping.retention = config->retention.events;
  housekeeping.retention_batch = config->retention.batch;
  engine::Housekeeper housekeeper(
      **store, now_ms, housekeeping, [&log](std::int64_t pruned, const std::string& error) {
        boost::json::object line{
            {"ts_ms", now_ms()}, {"housekeeping", "prune"}, {"pruned", pruned}};
        if (!error.empty()) line["error"] = error;
        log.write(line);
      });

  std::optional<api::ManagementApi> management;
  if (config->api.enabled) {
    management.emplace(
        *config, **store, registry, publisher, verifier, [&dispatcher] { dispatcher.notify(); },
        now_ms,
        api::ConsoleData{&inspector, &stats_series,
                         [&endpoints] { return endpoints.open_circuits(); }, &pauses});
  }
  std::optional<api::ConsoleSessions> console_sessions;
  std::optional<api::ConsoleServer> console;
  if (config->console.enabled && management) {
    console_sessions.emplace(*config, **store, registry, now_ms);
    console.emplace(*config, *console_sessions, now_ms);
    management->use_sessions(&*console_sessions);
  }
  // Destroyed before the server (reset below): its worker threads may still hold connections
  // that must be released while the server's io_context exists.
  std::optional<api::Gateway> gateway;
  gateway.emplace(
      *config, **store, **ingest, metrics, log, [&dispatcher] { dispatcher.notify(); },
      management ? &*management : nullptr);
  if (console) gateway->use_console(&*console);
  // Other nodes' appends (PostgreSQL LISTEN/NOTIFY) wake this node's claimer and the long polls
  // of that source at once, instead of at their next poll.
  (**store).on_remote_append([&dispatcher, &gateway](const store::RemoteAppend& append) {
    if (gateway) gateway->wake_polls(append.source, append.seq);
    if (append.routed) dispatcher.notify();
  });
  net::HttpServer server(config->listeners, config->limits, *gateway);
  if (auto started = server.start(); !started) {
    std::cerr << "hookgate: " << started.error() << "\n";
    return kExitInvalid;
  }
  dispatcher.start();
  housekeeper.start();
  if (inspector_mirror) inspector_mirror->start();
  if (stats_mirror) stats_mirror->start();
  pauses.start();
  if (server.max_connections() < config->limits.max_connections) {
    std::cerr << "hookgate: max_connections lowered to " << server.max_connections()
              << ": the process may open only twice that many files (raise its RLIMIT_NOFILE)\n";
  }
  const auto ports = server.ports();
  for (std::size_t i = 0; i < ports.size(); ++i) {
    const auto& l = config->listeners[i];
    std::cerr << "hookgate: listening on " << (l.tls_certificate.empty() ? "http://" : "https://")
              << l.address << ":" << ports[i] << "\n";
  }
  int received = 0;
  sigwait(&signals, &received);
  std::cerr << "hookgate: stopping (signal " << received << ")\n";
  // Parked long polls are answered (an empty page) before the drain, which would otherwise
  // wait for them until its deadline and then cut them off unanswered.
  gateway->stop_polls();
  server.stop(std::chrono::milliseconds(5000));
  (**store).on_remote_append({});
  gateway.reset();
  pauses.stop();  // it wakes the dispatcher on a resume
  dispatcher.stop(std::chrono::milliseconds(5000));
  housekeeper.stop();
  if (inspector_mirror) inspector_mirror->stop();
  if (stats_mirror) stats_mirror->stop();
  return kExitOk;
}

}  // namespace hookgate::cli
