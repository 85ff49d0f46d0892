// SseStream: a blocking text/event-stream client over HTTP/1.1 or HTTPS, for the command line's
// `listen` and `tail` (one stream per thread). open() connects, sends one GET and checks the
// answer: 200 with Content-Type text/event-stream gives a stream; any other status gives that
// status with an excerpt of the body (the gateway's error code), never followed (no redirects).
// next() returns the stream's messages one at a time. Every step is bounded: name lookup,
// connect, TLS and the response head share the open timeout; between two bytes of the body (a
// gateway pings every 30 s) at most the idle timeout passes; a line or a message's data is capped
// (SseParser). TLS verifies the certificate and the host name against the system trust store and
// the optional CA file. The address is the user's own choice (their gateway), so no address
// policy applies. Errors never contain the request's headers (the token) or the URL's path.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "hookgate/net/sse_parser.hpp"
#include "hookgate/result.hpp"
#include "hookgate/schemes/header_list.hpp"

namespace hookgate::net {

struct SseClientOptions {
  std::chrono::milliseconds open_timeout{15'000};  // lookup, connect, TLS, response head
  std::chrono::milliseconds idle_timeout{75'000};  // no byte for this long: the stream is dead
  std::size_t max_message_bytes = 16U << 20;       // a line or a message's data
  std::size_t max_header_bytes = 16U << 10;        // the response head
  std::size_t max_error_body_bytes = 4096;         // kept from a refusal
  std::string ca_file;                             // extra PEM CA certificates
};

// What open() found when it did not get a stream.
struct SseRefusal {
  int status = 0;  // the HTTP status; 0 when no answer came (then error says why)
  // Why: "connect: ...", "tls: ...", "dns: ...", "timeout ...", "not an event stream", "HTTP 401".
  std::string error;
  std::string body;  // the refusal's body, at most max_error_body_bytes
};

class SseStream {
 public:
  struct Opened;
  // url: http(s)://host[:port]/path; headers are sent as given (Accept and Cache-Control are
  // added). Returns the stream or why there is none.
  static Opened open(const SseClientOptions& options, const std::string& url,
                     const schemes::HeaderList& headers);
  ~SseStream();
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  // The next message; nullopt when the server ended the stream cleanly (last chunk or close);
  // an error when the connection broke, went idle past the idle timeout or sent too much.
  Result<std::optional<SseMessage>> next();

  struct Impl;

 private:
  explicit SseStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct SseStream::Opened {
  std::unique_ptr<SseStream> stream;  // set on success
  SseRefusal refusal;                 // otherwise
};

}  // namespace hookgate::net
