// Ingest: the inbound path of the gateway, independent of sockets. For a request to a source's
// path it answers the provider's handshake, checks the client address, verifies the signature
// with the source's keys, picks the event type and the routed destinations, and appends the
// event to the store, durably, before saying 2xx. Every outcome carries a short reason code for
// logs and metrics; none carries a secret or a signature.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hookgate/config/config.hpp"
#include "hookgate/net/ip_address.hpp"
#include "hookgate/result.hpp"
#include "hookgate/schemes/header_list.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::engine {

using Clock = std::function<std::chrono::system_clock::time_point()>;

class Inspector;

struct InboundRequest {
  std::string method;
  std::string target;  // path and query, as received
  schemes::HeaderList headers;
  std::string body;
  std::optional<net::IpAddress> peer;
};

struct InboundResponse {
  int status = 200;
  schemes::HeaderList headers;
  std::string body;
  std::string source;    // empty when no source matched
  std::string verdict;   // "accepted", "duplicate", "handshake", or a refusal reason code
  std::int64_t seq = 0;  // the stored event, when accepted
  bool routed = false;   // accepted with at least one delivery queued (the dispatcher has work)
};

// GETs a URL the gateway must visit to complete a handshake (AWS SNS SubscribeURL); returns the
// HTTP status, or an error when there was no answer. Injected: ingest does no I/O of its own.
using UrlVisitor = std::function<Result<int>(const std::string& url)>;

class Ingest {
 public:
  // Resolves every source's scheme, keys and handshake; errors name the source. Without a
  // visitor, SNS subscription confirmations are refused (503) instead of half-done. With an
  // inspector (it must outlive this), every request to a source that is not a newly accepted
  // event (refused, duplicate, handshake, a failed append) is captured there.
  static Result<std::unique_ptr<Ingest>> create(const config::Config& config, store::Store& store,
                                                Clock clock, UrlVisitor visit = {},
                                                Inspector* inspector = nullptr);
  ~Ingest();

  // Whether path belongs to a source, and the largest body it accepts (for the HTTP layer's
  // limits, applied before the body is read).
  bool has_source(std::string_view path) const;
  std::size_t body_limit(std::string_view path) const;

  // Whether handling a request for this path may block on I/O before the append (a store read
  // for Asana's establishment, the visit of an SNS confirmation): such requests belong on a
  // worker thread. The others compute until the append and may run on a network thread.
  bool may_block(std::string_view path) const;

  // The answer for a request, exactly once: for an event, from the store's writer thread once the
  // event is durable (or the append failed); for anything else before handle_async returns. The
  // callback must be quick and must not throw (it runs while other appends wait). Thread-safe.
  using Answer = std::function<void(InboundResponse)>;
  void handle_async(InboundRequest request, const Answer& answer);

  // handle_async, waiting for the answer.
  InboundResponse handle(InboundRequest request);

 private:
  struct Impl;
  explicit Ingest(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The Asana establishment window kept in the store (setting "establish/<source>"): a handshake
// is answered only while a pending record exists, before its deadline, and when the request URL
// carries its one-time code in the query parameter kEstablishCodeParam.
inline constexpr std::string_view kEstablishCodeParam = "hookgate_code";
struct PendingEstablishment {
  std::string code;
  std::int64_t expires_ms = 0;
  std::string offered_secret_sha256;  // hex, filled in when the handshake was answered
};
std::string encode_establishment(const PendingEstablishment& pending);
std::optional<PendingEstablishment> decode_establishment(std::string_view text);

}  // namespace hookgate::engine
