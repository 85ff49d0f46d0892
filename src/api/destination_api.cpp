// /api/v1/destination/{name}: one configured [[destination]], and the operator's pause of it
// (PATCH {"disabled": true|false, "reason": "..."}). The configuration owns where it delivers
// and its secret; the store owns only whether an operator holds its deliveries back, with who,
// when and why (engine/destination_pauses.hpp). Admin only (routed from management_api.cpp).
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "hookgate/utf8.hpp"
#include "outbound/publisher.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

// Who made a change, as the record keeps it: the stored key's name and prefix, or that it was
// one of the configured keys (their values are never written anywhere).
std::string actor(const std::optional<outbound::ApiKey>& key) {
  if (!key) return "a configured admin key";
  std::string name = key->name.substr(0, 48);
  if (!valid_utf8(name)) name = "?";
  return "admin key '" + name + "' (" + key->prefix.substr(0, 16) + "...)";
}

// A reason is shown in the console and the API: bounded, UTF-8, no control characters.
bool valid_reason(std::string_view reason) {
  if (reason.size() > engine::kMaxPauseReason || !valid_utf8(reason)) return false;
  for (const unsigned char c : reason) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

net::HttpResponse ManagementApi::destination_resource(Call& call) {
  const std::string& name = call.segments[1];
  const config::Destination* destination = nullptr;
  for (const auto& d : config_.destinations) {
    if (d.name == name) destination = &d;
  }
  if (destination == nullptr) {
    return http_error(404, "not_found",
                      outbound::destination_endpoint(name)
                          ? "an endpoint: change it with PATCH /app/{app_id}/endpoint/{endpoint_id}"
                          : "no configured destination of that name");
  }
  if (call.method() == "GET") {
    auto out = configured_destination_out(*destination, now_ms_());
    if (!out) return from_error(out.error());
    return json_response(200, *out);
  }
  if (call.method() != "PATCH") return not_allowed("GET, PATCH");
  if (console_.pauses == nullptr) {
    return http_error(409, "conflict", "destinations cannot be paused on this node");
  }
  auto body = body_object(call.request);
  if (!body) return http_error(400, "bad_request", body.error());
  std::optional<bool> disabled;
  std::string reason;
  for (const auto& [key, value] : *body) {
    if (key == "disabled") {
      if (!value.is_bool()) return invalid_field("disabled", "a boolean");
      disabled = value.get_bool();
    } else if (key == "reason") {
      if (value.is_null()) continue;
      if (!value.is_string() || !valid_reason(value.get_string())) {
        return invalid_field("reason", "text of at most 256 bytes without control characters");
      }
      reason = std::string(value.get_string());
    } else {
      return invalid_field(key, "unknown field", "value_error.extra");
    }
  }
  if (!disabled) return invalid_field("disabled", "field required", "value_error.missing");
  auto set = console_.pauses->set(name, *disabled, actor(call.key), std::move(reason));
  if (!set) {
    const auto& e = set.error();
    const bool coded =
        e.starts_with("not_found:") || e.starts_with("invalid:") || e.starts_with("conflict:");
    return from_error(coded ? e : "store_error: " + e);
  }
  auto out = configured_destination_out(*destination, now_ms_());
  if (!out) return from_error(out.error());
  return json_response(200, *out);
}

}  // namespace hookgate::api
