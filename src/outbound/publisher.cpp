// Fan-out at publish time: the matching endpoints become deliveries in the same append.
#include "outbound/publisher.hpp"

#include <boost/json.hpp>
#include <future>
#include <memory>

namespace hookgate::outbound {

namespace {
constexpr std::string_view kAppPrefix = "app:";
constexpr std::string_view kEndpointPrefix = "endpoint:";
// De-duplication key namespaces, so an eventId never matches an idempotency key.
constexpr std::string_view kEventIdKey = "event-id:";
constexpr std::string_view kIdempotencyKey = "idempotency-key:";

std::vector<std::string> strings_of(const boost::json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& item : v->as_array()) {
    if (item.is_string()) out.emplace_back(item.as_string());
  }
  return out;
}
}  // namespace

std::string to_json(const MessageMeta& meta) {
  boost::json::object o;
  if (!meta.event_id.empty()) o["eventId"] = meta.event_id;
  if (!meta.channels.empty())
    o["channels"] = boost::json::array(meta.channels.begin(), meta.channels.end());
  if (!meta.tags.empty()) o["tags"] = boost::json::array(meta.tags.begin(), meta.tags.end());
  return boost::json::serialize(o);
}

MessageMeta message_meta_from_json(std::string_view json) {
  MessageMeta meta;
  if (json.empty()) return meta;
  boost::system::error_code ec;
  const auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return meta;
  const auto& o = v.as_object();
  if (const auto* id = o.if_contains("eventId"); id != nullptr && id->is_string()) {
    meta.event_id = std::string(id->as_string());
  }
  meta.channels = strings_of(o, "channels");
  meta.tags = strings_of(o, "tags");
  return meta;
}

std::string app_source(std::string_view app_id) {
  return std::string(kAppPrefix) + std::string(app_id);
}

std::string endpoint_destination(std::string_view endpoint_id) {
  return std::string(kEndpointPrefix) + std::string(endpoint_id);
}

std::optional<std::string> destination_endpoint(std::string_view destination) {
  if (!destination.starts_with(kEndpointPrefix)) return std::nullopt;
  return std::string(destination.substr(kEndpointPrefix.size()));
}

Publisher::Publisher(store::Store& store, Registry& registry, std::chrono::seconds idempotency_ttl,
                     std::function<std::int64_t()> now_ms)
    : store_(store), registry_(registry), ttl_(idempotency_ttl), now_ms_(std::move(now_ms)) {}

Result<Published> Publisher::publish(const Message& m) {
  // Shared with the callback: this thread may return the moment the value is set, while
  // set_value() is still running on the writer thread.
  auto outcome = std::make_shared<std::promise<Result<Published>>>();
  auto answered = outcome->get_future();
  publish_async(m, [outcome](Result<Published> r) { outcome->set_value(std::move(r)); });
  return answered.get();
}

void Publisher::publish_async(const Message& m, Done done) {
  if (m.event_type.empty() || m.event_type.size() > kMaxEventTypeBytes) {
    return done(Error{"invalid: event_type: 1 to 256 bytes"});
  }
  if (m.payload.size() > kMaxPayloadBytes) return done(Error{"invalid: payload larger than 1 MiB"});
  if (m.idempotency_key.size() > kMaxIdempotencyKeyBytes) {
    return done(Error{"invalid: idempotency key longer than 256 bytes"});
  }
  if (m.meta.event_id.size() > kMaxEventIdBytes) {
    return done(Error{"invalid: eventId longer than 256 bytes"});
  }
  if (m.meta.channels.size() > kMaxMessageChannels || m.meta.tags.size() > kMaxMessageTags) {
    return done(Error{"invalid: at most 10 channels and 5 tags"});
  }
  // One look-up of the application and its subscribed endpoints (no secret is opened).
  auto endpoint_ids = registry_.subscribers(m.app_id, m.event_type, m.meta.channels);
  if (!endpoint_ids) return done(Error{endpoint_ids.error()});

  store::NewEvent event;
  event.source = app_source(m.app_id);
  event.event_type = m.event_type;
  // The sender's eventId is the message's identity; without one, the request's key guards its
  // retries. (One key per message: a request naming both is de-duplicated by its eventId.)
  if (!m.meta.event_id.empty()) {
    event.dedupe_key = std::string(kEventIdKey) + m.meta.event_id;
  } else if (!m.idempotency_key.empty()) {
    event.dedupe_key = std::string(kIdempotencyKey) + m.idempotency_key;
  }
  event.received_ms = now_ms_();
  event.public_id = new_message_id(event.received_ms, m.app_id);
  event.meta = to_json(m.meta);
  event.dedupe_until_ms = event.received_ms + std::chrono::milliseconds(ttl_).count();
  event.headers = boost::json::serialize(boost::json::object{{"content-type", m.content_type}});
  event.body = m.payload;
  event.destinations.reserve(endpoint_ids->size());
  for (const auto& id : *endpoint_ids)
    event.destinations.push_back(endpoint_destination(id));
  // The writer calls back once; the endpoint list travels with it (a duplicate answers none).
  store_.append_async(std::move(event),
                      [done = std::move(done), endpoint_ids = std::move(endpoint_ids.value())](
                          Result<store::Appended> appended) mutable {
                        if (!appended) {
                          if (appended.error().starts_with(store::kBusy))
                            return done(Error{appended.error()});
                          return done(Error{"store_error: " + appended.error()});
                        }
                        Published out;
                        out.seq = appended->seq;
                        out.id = appended->public_id;
                        out.timestamp_ms = appended->received_ms;
                        out.duplicate = appended->duplicate;
                        if (!out.duplicate) out.endpoints = std::move(endpoint_ids);
                        done(std::move(out));
                      });
}

}  // namespace hookgate::outbound
