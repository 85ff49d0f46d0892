// StreamReader: one source's gateway stream, read for as long as the process runs: it connects
// with the token, resumes after the last handled seq (Last-Event-ID), hands each event to the
// caller, and when the gateway goes away (closed, restarted, idle past the timeout, cut off as a
// slow consumer) reconnects with backoff (the gateway's retry hint first, doubling up to a cap)
// and resumes where it stopped. It returns only for what waiting cannot mend: the token refused
// (401/403), an unknown source (404), a refused cursor (400), the gateway unreachable or its
// certificate refused before the first connection, or an event it cannot read.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "hookgate/net/sse_client.hpp"
#include "hookgate/relay/stream_event.hpp"
#include "hookgate/result.hpp"

namespace hookgate::relay {

// Why a reader stopped; the values are the command's exit codes (docs/cli.md).
enum class StopReason {
  refused = 3,      // 401/403: the token is wrong for this source
  unknown = 4,      // 404: no such source (or it has no pull_token)
  unreachable = 5,  // no connection, TLS refused, not an event stream (before the first one)
  protocol = 6,     // an event that cannot be read, a refused cursor, a state file not writable
};

struct ReaderStop {
  StopReason reason;
  std::string message;  // for the user: never the token
};

struct ReaderOptions {
  std::string gateway_url;  // the base URL: http(s)://host[:port][/prefix]
  std::string source;
  std::string token;  // sent as Authorization: Bearer, never shown
  net::SseClientOptions sse;
  std::size_t max_body_bytes = 16U << 20;  // an event's body; larger: a stop (protocol)
  std::chrono::milliseconds backoff_cap{30'000};
};

// The stream URL of a source: base + "/stream/" + the source name, %-escaped where needed.
std::string stream_url(const std::string& gateway_url, const std::string& source);

class StreamReader {
 public:
  // Called once per connection with the seq the gateway resumes after.
  using ReadyFn = std::function<void(std::int64_t after)>;
  // Called for every event in order. Returns nullopt when the event is handled (the reader
  // resumes after it from then on) or a stop (a handler's own fatal error).
  using EventFn = std::function<std::optional<ReaderStop>(const StreamEvent&)>;
  // Connection notes for the user ("connected", "reconnecting in 2.0 s: ...").
  using NoteFn = std::function<void(const std::string&)>;

  explicit StreamReader(ReaderOptions options) : options_(std::move(options)) {}

  // after: resume after this seq; nullopt: from the gateway's head (events from now on).
  ReaderStop run(std::optional<std::int64_t> after, const ReadyFn& on_ready,
                 const EventFn& on_event, const NoteFn& note);

 private:
  ReaderOptions options_;
};

}  // namespace hookgate::relay
