// Request routing for `hookgate serve`: sources, pull API, management API, health and metrics.
#include "api/gateway.hpp"

#include <boost/json.hpp>
#include <chrono>

#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace {

constexpr std::string_view kPullPrefix = "/pull/";
constexpr std::size_t kMaxPullEvents = 500;
constexpr std::int64_t kMaxPullWaitSeconds = 30;
constexpr std::chrono::milliseconds kRecheckShared{1000};
// The health and metrics lanes, one thread each: a slow count behind a scrape never delays a
// probe, and neither waits behind API or pull work. Bounded queues: beyond them, 503.
constexpr std::size_t kLaneQueue = 32;

net::HttpResponse page(const std::vector<store::Event>& events, std::int64_t after) {
  boost::json::array list;
  std::int64_t next = after;
  for (const auto& e : events) {
    boost::system::error_code ec;
    auto headers = boost::json::parse(e.headers, ec);
    list.push_back(
        boost::json::object{{"seq", e.seq},
                            {"event_type", e.event_type},
                            {"received_ms", e.received_ms},
                            {"headers", ec ? boost::json::value(boost::json::object()) : headers},
                            {"body_base64", crypto::base64_encode(e.body)}});
    next = e.seq;
  }
  net::HttpResponse r;
  r.headers.add("Content-Type", "application/json");
  r.body = boost::json::serialize(boost::json::object{{"events", list}, {"next", next}});
  return r;
}

net::HttpResponse text(int status, std::string_view body) {
  net::HttpResponse r;
  r.status = status;
  r.headers.add("Content-Type", "text/plain; charset=utf-8");
  r.body = std::string(body) + "\n";
  return r;
}

std::int64_t query_int(std::string_view target, std::string_view name, std::int64_t fallback,
                       std::int64_t max) {
  const auto v = schemes::url_query_param(target, name);
  if (!v || v->empty() || v->size() > 18 ||
      v->find_first_not_of("0123456789") != std::string::npos) {
    return fallback;
  }
  return std::min<std::int64_t>(std::stoll(*v), max);
}

}  // namespace

struct Gateway::Poll {
  RequestLine line;
  net::Responder respond;
  std::chrono::steady_clock::time_point started;
  std::string source;
  std::int64_t after = 0;
  std::size_t limit = 0;
  std::chrono::steady_clock::time_point deadline;
};

Gateway::Gateway(const config::Config& config, store::Store& store, engine::Ingest& ingest,
                 Metrics& metrics, LogSink& log, std::function<void()> on_accepted,
                 ManagementApi* api, std::size_t workers)
    : config_(config),
      metrics_access_(config.metrics),
      store_(store),
      ingest_(ingest),
      log_(log),
      metrics_(metrics),
      on_accepted_(std::move(on_accepted)),
      api_(api),
      // Other nodes sharing a PostgreSQL store wake parked polls through LISTEN/NOTIFY
      // (wake_polls); a notice sent while the listener reconnects is lost, so parked polls also
      // look again every second. A SQLite store has one writer, this process.
      waiters_(config.limits.max_parked_polls, config.store_url.starts_with("postgres")
                                                   ? kRecheckShared
                                                   : std::chrono::milliseconds(0)),
      streams_(config, store),
      health_lane_(1, kLaneQueue),
      metrics_lane_(1, kLaneQueue),
      pool_(workers, config.limits.max_pending_writes) {
  if (api_ != nullptr) api_->attach_streams(&streams_.fanout());
}

Gateway::~Gateway() {
  // Parked polls are answered first; then the answers still owed by the store's writer call
  // back into this object: wait for them (the writer answers every queued append, committed or
  // failed, so this ends).
  waiters_.stop();
  in_flight_.wait_idle();
  if (api_ != nullptr) api_->attach_streams(nullptr);
}

void Gateway::stop_polls() {
  waiters_.stop();
  streams_.stop();
}

std::size_t Gateway::body_limit(std::string_view /*method*/, std::string_view path) const {
  // Other paths get a small bound, enough to reach their real answer (404, 405) unhurried.
  static constexpr std::size_t kOtherPaths = 64 << 10;
  if (api_ != nullptr && path.starts_with(kApiPrefix)) return kMaxApiBody;
  return ingest_.has_source(path) ? ingest_.body_limit(path) : kOtherPaths;
}

void Gateway::handle(net::HttpRequest request, net::Responder respond) {
  try {
    route(std::move(request), respond);
  } catch (const std::exception&) {
    // Out of memory before the request was handed on: nothing was accepted. Network threads
    // must never see an exception.
    try {
      respond(text(500, "internal_error"));
    } catch (const std::exception&) {
      // Nothing more can be told to this client; only its own timeout ends the wait.
    }
  }
}

void Gateway::route(net::HttpRequest request, const net::Responder& respond) {
  const auto started = std::chrono::steady_clock::now();
  if (ingest_.has_source(request.path) && !ingest_.may_block(request.path)) {
    // The hot path stays on this network thread: verifying is computation, and the append hands
    // the answer back from the store's writer once the event is durable. No thread waits per
    // request, so the only hand-offs are one per group commit.
    RequestLine line{request.method, request.path, request.peer};
    engine::InboundRequest in{std::move(request.method), std::move(request.target),
                              std::move(request.headers), std::move(request.body), request.peer};
    ingest_.handle_async(std::move(in), [this, line = std::move(line), respond, started,
                                         held = in_flight_.hold()](engine::InboundResponse out) {
      std::string source = std::move(out.source);
      std::string verdict = std::move(out.verdict);
      if (out.status == 200 && verdict == "accepted") note_accepted(source, out.routed);
      if (source.empty()) source = kUnmatchedLabel;
      net::HttpResponse response;
      response.status = out.status;
      response.headers = std::move(out.headers);
      response.body = std::move(out.body);
      finish(line, std::move(response), source, verdict, started, respond);
    });
    return;
  }
  if (request.path.starts_with(kStreamPrefix)) {
    // Opening a stream reads nothing that blocks: it is answered here; its store reads run on
    // the streams' own workers.
    std::string source, verdict;
    auto response = streams_.open(request, source, verdict);
    if (source.empty()) source = kUnmatchedLabel;
    finish(RequestLine{request.method, EventStreams::loggable_path(request.path), request.peer},
           std::move(response), source, verdict, started, respond);
    return;
  }
  auto shared = std::make_shared<net::HttpRequest>(std::move(request));
  const bool pull = shared->path.starts_with(kPullPrefix);
  auto& lane = shared->path == "/healthz"   ? health_lane_
               : shared->path == "/metrics" ? metrics_lane_
                                            : pool_;
  const bool queued = lane.try_post([this, shared, respond, started, pull] {
    if (pull) {
      try {
        start_pull(*shared, respond, started);
      } catch (const std::exception&) {
        // Thrown before the poll was answered or parked (both are the last thing it does).
        finish(RequestLine{shared->method, shared->path, shared->peer}, text(500, "internal_error"),
               std::string(kUnmatchedLabel), "internal_error", started, respond);
      }
      return;
    }
    if (api_ != nullptr && shared->path.starts_with(kApiPrefix)) {
      // A publish is answered from the store's writer once durable: the hold keeps this object
      // alive for that answer, and the worker moves on while the commit syncs.
      RequestLine line{shared->method, shared->path, shared->peer};
      auto answer = [this, line, respond, started, held = in_flight_.hold()](
                        net::HttpResponse response, const std::string& verdict) {
        // The console's pages read these answers with the session cookie: a browser must never
        // take one for a page (no sniffing into HTML, nothing loads, never framed).
        response.headers.set("X-Content-Type-Options", "nosniff");
        response.headers.set("Content-Security-Policy",
                             "default-src 'none'; frame-ancestors 'none'");
        finish(line, std::move(response), "api", verdict, started, respond);
      };
      try {
        api_->handle(*shared, std::move(answer));
      } catch (const std::exception&) {
        // Thrown before an answer was owed (ManagementApi answers its own failures).
        finish(line, text(500, "internal_error"), "api", "internal_error", started, respond);
      }
      return;
    }
    if (console_ != nullptr && ConsoleServer::owns(shared->path)) {
      std::string verdict;
      auto response = console_->handle(*shared, verdict);
      finish(RequestLine{shared->method, shared->path, shared->peer}, std::move(response),
             "console", verdict, started, respond);
      return;
    }
    std::string source, verdict;
    net::HttpResponse response;
    try {
      response = dispatch(*shared, source, verdict);
    } catch (const std::exception&) {
      response = text(500, "internal_error");
      verdict = "internal_error";
    }
    finish(RequestLine{shared->method, shared->path, shared->peer}, std::move(response), source,
           verdict, started, respond);
  });
  if (!queued) {
    // Backpressure: every worker is busy and the queue is full. Nothing was accepted.
    auto response = text(503, "busy");
    response.headers.add("Retry-After", "1");
    finish(RequestLine{shared->method, shared->path, shared->peer}, std::move(response), "", "busy",
           started, respond);
  }
}

void Gateway::wake_polls(const std::string& source, std::int64_t seq) {
  waiters_.notify(source);
  streams_.notify(source, seq);
}

void Gateway::note_accepted(const std::string& source, bool routed) {
  waiters_.notify(source);
  streams_.notify(source);
  // The dispatcher's claim is a store write: wake it only when this event queued deliveries.
  if (routed && on_accepted_) on_accepted_();
}

void Gateway::finish(const RequestLine& line, net::HttpResponse response, const std::string& source,
                     const std::string& verdict, std::chrono::steady_clock::time_point started,
                     const net::Responder& respond) {
  try {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!source.empty()) metrics_.request(source, verdict, response.status, seconds);
    log(line, response.status, source, verdict, seconds);
  } catch (const std::exception&) {
    // Metrics and logs are best effort; the answer is not.
  }
  respond(std::move(response));
}

net::HttpResponse Gateway::dispatch(const net::HttpRequest& request, std::string& source,
                                    std::string& verdict) {
  if ((request.path == "/healthz" || request.path == "/metrics") && request.method != "GET" &&
      request.method != "HEAD") {
    verdict = "method_not_allowed";
    auto r = text(405, "method not allowed");
    r.headers.set("Allow", "GET, HEAD");
    return r;
  }
  if (request.path == "/healthz") {
    verdict = "health";
    // Healthy means the store answers, not merely that the process runs. A one-row read: a probe
    // must not cost more as the tables grow (counting them does).
    return store_.setting("health/probe") ? text(200, "ok") : text(503, "store unavailable");
  }
  if (request.path == "/metrics") {
    if (auto refused = metrics_access_.refuse(request)) {
      verdict = "metrics_refused";
      return std::move(*refused);
    }
    verdict = "metrics";
    if (auto counts = store_.counts()) {
      metrics_.set_gauge("hookgate_events_stored", "Events in the store.",
                         static_cast<double>(counts->events));
      metrics_.set_gauge("hookgate_deliveries_pending", "Deliveries waiting for an attempt.",
                         static_cast<double>(counts->pending));
      metrics_.set_gauge("hookgate_deliveries_delivered", "Deliveries done.",
                         static_cast<double>(counts->delivered));
      metrics_.set_gauge("hookgate_deliveries_failed", "Deliveries given up.",
                         static_cast<double>(counts->failed));
    }
    metrics_.set_gauge("hookgate_pull_parked", "Long polls parked, waiting for events.",
                       static_cast<double>(waiters_.parked()));
    metrics_.set_gauge("hookgate_streams_open", "Event streams open on this node.",
                       static_cast<double>(streams_.open_count()));
    auto r = text(200, "");
    r.headers.set("Content-Type", "text/plain; version=0.0.4");
    r.body = metrics_.render();
    return r;
  }
  engine::InboundRequest in{request.method, request.target, request.headers, request.body,
                            request.peer};
  auto out = ingest_.handle(std::move(in));
  source = out.source.empty() ? std::string(kUnmatchedLabel) : out.source;
  verdict = out.verdict;
  if (out.status == 200 && out.verdict == "accepted") note_accepted(out.source, out.routed);
  net::HttpResponse r;
  r.status = out.status;
  r.headers = std::move(out.headers);
  r.body = std::move(out.body);
  return r;
}

void Gateway::start_pull(const net::HttpRequest& request, const net::Responder& respond,
                         std::chrono::steady_clock::time_point started) {
  RequestLine line{request.method, request.path, request.peer};
  const auto refuse = [&](net::HttpResponse r, const std::string& source, const char* verdict) {
    finish(line, std::move(r), source, verdict, started, respond);
  };
  const std::string_view name = std::string_view(request.path).substr(kPullPrefix.size());
  const config::Source* source = nullptr;
  for (const auto& s : config_.sources) {
    if (s.name == name) source = &s;
  }
  if (source == nullptr || !source->pull_token) {
    // Counted under one label: the path is the client's choice, a source name is the config's.
    return refuse(text(404, "unknown_path"), std::string(kUnmatchedLabel), "unknown_path");
  }
  if (request.method != "GET") {
    auto r = text(405, "method_not_allowed");
    r.headers.add("Allow", "GET");
    return refuse(std::move(r), source->name, "method_not_allowed");
  }
  const auto auth = request.headers.get("Authorization");
  const std::string expected = "Bearer " + source->pull_token->value;
  if (!auth || !crypto::constant_time_equal(*auth, expected)) {
    auto r = text(401, "unauthorized");
    r.headers.add("WWW-Authenticate", "Bearer");
    return refuse(std::move(r), source->name, "unauthorized");
  }
  auto poll = std::make_shared<Poll>();
  poll->line = std::move(line);
  poll->respond = respond;
  poll->started = started;
  poll->source = source->name;
  poll->after = query_int(request.target, "after", 0, INT64_MAX);
  poll->limit = static_cast<std::size_t>(
      query_int(request.target, "limit", 100, static_cast<std::int64_t>(kMaxPullEvents)));
  poll->deadline = std::chrono::steady_clock::now() +
                   std::chrono::seconds(query_int(request.target, "wait", 0, kMaxPullWaitSeconds));
  run_poll(poll);
}

void Gateway::run_poll(const std::shared_ptr<Poll>& poll) {
  for (;;) {
    const auto seen = waiters_.generation(poll->source);
    auto events = store_.events_after(poll->source, poll->after, poll->limit);
    if (!events) return answer_poll(*poll, text(503, "store_error"), "store_error");
    if (!events->empty() || std::chrono::steady_clock::now() >= poll->deadline) {
      return answer_poll(*poll, page(*events, poll->after), "pull");
    }
    // Nothing yet: park. The callbacks hold the poll, never a thread; both must not throw (they
    // run on the store's writer and the timer thread).
    auto parked = std::make_shared<ParkedPoll>();
    parked->source = poll->source;
    parked->deadline = poll->deadline;
    parked->resume = [this, poll]() noexcept {
      try {
        return pool_.try_post([this, poll] {
          try {
            run_poll(poll);
          } catch (const std::exception&) {
            answer_poll(*poll, text(500, "internal_error"), "internal_error");
          }
        });
      } catch (const std::exception&) {
        return false;
      }
    };
    parked->expire = [this, poll]() noexcept {
      try {
        answer_poll(*poll, page({}, poll->after), "pull");
      } catch (const std::exception&) {
        // Out of memory building an empty page: the connection's own timeouts end it.
      }
    };
    switch (waiters_.park(std::move(parked), seen)) {
      case PullWaiters::Park::parked:
        return;
      case PullWaiters::Park::stale:
        continue;  // an event came while we looked: look again
      case PullWaiters::Park::stopping:
        return answer_poll(*poll, page(*events, poll->after), "pull");
      case PullWaiters::Park::full: {
        auto r = text(503, "too_many_polls");
        r.headers.add("Retry-After", "1");
        return answer_poll(*poll, std::move(r), "too_many_polls");
      }
    }
  }
}

void Gateway::answer_poll(const Poll& poll, net::HttpResponse response,
                          const std::string& verdict) {
  finish(poll.line, std::move(response), poll.source, verdict, poll.started, poll.respond);
}

void Gateway::log(const RequestLine& request, int status, const std::string& source,
                  const std::string& verdict, double seconds) {
  // Built as text rather than as a JSON object: one line per request is on the hot path. Every
  // string that may come from a client is escaped by the JSON serializer.
  const auto quoted = [](std::string_view v) { return boost::json::serialize(v); };
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::string line = R"({"ts_ms":)" + std::to_string(now);
  line += R"(,"method":)" + quoted(request.method);
  line += R"(,"path":)" + quoted(request.path);
  line += R"(,"status":)" + std::to_string(status);
  line += R"(,"source":)" + quoted(source);
  line += R"(,"verdict":)" + quoted(verdict);
  line += R"(,"ms":)" + std::to_string(static_cast<std::int64_t>(seconds * 1000));
  if (request.peer) line += R"(,"peer":)" + quoted(request.peer->to_string());
  line += '}';
  log_.write_line(std::move(line));
}

}  // namespace hookgate::api
