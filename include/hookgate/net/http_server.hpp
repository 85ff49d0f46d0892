// HttpServer: HTTP/1.1 and HTTPS (optionally mTLS) listeners on Boost.Beast, with every size and
// time bounded before a handler sees a byte: header size and time, body size (per route, checked
// against Content-Length before the body is read) and time, idle keep-alive time, connection
// count (bounded by the descriptors the process may open too). Handlers answer asynchronously, from
// any thread, exactly once: with a whole response, or with a head followed by a stream of body
// bytes (StreamSink) that either side may end.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hookgate/config/config.hpp"
#include "hookgate/net/ip_address.hpp"
#include "hookgate/result.hpp"
#include "hookgate/schemes/header_list.hpp"

namespace hookgate::net {

struct HttpRequest {
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;    // target before '?'
  schemes::HeaderList headers;
  std::string body;
  std::optional<IpAddress> peer;
  bool tls = false;
  bool client_certificate = false;  // a verified client certificate was presented
};

// The writing end of a streaming response. Thread-safe; every call returns at once (the bytes
// are written later, on the connection's thread).
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // Queues bytes to send (one HTTP/1.1 chunk). Accepted while fewer than max_queued_bytes wait
  // unsent, so the queue never holds more than that plus one write; refused (false) when the
  // queue is at its bound, which also ends the stream (the consumer is too slow), or once the
  // stream has ended.
  virtual bool write(std::string bytes) = 0;
  // The same, for bytes that many streams send (a batch every stream of a source gets): they
  // are queued by reference, never copied, so they exist once in memory however many streams
  // send them; each stream's bound counts them in full.
  virtual bool write_shared(std::shared_ptr<const std::string> bytes) = 0;
  // Bytes accepted but not yet handed to the socket.
  virtual std::size_t queued() const = 0;
  // Ends the stream cleanly once the queued bytes are sent (the last chunk, then close).
  virtual void close() = 0;
};

// The handler's side of a streaming response. Callbacks run on the connection's network thread:
// they must be quick and must not throw.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // The head is sent: writes may start (from any thread). Called at most once.
  virtual void on_open(std::shared_ptr<StreamWriter> writer) = 0;
  // Everything queued so far has been handed to the socket (the queue is empty).
  virtual void on_drained() = 0;
  // The stream is over (the client went away, a write timed out, the queue overflowed, the
  // server stops, or close() finished). Called exactly once, also when on_open never was (the
  // head could not be sent); no write is accepted after it.
  virtual void on_closed() = 0;
};

struct StreamOptions {
  std::size_t max_queued_bytes = 1 << 20;
  // A write (at most 64 KiB of the queue) that makes no progress within this ends the stream:
  // a consumer that stops reading is cut off. The read timeouts do not apply to a stream.
  std::chrono::milliseconds write_timeout{30'000};
  // Written whenever the queue has been empty this long (0: never), so idle streams show the
  // client (and proxies) that they are alive and reveal peers that vanished.
  std::chrono::milliseconds heartbeat{0};
  std::string heartbeat_bytes;
};

struct HttpResponse {
  int status = 200;
  schemes::HeaderList headers;
  std::string body;
  // Set: a streaming response. The head (status, headers; body ignored) is sent with chunked
  // framing (HTTP/1.1) or delimited by the close (HTTP/1.0), and the connection serves nothing
  // after the stream.
  std::shared_ptr<StreamSink> stream;
  StreamOptions stream_options;
};

using Responder = std::function<void(HttpResponse)>;

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // The largest body accepted for this request line; larger ones get 413 unread.
  virtual std::size_t body_limit(std::string_view method, std::string_view path) const = 0;
  // Must eventually call respond exactly once (it may be called from another thread). Must not
  // throw; it runs on a network thread, so blocking work belongs on another thread.
  virtual void handle(HttpRequest request, Responder respond) = 0;
};

class HttpServer {
 public:
  HttpServer(std::vector<config::Listener> listeners, config::Limits limits, HttpHandler& handler,
             std::size_t threads = 2);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every listener (TLS contexts loaded first) and starts serving. An error (address in
  // use, unreadable certificate) binds nothing.
  Result<bool> start();
  // The bound port of each listener, in order (useful with port 0).
  std::vector<std::uint16_t> ports() const;
  // The connection bound in force once started: max_connections, or less when the process may
  // not open twice that many files (RLIMIT_NOFILE), since every connection takes one.
  std::size_t max_connections() const;
  // Two-stage shutdown: stop accepting, let in-flight requests finish until deadline, then close.
  // Streams are in flight until they end: the handler should close them before (StreamWriter).
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(5000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookgate::net
