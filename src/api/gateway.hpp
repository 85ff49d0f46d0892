// Gateway: the HTTP face of `hookgate serve`. Routes each request to a source (ingest), the pull
// API, /healthz or /metrics; runs the blocking work on a bounded worker pool; writes one JSON log
// line per request (path only: queries may carry challenge codes).
#pragma once

#include <memory>
#include <ostream>

#include "api/event_signal.hpp"
#include "api/metrics.hpp"
#include "api/worker_pool.hpp"
#include "hookgate/config/config.hpp"
#include "hookgate/engine/ingest.hpp"
#include "hookgate/net/http_server.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::api {

class Gateway : public net::HttpHandler {
 public:
  Gateway(const config::Config& config, store::Store& store, engine::Ingest& ingest,
          std::ostream& log, std::size_t workers = 64);
  ~Gateway() override;

  std::size_t body_limit(std::string_view method, std::string_view path) const override;
  void handle(net::HttpRequest request, net::Responder respond) override;

 private:
  net::HttpResponse dispatch(const net::HttpRequest& request, std::string& source,
                             std::string& verdict);
  net::HttpResponse pull(const net::HttpRequest& request, std::string_view source_name,
                         std::string& verdict);
  void log(const net::HttpRequest& request, const net::HttpResponse& response,
           const std::string& source, const std::string& verdict, double seconds);

  const config::Config& config_;
  store::Store& store_;
  engine::Ingest& ingest_;
  std::ostream& log_;
  std::mutex log_mutex_;
  Metrics metrics_;
  EventSignal accepted_;
  WorkerPool pool_;  // last: its threads are joined before the members they use go
};

}  // namespace hookgate::api
