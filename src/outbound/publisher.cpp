// Fan-out at publish time: the matching endpoints become deliveries in the same append.
#include "outbound/publisher.hpp"

#include <boost/json.hpp>
#include <future>
#include <memory>

namespace hookgate::outbound {

namespace {
constexpr std::string_view kAppPrefix = "app:";
constexpr std::string_view kMsgPrefix = "msg_";
constexpr std::string_view kEndpointPrefix = "endpoint:";
}  // namespace

std::string app_source(std::string_view app_id) {
  return std::string(kAppPrefix) + std::string(app_id);
}

std::string message_id(std::int64_t seq) {
  return std::string(kMsgPrefix) + std::to_string(seq);
}

std::optional<std::int64_t> message_seq(std::string_view id) {
  if (!id.starts_with(kMsgPrefix)) return std::nullopt;
  id.remove_prefix(kMsgPrefix.size());
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(std::string(id));
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
  // One look-up of the application and its subscribed endpoints (no secret is opened).
  auto endpoint_ids = registry_.subscribers(m.app_id, m.event_type);
  if (!endpoint_ids) return done(Error{endpoint_ids.error()});

  store::NewEvent event;
  event.source = app_source(m.app_id);
  event.event_type = m.event_type;
  event.dedupe_key = m.idempotency_key;
  event.received_ms = now_ms_();
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
                        out.id = message_id(appended->seq);
                        out.duplicate = appended->duplicate;
                        if (!out.duplicate) out.endpoints = std::move(endpoint_ids);
                        done(std::move(out));
                      });
}

}  // namespace hookgate::outbound
