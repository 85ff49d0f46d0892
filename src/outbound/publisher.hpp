// Publisher: a message from an application becomes one stored event (payload byte for byte) with
// one delivery per matching endpoint (enabled, verified, subscribed to the event type), in one
// durable append. An idempotency key makes a retried publish return the first message instead of
// fanning out twice; it holds across nodes because the store's de-duplication does.
//
// publish_async is the request path: the checks and the fan-out (registry reads) run on the
// caller's thread, the append goes to the store's writer, and the outcome is handed back from
// its commit callback, so no thread waits for the sync (the inbound sources' path).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "hookgate/store/store.hpp"
#include "outbound/registry.hpp"

namespace hookgate::outbound {

struct Message {
  std::string app_id;
  std::string event_type;
  std::string payload;  // bytes as published
  std::string content_type = "application/json";
  std::string idempotency_key;  // empty: none
};

struct Published {
  std::string id;  // "msg_<seq>"
  std::int64_t seq = 0;
  bool duplicate = false;
  std::vector<std::string> endpoints;  // the endpoint ids fanned out to (empty for a duplicate)
};

// The event log source of an application's messages, and back.
std::string app_source(std::string_view app_id);
std::string message_id(std::int64_t seq);
std::optional<std::int64_t> message_seq(std::string_view id);
// A delivery destination naming an endpoint, and back.
std::string endpoint_destination(std::string_view endpoint_id);
std::optional<std::string> destination_endpoint(std::string_view destination);

inline constexpr std::size_t kMaxPayloadBytes = 1 << 20;
inline constexpr std::size_t kMaxEventTypeBytes = 256;
inline constexpr std::size_t kMaxIdempotencyKeyBytes = 256;

class Publisher {
 public:
  Publisher(store::Store& store, Registry& registry, std::chrono::seconds idempotency_ttl,
            std::function<std::int64_t()> now_ms);
  // Errors: "invalid: ...", "not_found: ...", "busy: ..." (store saturated), "store_error: ...".
  Result<Published> publish(const Message& message);
  // The outcome, called exactly once: before this returns when the message is refused (checks,
  // registry, store queue full), else on the store's writer once the append is durable or has
  // failed. It must be quick there and must not throw.
  using Done = std::function<void(Result<Published>)>;
  void publish_async(const Message& message, Done done);

 private:
  store::Store& store_;
  Registry& registry_;
  std::chrono::seconds ttl_;
  std::function<std::int64_t()> now_ms_;
};

}  // namespace hookgate::outbound
