// EndpointTargets: the dispatcher's view of application endpoints ("endpoint:<id>" destinations).
// Each attempt is signed afresh (Standard Webhooks, v1 HMAC or v1a Ed25519, with every live key
// during a rotation), optionally sealed to the endpoint's X25519 key, and sent through the
// SSRF-guarded client. Around the attempt: the endpoint must be enabled and verified, its rate
// limit (shared by all nodes through the store) and circuit breaker (per node) are applied, and
// an endpoint that answers 410 or fails continuously for too long is disabled, with an
// endpoint.disabled operational event.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "hookgate/config/config.hpp"
#include "hookgate/engine/target.hpp"
#include "hookgate/net/http_client.hpp"
#include "hookgate/net/http_pool.hpp"
#include "hookgate/schemes/key.hpp"
#include "outbound/circuit_breaker.hpp"
#include "outbound/registry.hpp"

namespace hookgate::outbound {

struct EndpointSettings {
  engine::RetrySchedule schedule;
  std::size_t concurrency = 4;
  std::chrono::milliseconds timeout{15'000};
  std::chrono::seconds disable_after{5 * 24 * 3600};
  int breaker_failures = 5;
  std::chrono::seconds breaker_cooldown{30};
  std::vector<std::string> operational_destinations;
};

// Headers and body of one signed delivery (shared with endpoint verification).
struct SignedRequest {
  schemes::HeaderList headers;
  std::string body;
};
Result<SignedRequest> sign_for_endpoint(const Endpoint& endpoint, std::string_view id,
                                        std::string_view payload, std::string_view content_type,
                                        std::chrono::system_clock::time_point at,
                                        std::int64_t now_ms);

// An endpoint's signing keys parsed once (secrets decoded, HMAC key schedules prepared), each
// with the time it stops signing (0: never). A claim's target signs every delivery it sends with
// them instead of parsing the secrets again per delivery.
struct PreparedKeys {
  std::vector<schemes::Key> keys;
  std::vector<std::int64_t> expires_ms;  // one per key
};
Result<PreparedKeys> prepare_keys(const Endpoint& endpoint);
Result<SignedRequest> sign_for_endpoint(const Endpoint& endpoint, const PreparedKeys& keys,
                                        std::string_view id, std::string_view payload,
                                        std::string_view content_type,
                                        std::chrono::system_clock::time_point at,
                                        std::int64_t now_ms);

class EndpointTargets : public engine::TargetDirectory {
 public:
  // pool (made with the [outbound] policy and TLS settings) must outlive this directory.
  EndpointTargets(store::Store& store, Registry& registry, net::HttpPool& pool,
                  EndpointSettings settings, std::function<std::int64_t()> now_ms);
  std::shared_ptr<engine::Target> find(std::string_view destination) override;
  // Ids of the endpoints whose circuit is open on this node now (for the console).
  std::vector<std::string> open_circuits();

 private:
  friend class EndpointTarget;
  // Sends request through the pool; done is called with the outcome exactly once, on a pool
  // thread.
  void send(net::OutboundRequest request, engine::SendDone done);
  std::shared_ptr<CircuitBreaker> breaker(const std::string& endpoint_id);
  void disable(const Endpoint& endpoint, const std::string& reason);
  void note_failure(const Endpoint& endpoint, std::int64_t now_ms);
  void note_success(const Endpoint& endpoint);
  // After a success: when it closed the endpoint's circuit before the cool-down's end
  // (cut_short_ms, 0: it did not), the deliveries postponed up to then are made due now, in
  // batches of kReleaseBatch, one per success, so a long queue moves without one huge write.
  void release_held(const std::string& endpoint_id, std::int64_t cut_short_ms, std::int64_t now_ms);
  // A rate-limit slot reserved for a delivery that was postponed to it: used on its next claim
  // instead of reserving again (which would push it back forever).
  bool take_reserved(std::int64_t delivery_id, std::int64_t now_ms);
  void keep_reserved(std::int64_t delivery_id, std::int64_t slot_ms);

  store::Store& store_;
  Registry& registry_;
  net::HttpPool& pool_;
  EndpointSettings settings_;
  std::function<std::int64_t()> now_ms_;
  std::mutex m_;
  std::map<std::string, std::shared_ptr<CircuitBreaker>> breakers_;
  std::map<std::int64_t, std::int64_t> reserved_;  // delivery id -> slot
  // Endpoints with deliveries still postponed to a cool-down a trial cut short -> its end.
  std::map<std::string, std::int64_t> held_;
  static constexpr std::size_t kReleaseBatch = 1000;
  static constexpr std::size_t kMaxHeld = 10'000;
};

}  // namespace hookgate::outbound
