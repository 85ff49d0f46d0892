// ManagementApi: the REST API under /api/v1 (docs/openapi.yaml describes it): applications,
// endpoints (with verification, secret reveal and rotation), messages (publish with idempotency,
// attempts, resend), and API keys. JSON in and out; errors are {"code", "message"}; lists are
// paginated by cursor. Authenticated with API keys: admin keys reach everything, an
// application's key reaches only that application.
#pragma once

#include <functional>
#include <string>

#include "hookgate/config/config.hpp"
#include "hookgate/net/http_server.hpp"
#include "hookgate/store/store.hpp"
#include "outbound/publisher.hpp"
#include "outbound/registry.hpp"
#include "outbound/verification.hpp"

namespace hookgate::api {

inline constexpr std::string_view kApiPrefix = "/api/v1/";
inline constexpr std::size_t kMaxApiBody = (1 << 20) + (64 << 10);  // a payload plus its envelope

class ManagementApi {
 public:
  ManagementApi(const config::Config& config, store::Store& store, outbound::Registry& registry,
                outbound::Publisher& publisher, outbound::Verifier& verifier,
                std::function<void()> on_published, std::function<std::int64_t()> now_ms);

  // Blocking (store, verification round trips): called on a worker thread. verdict receives a
  // short code for the request log.
  net::HttpResponse handle(const net::HttpRequest& request, std::string& verdict);

 private:
  struct Call;
  net::HttpResponse route(Call& call);
  net::HttpResponse apps(Call& call);
  net::HttpResponse app(Call& call, const std::string& app_id);
  net::HttpResponse endpoints(Call& call, const std::string& app_id);
  net::HttpResponse endpoint(Call& call, const std::string& app_id, const std::string& id);
  net::HttpResponse messages(Call& call, const std::string& app_id);
  net::HttpResponse message(Call& call, const std::string& app_id, const std::string& id);
  net::HttpResponse api_keys(Call& call);

  const config::Config& config_;
  store::Store& store_;
  outbound::Registry& registry_;
  outbound::Publisher& publisher_;
  outbound::Verifier& verifier_;
  std::function<void()> on_published_;
  std::function<std::int64_t()> now_ms_;
};

}  // namespace hookgate::api
