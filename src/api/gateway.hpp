// Gateway: the HTTP face of `hookgate serve`. Routes each request to a source (ingest), the pull
// API, /healthz or /metrics. Events for sources that need no I/O before the append are handled
// on the network thread and answered from the store's writer once durable; the blocking work
// (management API, pull queries, Asana and SNS handshakes) runs on a bounded worker pool, and
// a publish, once its reads are done there, is answered from the store's writer too; and
// /healthz and /metrics each on a lane of their own so they never queue behind it. A long poll
// with nothing to return is parked (PullWaiters) and holds no thread while it waits; an event
// stream (EventStreams) is opened on the network thread and holds none either. One JSON
// log line per request (path only: queries may carry challenge codes).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/console_server.hpp"
#include "api/event_streams.hpp"
#include "api/in_flight.hpp"
#include "api/log_sink.hpp"
#include "api/management_api.hpp"
#include "api/metrics.hpp"
#include "api/metrics_access.hpp"
#include "api/pull_waiters.hpp"
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
  // Shutdown, first stage: every parked poll is answered now (an empty page) and later polls do
  // not wait, and every event stream ends cleanly, so the server's drain does not sit out their
  // wait times.
  void stop_polls();
  // Another node sharing the store accepted an event of source (seq: its seq, 0 if unknown;
  // an empty source: possibly any): its parked polls and streams query again. Must be quick
  // (runs on the store's listener thread).
  void wake_polls(const std::string& source, std::int64_t seq = 0);
  // Serves /console and /portal through console (null: not served). Before the server starts.
  void use_console(ConsoleServer* console) { console_ = console; }

 private:
  // Hands the request to ingest (inline) or the worker pool; may throw only before that.
  void route(net::HttpRequest request, const net::Responder& respond);
  net::HttpResponse dispatch(const net::HttpRequest& request, std::string& source,
                             std::string& verdict);
  // What the log line keeps of a request once its body and headers have moved on.
  struct RequestLine {
    std::string method;
    std::string path;
    std::optional<net::IpAddress> peer;
  };
  struct Poll;
  // On a worker: checks the pull request, then runs it (run_poll) or answers the refusal.
  void start_pull(const net::HttpRequest& request, const net::Responder& respond,
                  std::chrono::steady_clock::time_point started);
  // On a worker: one query; answers when there are events or the wait is over, else parks.
  void run_poll(const std::shared_ptr<Poll>& poll);
  void answer_poll(const Poll& poll, net::HttpResponse response, const std::string& verdict);
  void note_accepted(const std::string& source, bool routed);  // wakes polls, and the dispatcher
  // Metrics, the log line, then the answer.
  void finish(const RequestLine& line, net::HttpResponse response, const std::string& source,
              const std::string& verdict, std::chrono::steady_clock::time_point started,
              const net::Responder& respond);
  void log(const RequestLine& request, int status, const std::string& source,
           const std::string& verdict, double seconds);

  const config::Config& config_;
  MetricsAccess metrics_access_;
  store::Store& store_;
  engine::Ingest& ingest_;
  LogSink& log_;
  Metrics& metrics_;
  std::function<void()> on_accepted_;
  ManagementApi* api_;                // null when [api] is not enabled
  ConsoleServer* console_ = nullptr;  // null when [console] is not enabled
  InFlight in_flight_;
  PullWaiters waiters_;
  EventStreams streams_;
  WorkerPool health_lane_;   // /healthz only
  WorkerPool metrics_lane_;  // /metrics only
  WorkerPool pool_;          // last: its threads are joined before the members they use go
};

}  // namespace hookgate::api
