// HttpSender: delivers a stored event to an http(s) destination: the raw body byte for byte,
// signed with Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature) when the
// destination signs, with a bearer token when it has one. Every connection goes through an
// HttpClient bound to the operator's OutboundPolicy, so a destination URL cannot reach an address
// the policy refuses.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "hookgate/engine/sender.hpp"
#include "hookgate/net/http_client.hpp"
#include "hookgate/schemes/scheme.hpp"

namespace hookgate::engine {

class HttpSender : public Sender {
 public:
  // The signing time (webhook-timestamp); the system clock unless a test injects one.
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  // Verifies servers against the system trust store; keeps kMaxRecordedResponse response bytes.
  explicit HttpSender(net::OutboundPolicy policy, Clock clock = {});
  // A client the caller set up (extra CA file, client certificate, other caps).
  explicit HttpSender(net::HttpClient client, Clock clock = {});

  // One POST with destination.timeout as the whole request's bound. A response of any status is
  // reported as that status (3xx included: redirects are not followed), with Retry-After read on
  // 429 and 503; a refused address, a transport failure or a timeout is reported as an error.
  SendResult send(const store::Delivery& delivery, const config::Destination& destination,
                  int attempt) override;
  // The request of one attempt (signed afresh, with its bearer token), or why none can be made;
  // for sending through an asynchronous pool instead of this sender's client.
  Result<net::OutboundRequest> request(const store::Delivery& delivery,
                                       const config::Destination& destination) const;

 private:
  void load_scheme();

  std::optional<net::HttpClient> client_;
  std::optional<schemes::Scheme> scheme_;
  std::string setup_error_;  // why this sender cannot send at all; reported by every send
  Clock clock_;
};

// A client's answer as an attempt's outcome: any status is that status (redirects are not
// followed), Retry-After read on 429 and 503, the body capped at kMaxRecordedResponse; a refused
// address, a transport failure or a timeout is an error.
SendResult send_result(Result<net::HttpClientResponse> response);

}  // namespace hookgate::engine
