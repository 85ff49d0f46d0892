// The Svix-shaped JSON views of messages, deliveries and attempts (see message_views.hpp).
#include "api/message_views.hpp"

#include <algorithm>

#include "api/iso8601.hpp"
#include "outbound/publisher.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

json::value payload_of(const store::Event& e, bool with_content) {
  if (!with_content) return json::object();
  boost::system::error_code ec;
  auto payload = json::parse(e.body, ec);
  // Messages are published as JSON; anything else (never expected) is shown as a string.
  if (ec) return json::value(json::string(e.body));
  return payload;
}

json::value strings_or_null(const std::vector<std::string>& v) {
  if (v.empty()) return nullptr;
  return json::array(v.begin(), v.end());
}

void add_message_fields(json::object& o, const store::Event& e, bool with_content) {
  const auto meta = outbound::message_meta_from_json(e.meta);
  o["id"] = e.public_id;
  o["eventType"] = e.event_type;
  o["payload"] = payload_of(e, with_content);
  o["eventId"] = meta.event_id.empty() ? json::value(nullptr) : json::value(meta.event_id);
  o["channels"] = strings_or_null(meta.channels);
  o["tags"] = strings_or_null(meta.tags);
  o["timestamp"] = iso8601(e.received_ms);
}

json::value next_attempt(const store::DeliveryState& d, MessageStatus status) {
  if (status != MessageStatus::pending) return nullptr;
  return json::value(iso8601(d.due_ms));
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto end = comma == std::string::npos ? text.size() : comma;
    if (end > start) out.push_back(text.substr(start, end - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::string_view status_text(MessageStatus status) {
  switch (status) {
    case MessageStatus::success:
      return "success";
    case MessageStatus::pending:
      return "pending";
    case MessageStatus::fail:
      return "fail";
    case MessageStatus::sending:
      return "sending";
  }
  return "pending";
}

MessageStatus delivery_status(const store::DeliveryState& d, std::int64_t now_ms) {
  if (d.state == "delivered") return MessageStatus::success;
  if (d.state == "failed") return MessageStatus::fail;
  return d.lease_until_ms > now_ms ? MessageStatus::sending : MessageStatus::pending;
}

MessageStatus attempt_status(const store::Attempt& a) {
  // error is empty whenever the endpoint answered; only a 2xx answer delivers.
  return a.error.empty() && a.status >= 200 && a.status < 300 ? MessageStatus::success
                                                              : MessageStatus::fail;
}

json::object message_out(const store::Event& e, bool with_content) {
  json::object o;
  add_message_fields(o, e, with_content);
  return o;
}

json::object attempt_out(const store::Attempt& a, const store::DeliveryState& d,
                         const store::Event& e, const std::string& endpoint_id,
                         const std::string& url) {
  const auto status = attempt_status(a);
  return json::object{
      {"id", outbound::attempt_id(e.public_id, endpoint_id, a.number)},
      {"msgId", e.public_id},
      {"endpointId", endpoint_id},
      {"url", url},
      {"response", a.response},
      {"responseStatusCode", a.status},
      {"responseDurationMs", a.duration_ms},
      {"status", static_cast<int>(status)},
      {"statusText", status_text(status)},
      // The attempt a resend or recover asked for; its retries are scheduled again.
      {"triggerType", a.number == d.manual_attempt ? 1 : 0},
      {"timestamp", iso8601(a.started_ms)},
      // Hookgate's own: why an attempt failed (connection refused, timeout, non-2xx...).
      {"attempt", a.number},
      {"error", a.error.empty() ? json::value(nullptr) : json::value(a.error)}};
}

json::object message_endpoint_out(const store::DeliveryState& d, const outbound::Endpoint& ep,
                                  std::int64_t now_ms) {
  const auto status = delivery_status(d, now_ms);
  return json::object{
      {"id", ep.id},
      {"status", static_cast<int>(status)},
      {"statusText", status_text(status)},
      {"nextAttempt", next_attempt(d, status)},
      {"url", ep.url},
      {"description", ep.description},
      {"throttleRate", ep.rate_limit > 0 ? json::value(ep.rate_limit) : json::value(nullptr)},
      {"disabled", !ep.enabled},
      {"eventTypes", strings_or_null(ep.event_types)},
      {"channels", strings_or_null(ep.channels)},
      {"createdAt", iso8601(ep.created_ms)},
      {"updatedAt", iso8601(ep.updated_ms != 0 ? ep.updated_ms : ep.created_ms)}};
}

json::object endpoint_message_out(const store::DestinationDelivery& dd, bool with_content,
                                  std::int64_t now_ms) {
  const auto status = delivery_status(dd.delivery, now_ms);
  json::object o;
  add_message_fields(o, dd.event, with_content);
  o["status"] = static_cast<int>(status);
  o["statusText"] = status_text(status);
  o["nextAttempt"] = next_attempt(dd.delivery, status);
  return o;
}

Result<outbound::Endpoint> endpoint_named(outbound::Registry& registry, const std::string& app_id,
                                          const std::string& id_or_uid) {
  auto id = registry.endpoint_id_of(app_id, id_or_uid);
  if (!id) return Error{id.error()};
  if (!*id) return Error{"not_found: no endpoint " + id_or_uid};
  return registry.endpoint(app_id, **id);
}

Result<ListFilters> list_filters(const net::HttpRequest& request) {
  ListFilters f;
  const auto& target = request.target;
  if (const auto v = schemes::url_query_param(target, "with_content")) {
    if (*v != "true" && *v != "false") return Error{"with_content: true or false"};
    f.with_content = *v == "true";
  }
  if (const auto v = schemes::url_query_param(target, "after")) {
    const auto ms = parse_iso8601(*v);
    if (!ms) return Error{"after: an RFC 3339 date-time"};
    f.since_ms = *ms + 1;
  }
  if (const auto v = schemes::url_query_param(target, "before")) {
    const auto ms = parse_iso8601(*v);
    if (!ms) return Error{"before: an RFC 3339 date-time"};
    f.until_ms = *ms;
  }
  if (const auto v = schemes::url_query_param(target, "event_types")) {
    f.event_types = split_commas(*v);
    if (f.event_types.size() > store::kMaxEventTypesFilter) {
      return Error{"event_types: at most 64 event types"};
    }
    for (const auto& t : f.event_types) {
      if (t.size() > outbound::kMaxEventTypeBytes) return Error{"event_types: 1 to 256 bytes each"};
    }
  }
  f.channel = schemes::url_query_param(target, "channel").value_or("");
  f.tag = schemes::url_query_param(target, "tag").value_or("");
  if (f.channel.size() > outbound::kMaxChannelBytes) return Error{"channel: at most 128 bytes"};
  if (f.tag.size() > outbound::kMaxTagBytes) return Error{"tag: at most 128 bytes"};
  if (const auto v = schemes::url_query_param(target, "status")) {
    if (*v != "0" && *v != "1" && *v != "2" && *v != "3") {
      return Error{"status: 0 (success), 1 (pending), 2 (fail) or 3 (sending)"};
    }
    f.status = static_cast<MessageStatus>(std::stoi(*v));
  }
  if (const auto v = schemes::url_query_param(target, "status_code_class")) {
    if (*v != "0" && *v != "100" && *v != "200" && *v != "300" && *v != "400" && *v != "500") {
      return Error{"status_code_class: 0, 100, 200, 300, 400 or 500"};
    }
    f.status_code_class = std::stoi(*v);
  }
  f.endpoint_id = schemes::url_query_param(target, "endpoint_id").value_or("");
  if (f.endpoint_id.size() > 256) return Error{"endpoint_id: at most 256 bytes"};
  return f;
}

net::HttpResponse list_filters_error(const std::string& error) {
  const auto colon = error.find(':');
  FieldError e;
  e.loc = {"query", error.substr(0, colon)};
  e.msg = colon == std::string::npos ? error : error.substr(colon + 2);
  return validation_error({e});
}

bool passes(const store::Event& e, const ListFilters& f) {
  if (f.since_ms != 0 && e.received_ms < f.since_ms) return false;
  if (f.until_ms != 0 && e.received_ms >= f.until_ms) return false;
  if (!f.event_types.empty() &&
      std::find(f.event_types.begin(), f.event_types.end(), e.event_type) == f.event_types.end()) {
    return false;
  }
  if (f.channel.empty() && f.tag.empty()) return true;
  const auto meta = outbound::message_meta_from_json(e.meta);
  if (!f.channel.empty() &&
      std::find(meta.channels.begin(), meta.channels.end(), f.channel) == meta.channels.end()) {
    return false;
  }
  return f.tag.empty() || std::find(meta.tags.begin(), meta.tags.end(), f.tag) != meta.tags.end();
}

}  // namespace hookgate::api
