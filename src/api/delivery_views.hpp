// The console's view of one delivery (DeliveryOut in docs/openapi.yaml), of a configured
// destination or an application endpoint alike, and its public id: "dlv_<event seq>_<delivery
// id>", which names the event so that the delivery is found by the store's per-event query.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hookgate/store/store.hpp"

namespace hookgate::api {

std::string delivery_public_id(const store::DeliveryState& d);
struct DeliveryRef {
  std::int64_t event_seq = 0;
  std::int64_t id = 0;
};
std::optional<DeliveryRef> parse_delivery_id(std::string_view text);

// "pending", "sending" (pending, leased at now_ms), "delivered" or "failed".
std::string delivery_state(const store::DeliveryState& d, std::int64_t now_ms);

boost::json::object delivery_out(const store::DeliveryState& d, const store::Event& e,
                                 std::int64_t now_ms);

}  // namespace hookgate::api
