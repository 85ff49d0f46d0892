// Publisher: a message from an application becomes one stored event (payload byte for byte, a
// random public id, its channels and tags) with one delivery per matching endpoint (enabled,
// verified, subscribed to the event type and one of its channels), in one durable append. The
// message's eventId, or else the request's idempotency key, makes a retried publish return the
// first message instead of fanning out twice; it holds across nodes because the store's
// de-duplication does.
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
#include "outbound/public_ids.hpp"
#include "outbound/registry.hpp"

namespace hookgate::outbound {

// What a message carries beyond its type and payload (stored as the event's meta, JSON).
struct MessageMeta {
  std::string event_id;  // Svix eventId: the sender's id, idempotent per application
  std::vector<std::string> channels;
  std::vector<std::string> tags;
};
std::string to_json(const MessageMeta& meta);
MessageMeta message_meta_from_json(std::string_view json);  // "" or unreadable: empty

struct Message {
  std::string app_id;
  std::string event_type;
  std::string payload;  // bytes as published
  std::string content_type = "application/json";
  std::string idempotency_key;  // empty: none
  MessageMeta meta;
};

struct Published {
  std::string id;  // "msg_..." (public_ids.hpp); a duplicate's is the first message's
  std::int64_t seq = 0;
  std::int64_t timestamp_ms = 0;  // when the (first) message was received
  bool duplicate = false;
  std::vector<std::string> endpoints;  // the endpoint ids fanned out to (empty for a duplicate)
};

// The event log source of an application's messages.
std::string app_source(std::string_view app_id);
// A delivery destination naming an endpoint, and back.
std::string endpoint_destination(std::string_view endpoint_id);
std::optional<std::string> destination_endpoint(std::string_view destination);

inline constexpr std::size_t kMaxPayloadBytes = 1 << 20;
inline constexpr std::size_t kMaxEventTypeBytes = 256;
inline constexpr std::size_t kMaxIdempotencyKeyBytes = 256;
inline constexpr std::size_t kMaxEventIdBytes = 256;
inline constexpr std::size_t kMaxMessageChannels = 10;
inline constexpr std::size_t kMaxMessageTags = 5;
inline constexpr std::size_t kMaxChannelBytes = 128;
inline constexpr std::size_t kMaxTagBytes = 128;

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
