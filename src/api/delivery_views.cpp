// DeliveryOut and delivery ids for the console's resources.
#include "api/delivery_views.hpp"

#include "api/iso8601.hpp"
#include "outbound/publisher.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

constexpr std::string_view kPrefix = "dlv_";
constexpr std::string_view kAppSourcePrefix = "app:";

std::optional<std::int64_t> number(std::string_view s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return std::stoll(std::string(s));
}

}  // namespace

std::string delivery_public_id(const store::DeliveryState& d) {
  return std::string(kPrefix) + std::to_string(d.event_seq) + "_" + std::to_string(d.id);
}

std::optional<DeliveryRef> parse_delivery_id(std::string_view text) {
  if (!text.starts_with(kPrefix)) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  const auto underscore = text.find('_');
  if (underscore == std::string_view::npos) return std::nullopt;
  const auto seq = number(text.substr(0, underscore));
  const auto id = number(text.substr(underscore + 1));
  if (!seq || !id) return std::nullopt;
  return DeliveryRef{*seq, *id};
}

std::string delivery_state(const store::DeliveryState& d, std::int64_t now_ms) {
  if (d.state == "pending" && d.lease_until_ms > now_ms) return "sending";
  return d.state;
}

json::object delivery_out(const store::DeliveryState& d, const store::Event& e,
                          std::int64_t now_ms) {
  const auto endpoint = outbound::destination_endpoint(d.destination);
  json::value app = nullptr;
  if (endpoint && e.source.starts_with(kAppSourcePrefix)) {
    app = json::string(e.source.substr(kAppSourcePrefix.size()));
  }
  return json::object{
      {"id", delivery_public_id(d)},
      {"destination", d.destination},
      {"endpointId", endpoint ? json::value(*endpoint) : json::value(nullptr)},
      {"appId", std::move(app)},
      {"eventSeq", d.event_seq},
      {"source", e.source},
      {"eventType", e.event_type},
      {"msgId", e.public_id.empty() ? json::value(nullptr) : json::value(e.public_id)},
      {"receivedAt", iso8601(e.received_ms)},
      {"state", delivery_state(d, now_ms)},
      {"attempts", d.attempts},
      {"nextAttemptAt",
       d.state == "pending" ? json::value(iso8601(d.due_ms)) : json::value(nullptr)}};
}

}  // namespace hookgate::api
