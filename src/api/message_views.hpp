// The JSON views of messages, deliveries and attempts in Svix's shapes (MessageOut,
// MessageAttemptOut, MessageEndpointOut, EndpointMessageOut), and the query parameters their
// lists share; used by the message, attempt and endpoint-delivery resources alike.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/api_wire.hpp"
#include "hookgate/store/store.hpp"
#include "outbound/model.hpp"
#include "outbound/registry.hpp"

namespace hookgate::api {

// Svix MessageStatus: 0 success, 1 pending, 2 fail, 3 sending.
enum class MessageStatus { success = 0, pending = 1, fail = 2, sending = 3 };
std::string_view status_text(MessageStatus status);
// A delivery's: sending while an attempt holds its lease at now_ms.
MessageStatus delivery_status(const store::DeliveryState& d, std::int64_t now_ms);
// A finished attempt's: success when the endpoint answered 2xx, fail otherwise.
MessageStatus attempt_status(const store::Attempt& a);

// MessageOut. Without content the payload is {} (Svix's with_content=false).
boost::json::object message_out(const store::Event& e, bool with_content);

// MessageAttemptOut of attempt a of delivery d (to endpoint_id at url) of event e.
boost::json::object attempt_out(const store::Attempt& a, const store::DeliveryState& d,
                                const store::Event& e, const std::string& endpoint_id,
                                const std::string& url);

// MessageEndpointOut: the delivery of a message to endpoint ep.
boost::json::object message_endpoint_out(const store::DeliveryState& d,
                                         const outbound::Endpoint& ep, std::int64_t now_ms);

// EndpointMessageOut: a message with the state of its delivery to one endpoint.
boost::json::object endpoint_message_out(const store::DestinationDelivery& dd, bool with_content,
                                         std::int64_t now_ms);

// The application's endpoint a path's {endpoint_id} names, by id or uid. Errors are registry
// errors ("not_found: ...", "store_error: ...") for from_error().
Result<outbound::Endpoint> endpoint_named(outbound::Registry& registry, const std::string& app_id,
                                          const std::string& id_or_uid);

// Query parameters of the message and attempt lists. Errors are 422s on ["query", name].
struct ListFilters {
  bool with_content = true;
  std::int64_t since_ms = 0;  // from ?after= (exclusive), 0: none
  std::int64_t until_ms = 0;  // from ?before= (exclusive), 0: none
  std::vector<std::string> event_types;
  std::string channel;
  std::string tag;
  std::optional<MessageStatus> status;
  // Svix StatusCodeClass of attempts: 0 (no answer), 100, 200, 300, 400 or 500.
  std::optional<int> status_code_class;
  std::string endpoint_id;
};
Result<ListFilters> list_filters(const net::HttpRequest& request);
net::HttpResponse list_filters_error(const std::string& error);  // "name: message"

// Whether e passes the filters that are not SQL (channel, tag) and the time and type ones.
bool passes(const store::Event& e, const ListFilters& f);

}  // namespace hookgate::api
