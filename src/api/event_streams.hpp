// EventStreams: GET /stream/<source> as text/event-stream. A stream is authorised like the pull
// API (the source's pull_token as a Bearer token) or by the source's capability path
// (/stream/<source>/<stream_capability>); it resumes after the client's cursor (Last-Event-ID,
// else ?after=, else the head) from the durable store, then carries live events as the gateway
// is told of them (this node's accepts, other nodes' through the store's notifications).
//
// The streams themselves run in a StreamFanout, shared with the applications' message streams
// (/api/v1/app/{app_id}/stream): catching up is paced by the consumer, the live streams of one
// source share one store read per wake-up, and a consumer that lets more than [streams]
// buffer_bytes pile up unsent is cut off (it resumes with Last-Event-ID). The number of streams
// is bounded per node and per client address.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/stream_fanout.hpp"
#include "hookgate/config/config.hpp"
#include "hookgate/net/http_server.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::api {

inline constexpr std::string_view kStreamPrefix = "/stream/";

class EventStreams {
 public:
  EventStreams(const config::Config& config, store::Store& store);
  EventStreams(const EventStreams&) = delete;
  EventStreams& operator=(const EventStreams&) = delete;

  // Answers a request under kStreamPrefix: a refusal (404, 405, 401, 400, 503) or a streaming
  // response. Never blocks. source and verdict are set for the metrics and the log line.
  net::HttpResponse open(const net::HttpRequest& request, std::string& source,
                         std::string& verdict);
  // A new durable event of source (empty: of any source) with that seq (0: unknown).
  void notify(const std::string& source, std::int64_t seq = 0);
  // Ends every stream cleanly (the last chunk) and refuses new ones. Idempotent.
  void stop();
  std::size_t open_count() const;
  // Where the applications' message streams run too (ManagementApi).
  StreamFanout& fanout() { return fanout_; }
  // The path as logs may show it: a capability segment is a credential and becomes "***".
  static std::string loggable_path(std::string_view path);

 private:
  const config::Config& config_;
  StreamFanout fanout_;
};

}  // namespace hookgate::api
