// Endpoint verification before any event is sent: proof that the URL wants events, so the service
// cannot be used to flood an address that never asked.
//   echo:      a signed POST carrying X-Hook-Secret: <random>; the endpoint answers 2xx with the
//              same X-Hook-Secret header (the Asana-style handshake).
//   challenge: a signed POST whose JSON body holds {"challenge": "<random>"}; the endpoint answers
//              2xx with the value as its body, or as {"challenge": "<value>"}.
// The outcome is recorded on the endpoint (verified, or the reason it is not).
#pragma once

#include <functional>
#include <string>

#include "hookgate/net/http_client.hpp"
#include "outbound/registry.hpp"

namespace hookgate::outbound {

struct VerificationResult {
  bool verified = false;
  std::string reason;  // why not: "status 404", "secret not echoed", "connect: ..."
};

class Verifier {
 public:
  Verifier(Registry& registry, const net::HttpClient& client, std::function<std::int64_t()> now_ms);
  // Runs the endpoint's verification now and records the result. Errors: the endpoint is gone,
  // or the store failed.
  Result<VerificationResult> verify(const std::string& app_id, const std::string& endpoint_id);

 private:
  VerificationResult attempt(const Endpoint& endpoint);
  Registry& registry_;
  const net::HttpClient& client_;
  std::function<std::int64_t()> now_ms_;
};

}  // namespace hookgate::outbound
