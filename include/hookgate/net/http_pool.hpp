// HttpPool: the asynchronous HTTP/1.1 client deliveries go out through. Requests run on the
// pool's own event-loop threads, so an attempt that waits for a slow server holds no thread, and
// connections are kept alive and reused per origin (TLS sessions resumed), so a busy endpoint
// costs one handshake per connection rather than one per delivery.
//
// It enforces the same OutboundPolicy as HttpClient on every NEW connection (resolve -> check
// every address -> connect only to those that passed -> check the peer actually connected to).
// A pool serves one policy and one TLS setting: what it checked under them never serves another
// policy (make one pool per policy). Pooled connections are keyed by scheme, host and port.
// Redirects are never followed.
//
// Memory per request in flight (measured RSS, each on its own connection; see
// HttpPool*ResidentMemoryPerRequestInFlight): 7 to 9 KiB over plain HTTP and 65 to 85 KiB over
// HTTPS (Asio's and OpenSSL's TLS record buffers), plus the response excerpt kept (at most
// max_response_body_bytes) and the request body. A request waiting for a free connection (only
// under max_per_origin) holds no connection: its state and coroutine frames alone.
//
// Thread-safety: send() and stats() may be called from any thread. The pool must not be
// destroyed from inside a done callback (the destructor waits for the callbacks to return).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hookgate/net/http_client.hpp"
#include "hookgate/net/ip_address.hpp"
#include "hookgate/result.hpp"

namespace hookgate::net {

struct PoolOptions {
  std::size_t threads = 1;  // event-loop threads
  // Connections (busy and idle) to one origin. 0: no cap of the pool's own, so the sum of the
  // endpoints' concurrency limits sharing an origin (a SaaS ingress) is never throttled below.
  std::size_t max_per_origin = 0;
  // Idle connections kept per origin and over all origins. The per-origin cap is the total by
  // default for the same reason as max_per_origin: endpoints sharing an origin would otherwise
  // close and reopen every connection above a small cap each time a burst of attempts ends.
  std::size_t max_idle_per_origin = 4096;
  std::size_t max_idle_total = 4096;
  // An idle connection is closed after this long. Below Node's default server keep-alive
  // (5 s) so Hookgate closes first; a server's "Keep-Alive: timeout=N" shortens it.
  std::chrono::milliseconds idle_timeout{4'000};
  std::size_t max_requests_per_connection = 10'000;
  std::size_t resolver_threads = 4;  // concurrent name lookups (the system resolver blocks)
  // Replaces the system resolver (tests). Called on a resolver thread; the addresses returned
  // are judged by the policy like any lookup's.
  std::function<Result<std::vector<IpAddress>>(const std::string& host)> resolve;
};

struct PoolStats {
  std::uint64_t requests = 0;
  std::uint64_t connections_opened = 0;  // TCP connects that succeeded
  std::uint64_t reused = 0;              // requests sent on a kept-alive connection
  std::uint64_t tls_handshakes = 0;      // full and resumed
  std::uint64_t tls_resumed = 0;         // handshakes that resumed a session
  std::uint64_t open = 0;                // connections open now (busy and idle)
  std::uint64_t idle = 0;                // of which idle now
};

class HttpPool {
 public:
  using Done = std::function<void(Result<HttpClientResponse>)>;

  // Loads the TLS material as HttpClient::create does and starts the loop threads.
  static Result<std::unique_ptr<HttpPool>> create(HttpClientOptions client, PoolOptions pool);
  // Stops the loops; requests still running complete with an error ("cancelled: the pool is
  // shutting down"), each exactly once, before it returns; no callback runs after it.
  ~HttpPool();
  HttpPool(const HttpPool&) = delete;
  HttpPool& operator=(const HttpPool&) = delete;

  // Starts one request and returns at once. done is called exactly once, on a pool thread, with
  // the same values and error texts as HttpClient::post. A request that fails on a reused
  // connection before any byte of a response arrived (the server closed it while idle) is sent
  // once more on a new connection. A connection that saw any error, a response that was not read
  // to its end, "Connection: close" or an HTTP/1.0 answer is closed, never reused.
  void send(OutboundRequest request, Done done);

  PoolStats stats() const;
  const HttpClientOptions& options() const;

 private:
  struct Impl;
  explicit HttpPool(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace hookgate::net
