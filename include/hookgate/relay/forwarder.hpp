// Forwarder: delivers a gateway event to the developer's local server, as the provider sent it:
// the provider's kept headers and the exact body bytes, so the provider's own SDK verifies the
// original signature there. With a Standard Webhooks key it re-signs instead (webhook-id
// "<source>-<seq>", stable across retries; webhook-timestamp now; webhook-signature), for
// services that verify one scheme. A Content-Type is added only when the event kept none
// (application/json for a JSON body, else application/octet-stream).
//
// Attempts: a connection failure, a timeout, 408, 429 or a 5xx is retried with backoff (0.5 s
// doubling up to the cap), up to max_attempts (0: until the local server takes it: the local
// server restarting while the developer edits it must not lose events); any other answer is
// final: 2xx accepted, anything else refused (the local server said no; retrying would not
// change its mind).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "hookgate/net/http_client.hpp"
#include "hookgate/relay/stream_event.hpp"
#include "hookgate/result.hpp"
#include "hookgate/schemes/key.hpp"
#include "hookgate/schemes/scheme.hpp"

namespace hookgate::relay {

struct ForwardOptions {
  std::string target_url;   // http(s)://localhost:3000/webhook
  std::string sign_secret;  // whsec_...: re-sign with Standard Webhooks; empty: off
  std::chrono::milliseconds timeout{30'000};  // one attempt
  std::chrono::milliseconds backoff_cap{30'000};
  int max_attempts = 0;  // 0: no limit
  std::string ca_file;   // extra CA certificates for an https target
};

struct ForwardOutcome {
  bool accepted = false;  // the local server answered 2xx
  int status = 0;         // the last answer's status; 0: none (then error says why)
  std::string error;
  int attempts = 0;
  std::chrono::milliseconds latency{0};  // of the last attempt
};

class Forwarder {
 public:
  // Errors: a target URL that is not http(s), a --sign secret that is not a Standard Webhooks
  // secret (the message never contains the secret), an unreadable CA file.
  static Result<Forwarder> create(const ForwardOptions& options);

  // The request the local server receives for event (what deliver() sends; tests inspect it).
  Result<net::OutboundRequest> request_for(const StreamEvent& event) const;

  // Delivers with the retries above; on_retry hears of each failed attempt and the wait before
  // the next one.
  using RetryFn = std::function<void(const ForwardOutcome&, std::chrono::milliseconds wait)>;
  ForwardOutcome deliver(const StreamEvent& event, const RetryFn& on_retry) const;

 private:
  Forwarder() = default;
  ForwardOptions options_;
  std::shared_ptr<const net::HttpClient> client_;
  std::shared_ptr<const schemes::Scheme> scheme_;
  std::shared_ptr<const schemes::Key> key_;
};

}  // namespace hookgate::relay
