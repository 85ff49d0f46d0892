// HttpServer: HTTP/1.1 and HTTPS (optionally mTLS) listeners on Boost.Beast, with every size and
// time bounded before a handler sees a byte: header size and time, body size (per route, checked
// against Content-Length before the body is read) and time, idle keep-alive time, connection
// count. Handlers answer asynchronously, from any thread, exactly once.
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

struct HttpResponse {
  int status = 200;
  schemes::HeaderList headers;
  std::string body;
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
  // Two-stage shutdown: stop accepting, let in-flight requests finish until deadline, then close.
  void stop(std::chrono::milliseconds drain = std::chrono::milliseconds(5000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookgate::net
