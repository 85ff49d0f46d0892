// Gateway: the HTTP face of `hookgate serve`. Routes each request to a source (ingest), the pull
// API, /healthz or /metrics. Events for sources that need no I/O before the append are handled
// on the network thread and answered from the store's writer once durable; the blocking work
// (management API, pull, Asana and SNS handshakes) runs on a bounded worker pool. One JSON log
// line per request (path only: queries may carry challenge codes).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/event_signal.hpp"
#include "api/in_flight.hpp"
#include "api/log_sink.hpp"
#include "api/management_api.hpp"
#include "api/metrics.hpp"
#include "api/worker_pool.hpp"
#include "hookgate/config/config.hpp"
#include "hookgate/engine/ingest.hpp"
#include "hookgate/net/http_server.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::api {

class Gateway : public net::HttpHandler {
 public:
  // on_accepted runs after each newly accepted event that queued deliveries (the dispatcher's
  // wake-up); metrics is shared with the dispatcher, which counts delivery attempts in it.
  Gateway(const config::Config& config, store::Store& store, engine::Ingest& ingest,
          Metrics& metrics, LogSink& log, std::function<void()> on_accepted = {},
          ManagementApi* api = nullptr, std::size_t workers = 64);
  ~Gateway() override;

  std::size_t body_limit(std::string_view method, std::string_view path) const override;
  void handle(net::HttpRequest request, net::Responder respond) override;

 private:
  // Hands the request to ingest (inline) or the worker pool; may throw only before that.
  void route(net::HttpRequest request, const net::Responder& respond);
  net::HttpResponse dispatch(const net::HttpRequest& request, std::string& source,
                             std::string& verdict);
  net::HttpResponse pull(const net::HttpRequest& request, std::string_view source_name,
                         std::string& verdict);
  // What the log line keeps of a request once its body and headers have moved on.
  struct RequestLine {
    std::string method;
    std::string path;
    std::optional<net::IpAddress> peer;
  };
  void note_accepted(bool routed);  // wakes pull waiters, and the dispatcher if routed
  // Metrics, the log line, then the answer.
  void finish(const RequestLine& line, net::HttpResponse response, const std::string& source,
              const std::string& verdict, std::chrono::steady_clock::time_point started,
              const net::Responder& respond);
  void log(const RequestLine& request, int status, const std::string& source,
           const std::string& verdict, double seconds);

  const config::Config& config_;
  store::Store& store_;
  engine::Ingest& ingest_;
  LogSink& log_;
  Metrics& metrics_;
  std::function<void()> on_accepted_;
  ManagementApi* api_;  // null when [api] is not enabled
  EventSignal accepted_;
  InFlight in_flight_;
  WorkerPool pool_;  // last: its threads are joined before the members they use go
};

}  // namespace hookgate::api
