// ManagementApi: the REST API under /api/v1 (docs/openapi.yaml describes it): applications
// (by id or uid), endpoints (with verification, secret reveal and rotation, headers), messages
// (publish with idempotency, attempts, resend), event types, app-portal access and API keys, in
// the shapes of Svix's API (api/api_wire.hpp). The resources live in api/*_api.cpp.
// Authenticated with API keys: admin keys reach everything, an application's key reaches only
// that application, an app-portal token only what its capabilities allow there.
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <functional>
#include <map>
#include <string>

#include "api/console_sessions.hpp"
#include "api/stream_fanout.hpp"
#include "engine/destination_pauses.hpp"
#include "engine/inspector.hpp"
#include "engine/stats_series.hpp"
#include "hookgate/config/config.hpp"
#include "hookgate/net/http_server.hpp"
#include "hookgate/store/store.hpp"
#include "outbound/publisher.hpp"
#include "outbound/registry.hpp"
#include "outbound/verification.hpp"

namespace hookgate::api {

inline constexpr std::string_view kApiPrefix = "/api/v1/";
inline constexpr std::size_t kMaxApiBody = (1 << 20) + (64 << 10);  // a payload plus its envelope

// What this node knows that the store does not, for the console's resources (/source,
// /delivery, /destination, /stats, /establishment). Absent parts answer as empty.
struct ConsoleData {
  const engine::Inspector* inspector = nullptr;
  const engine::StatsSeries* series = nullptr;
  // Ids of the endpoints whose circuit is open on this node.
  std::function<std::vector<std::string>()> open_circuits;
  // The operator's pauses of configured destinations (null: /destination/{name} cannot change).
  engine::DestinationPauses* pauses = nullptr;
};

class ManagementApi {
 public:
  ManagementApi(const config::Config& config, store::Store& store, outbound::Registry& registry,
                outbound::Publisher& publisher, outbound::Verifier& verifier,
                std::function<void()> on_published, std::function<std::int64_t()> now_ms,
                ConsoleData console = {});

  // The answer and a short code for the request log. Must not throw.
  using Answer = std::function<void(net::HttpResponse response, std::string verdict)>;

  // Blocking (store reads and writes, verification round trips): called on a worker thread.
  // answer runs exactly once: on this thread before handle returns, except for a publish that
  // reached the store, which is answered from the store's writer once the message is durable (or
  // its append failed), so the worker is free while the group commit syncs.
  void handle(const net::HttpRequest& request, const Answer& answer);
  // Where /app/{app_id}/stream opens its streams and publishes announce new messages (null: no
  // streams, those paths are 404). Set before the server starts, cleared before fanout goes.
  void attach_streams(StreamFanout* fanout) { streams_.store(fanout); }
  // The console's sessions, accepted in place of a key when [console] is on (null: not).
  void use_sessions(ConsoleSessions* sessions) { sessions_ = sessions; }

 private:
  struct Call;
  net::HttpResponse authenticate_and_route(Call& call);
  net::HttpResponse authorised_route(Call& call);  // capabilities checked, then route()
  // console_session_auth.cpp: a session cookie instead of a key; a refusal, or nullopt with
  // call's scope and key set.
  std::optional<net::HttpResponse> authenticate_session(Call& call, const std::string& session);
  net::HttpResponse route(Call& call);
  net::HttpResponse apps(Call& call);
  net::HttpResponse app(Call& call, const std::string& app_id);
  net::HttpResponse endpoints(Call& call, const std::string& app_id);
  net::HttpResponse endpoint(Call& call, const std::string& app_id, const std::string& id);
  net::HttpResponse messages(Call& call, const std::string& app_id);
  net::HttpResponse publish(Call& call, const std::string& app_id);
  net::HttpResponse message(Call& call, const std::string& app_id, const std::string& id);
  // attempts_api.cpp: /attempt/..., and /msg/{msg}/attempt|endpoint/...
  net::HttpResponse attempts(Call& call, const std::string& app_id);
  net::HttpResponse message_deliveries(Call& call, const std::string& app_id,
                                       const store::Event& event);
  // endpoint_deliveries_api.cpp: /endpoint/{ep}/msg, /stats, /recover.
  net::HttpResponse endpoint_deliveries(Call& call, const std::string& app_id,
                                        const std::string& endpoint_id);
  net::HttpResponse api_keys(Call& call);
  // app_stream_api.cpp: /app/{app_id}/stream, the application's messages as text/event-stream.
  net::HttpResponse stream(Call& call, const std::string& app_id);
  // Applications by uid and id alike: the canonical id of s[1], or a refusal.
  Result<std::string> resolve_app(Call& call);
  net::HttpResponse upsert_app(Call& call, const std::string& id_or_uid);
  net::HttpResponse endpoint_headers(Call& call, const std::string& app_id, const std::string& id);
  net::HttpResponse upsert_endpoint(Call& call, const std::string& app_id,
                                    const std::string& id_or_uid);
  net::HttpResponse event_types(Call& call);
  net::HttpResponse auth(Call& call);
  // inspector_api.cpp: /source, /source/{name}/request[/{id}[/deliver]].
  net::HttpResponse inbound_sources(Call& call);
  net::HttpResponse inbound_feed(Call& call, const config::Source& source);
  net::HttpResponse inbound_request(Call& call, const config::Source& source);
  // deliveries_api.cpp: /delivery[/{id}[/attempt|/retry]], /delivery/retry-failed.
  net::HttpResponse deliveries_resource(Call& call);
  // overview_api.cpp: /destination, /stats, /establishment.
  net::HttpResponse destinations_resource(Call& call);
  // destination_api.cpp: /destination/{name}, one configured destination, paused or resumed.
  net::HttpResponse destination_resource(Call& call);
  // A configured destination as /destination lists it (health of the last hour from now_ms,
  // its pause, where its secret comes from, circuits open on any node).
  Result<boost::json::object> configured_destination_out(const config::Destination& d,
                                                         std::int64_t now_ms);
  // Every node's open circuits: endpoint id -> the nodes (this node's first).
  Result<std::map<std::string, std::vector<std::string>>> open_circuits_by_node();
  net::HttpResponse stats_resource(Call& call);
  net::HttpResponse establishment_resource(Call& call);

  const config::Config& config_;
  store::Store& store_;
  outbound::Registry& registry_;
  outbound::Publisher& publisher_;
  outbound::Verifier& verifier_;
  std::function<void()> on_published_;
  std::function<std::int64_t()> now_ms_;
  ConsoleData console_;
  std::atomic<StreamFanout*> streams_{nullptr};
  ConsoleSessions* sessions_ = nullptr;
};

}  // namespace hookgate::api
