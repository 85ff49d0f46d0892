// HttpClient: the blocking HTTP/1.1 client deliveries go out through. One request per call and
// per connection (Connection: close), every step bounded: name lookup, connect, TLS, write and
// read all share one deadline; response headers and the kept body are capped. It is the
// enforcement point of the OutboundPolicy: every resolved address is checked before a connect,
// only addresses that passed are dialled, and the peer actually connected to is checked again.
// Redirects are never followed: a 3xx is returned like any other response.
//
// Thread-safety: post() may be called from many threads at once on one client.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "hookgate/net/outbound_policy.hpp"
#include "hookgate/result.hpp"
#include "hookgate/schemes/header_list.hpp"

namespace hookgate::net {

struct HttpClientOptions {
  OutboundPolicy policy;
  std::chrono::milliseconds connect_timeout{5'000};  // per address tried
  std::chrono::milliseconds timeout{15'000};         // whole request, unless the request says
  std::size_t max_response_header_bytes = 16 << 10;  // larger: an error, not a response
  // Response body bytes kept. Reading stops there and the connection is closed, so a huge or
  // endless body costs neither memory nor time; the status is still returned.
  std::size_t max_response_body_bytes = 64 << 10;
  // Server certificates are verified, host name included, against the system trust store and,
  // when set, the PEM CA certificates of this file.
  bool system_trust = true;
  std::string ca_file;
  // mTLS: PEM certificate chain and private key presented to servers that ask for one.
  std::string client_certificate;
  std::string client_private_key;
};

struct OutboundRequest {
  std::string method = "POST";
  std::string url;  // http:// or https:// (see parse_http_url)
  // Sent as given. Host, Content-Length, Transfer-Encoding and Connection are the client's own:
  // a request carrying one is refused.
  schemes::HeaderList headers;
  std::string body;
  std::optional<std::chrono::milliseconds> timeout;  // replaces HttpClientOptions::timeout
};

struct HttpClientResponse {
  int status = 0;
  schemes::HeaderList headers;
  std::string body;             // at most max_response_body_bytes
  bool body_truncated = false;  // the server sent more than was kept
  std::string peer;             // the address connected to, "127.0.0.1:8080" / "[::1]:443"
  std::chrono::milliseconds connect_time{0};  // lookup, connect and TLS handshake
  std::chrono::milliseconds total_time{0};    // until the kept body was read
};

class HttpClient {
 public:
  // Loads the TLS material (trust store, CA file, client certificate); errors name the file.
  static Result<HttpClient> create(HttpClientOptions options);
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  // Waits for name lookups that outlived their request (see post()).
  ~HttpClient();

  // One request. A response of any status (1xx aside) is a value; once its headers are in, a
  // body that breaks off or outlives the deadline still gives the response, body_truncated set.
  // Everything else is an error whose message starts with what failed, never with the URL's
  // path or query: "url: ...", "request: ..." (a malformed method or header),
  // "address_refused: <host>: ...", "dns: <host>: ...", "connect: ...", "tls: ...",
  // "write: ...", "read: ...", "timeout after <ms> ms (<step>)".
  // The system resolver cannot be interrupted: when a lookup outlives the deadline, post()
  // returns the timeout at once and the lookup thread is reaped by a later call or by the
  // destructor.
  Result<HttpClientResponse> post(const OutboundRequest& request) const;

  const HttpClientOptions& options() const;

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookgate::net
