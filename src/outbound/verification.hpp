// Endpoint verification before any event is sent: proof that the URL wants events, so the service
// cannot be used to flood an address that never asked. Each handshake is a signed POST; what the
// answer must be, and what it proves:
//   echo:           the request carries X-Hook-Secret: <random>; a 2xx answer must carry the same
//                   X-Hook-Secret header (the Asana-style handshake). Proves a receiver that
//                   handles this header on purpose, not one that mirrors every request header.
//   challenge:      the JSON body holds "challenge": "<random>"; a 2xx answer's body must be
//                   exactly that value, or exactly {"challenge": "<value>"} (one member). Proves
//                   a receiver that parses the handshake, not one that echoes its request.
//   hmac_challenge: as challenge, and the answer is exactly {"challenge_hmac": "<base64 of
//                   HMAC-SHA256(secret, "hookgate-endpoint-verification:" + value)>"} under the
//                   endpoint's whsec_ secret (bytes after the prefix, base64-decoded). Proves the
//                   receiver holds the secret, so it can verify the deliveries it will get.
// In every mode an answer that reflects the request (its webhook-id, its signature, or its body,
// in the answer's headers or body) is refused, whatever else it contains.
// The outcome is recorded on the endpoint (verified, or the reason it is not).
#pragma once

#include <functional>
#include <string>
#include <string_view>

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
