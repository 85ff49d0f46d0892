// /api/v1/app/{app}/msg: publishing messages (Svix MessageIn -> MessageOut), listing them newest
// first, and reading one by id. Attempts and resends are in attempts_api.cpp.
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/iso8601.hpp"
#include "api/json_member.hpp"
#include "api/message_views.hpp"
#include "outbound/publisher.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

// The rows one list request may look at when filters are checked outside SQL (channel, tag):
// a sparse match answers a short page with an iterator instead of scanning without bound.
constexpr std::size_t kMaxScannedRows = 2000;
// Payload bytes one page with content may carry; beyond it the page ends early (with an
// iterator), so a page of large payloads stays bounded in memory.
constexpr std::size_t kMaxPageContentBytes = std::size_t{8} << 20;
constexpr std::size_t kChunkRows = 50;

constexpr std::string_view kNameChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";

bool only(std::string_view text, std::string_view allowed) {
  return text.find_first_not_of(allowed) == std::string_view::npos;
}

// A list of strings of the body: each 1..max_bytes of allowed characters, at most max_items.
// The error is a 422 answer.
std::optional<net::HttpResponse> read_names(const json::object& body, std::string_view field,
                                            std::size_t max_items, std::size_t max_bytes,
                                            std::string_view allowed, std::string_view described,
                                            std::vector<std::string>& out) {
  const auto* v = body.if_contains(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_array()) return invalid_field(field, "must be a list of strings", "type_error.list");
  const auto& list = v->as_array();
  if (list.size() > max_items) {
    return invalid_field(field, "at most " + std::to_string(max_items) + " items",
                         "value_error.list.max_items");
  }
  for (const auto& item : list) {
    if (!item.is_string())
      return invalid_field(field, "must be a list of strings", "type_error.str");
    const std::string_view s = item.as_string();
    if (s.empty() || s.size() > max_bytes || !only(s, allowed)) {
      return invalid_field(
          field,
          "each 1 to " + std::to_string(max_bytes) + " characters of " + std::string(described),
          "value_error.str.regex");
    }
    if (std::find(out.begin(), out.end(), s) == out.end()) out.emplace_back(s);
  }
  return std::nullopt;
}

// An optional integer field within [low, high]; the error is a 422 answer.
std::optional<net::HttpResponse> check_integer(const json::object& body, std::string_view field,
                                               std::int64_t low, std::int64_t high) {
  const auto* v = body.if_contains(field);
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (!v->is_int64() && !v->is_uint64()) {
    return invalid_field(field, "must be an integer", "type_error.integer");
  }
  const auto n = v->is_int64() ? v->as_int64() : static_cast<std::int64_t>(v->as_uint64());
  if (n < low || n > high) {
    return invalid_field(field,
                         "must be from " + std::to_string(low) + " to " + std::to_string(high),
                         "value_error.number");
  }
  return std::nullopt;
}

}  // namespace

net::HttpResponse ManagementApi::messages(Call& call, const std::string& app_id) {
  if (call.method() == "POST") return publish(call, app_id);
  if (call.method() != "GET") return not_allowed("GET, POST");
  if (auto a = registry_.app(app_id); !a) return from_error(a.error());
  auto q = list_query(call.request);
  if (!q) return list_query_error(q.error());
  auto filters = list_filters(call.request);
  if (!filters) return list_filters_error(filters.error());
  store::EventPage page;
  page.source = outbound::app_source(app_id);
  page.since_ms = filters->since_ms;
  page.until_ms = filters->until_ms;
  page.event_types = filters->event_types;
  if (!q->iterator.empty()) {
    std::optional<store::Event> from;
    if (outbound::is_message_id(q->iterator)) {
      auto found = store_.event_by_public_id(page.source, q->iterator);
      if (!found) return from_error("store_error: " + found.error());
      from = std::move(found.value());
    }
    if (!from) {
      return validation_error({{{"query", "iterator"}, "not an iterator this list returned"}});
    }
    page.before_seq = from->seq;
  }
  json::array data;
  std::size_t scanned = 0;
  std::size_t content_bytes = 0;
  std::string last_seen;  // the iterator: the last message looked at
  bool more = true;
  while (data.size() < q->limit && scanned < kMaxScannedRows &&
         content_bytes < kMaxPageContentBytes) {
    page.limit = std::min(kChunkRows, q->limit - data.size()) + 1;
    auto events = store_.events_before(page);
    if (!events) return from_error("store_error: " + events.error());
    more = events->size() == page.limit;
    const std::size_t take = more ? events->size() - 1 : events->size();
    for (std::size_t i = 0; i < take; ++i) {
      const auto& e = (*events)[i];
      ++scanned;
      last_seen = e.public_id;
      page.before_seq = e.seq;
      if (!passes(e, *filters)) continue;
      if (filters->with_content) content_bytes += e.body.size();
      data.push_back(message_out(e, filters->with_content));
    }
    if (!more) break;
  }
  const std::string next = more ? last_seen : "";
  return json_response(200, list_response(std::move(data), next, !more));
}

net::HttpResponse ManagementApi::publish(Call& call, const std::string& app_id) {
  const auto& raw = call.request.body;
  auto body = body_object(call.request);
  if (!body) return http_error(400, "bad_request", body.error());
  for (const auto& [k, v] : *body) {
    if (k != "eventType" && k != "payload" && k != "eventId" && k != "channels" && k != "tags" &&
        k != "payloadRetentionPeriod" && k != "payloadRetentionHours" && k != "application" &&
        k != "transformationsParams" && k != "deliverAt") {
      return invalid_field(k, "unknown field", "value_error.extra");
    }
  }
  // Svix features Hookgate does not have are refused, never silently dropped.
  for (const auto field : {"application", "transformationsParams", "deliverAt"}) {
    if (const auto* v = body->if_contains(field); v != nullptr && !v->is_null()) {
      return invalid_field(field, "not supported by Hookgate", "value_error.not_supported");
    }
  }
  if (auto field = non_string_field(*body, {"eventType"})) {
    return invalid_field(*field, "must be a string", "type_error.str");
  }
  if (const auto* v = body->if_contains("eventId");
      v != nullptr && !v->is_null() && !v->is_string()) {
    return invalid_field("eventId", "must be a string", "type_error.str");
  }
  outbound::Message m;
  m.app_id = app_id;
  m.event_type = string_field(*body, "eventType").value_or("");
  if (m.event_type.empty()) {
    return invalid_field("eventType", "a string is required", "value_error.missing");
  }
  if (m.event_type.size() > outbound::kMaxEventTypeBytes || !only(m.event_type, kNameChars)) {
    return invalid_field("eventType", "1 to 256 characters of [a-zA-Z0-9-_.]",
                         "value_error.str.regex");
  }
  m.meta.event_id = string_field(*body, "eventId").value_or("");
  if (body->if_contains("eventId") != nullptr && !body->at("eventId").is_null() &&
      (m.meta.event_id.empty() || m.meta.event_id.size() > outbound::kMaxEventIdBytes ||
       !only(m.meta.event_id, kNameChars))) {
    return invalid_field("eventId", "1 to 256 characters of [a-zA-Z0-9-_.]",
                         "value_error.str.regex");
  }
  if (auto bad =
          read_names(*body, "channels", outbound::kMaxMessageChannels, outbound::kMaxChannelBytes,
                     std::string(kNameChars) + ":", "[a-zA-Z0-9-_.:]", m.meta.channels)) {
    return *bad;
  }
  if (auto bad = read_names(*body, "tags", outbound::kMaxMessageTags, outbound::kMaxTagBytes,
                            std::string(kNameChars) + "/\\#", "[a-zA-Z0-9-_./\\#]", m.meta.tags)) {
    return *bad;
  }
  // Accepted for Svix clients; how long payloads are kept is the operator's [store] retention.
  if (auto bad = check_integer(*body, "payloadRetentionPeriod", 1, 90)) return *bad;
  if (auto bad = check_integer(*body, "payloadRetentionHours", 1, 2160)) return *bad;
  // The payload's own bytes, as sent: what receivers verify is exactly what was published.
  const auto payload = json_member(raw, "payload");
  if (!payload || *payload == "null") {
    return invalid_field("payload", "any JSON value is required", "value_error.missing");
  }
  m.payload = std::string(*payload);
  m.idempotency_key = std::string(call.request.headers.get("Idempotency-Key").value_or(""));
  const bool with_content =
      schemes::url_query_param(call.request.target, "with_content").value_or("true") != "false";
  // Refusals before the append are answered on this thread, the outcome of the append from the
  // store's writer (the callback runs where the publisher calls it, exactly once).
  auto answered = [this, answer = *call.answer, with_content,
                   m](Result<outbound::Published> published) {
    net::HttpResponse response;
    std::string verdict = "ok";
    try {
      if (!published) {
        response = from_error(published.error());
        verdict = response.status == 503 ? "busy" : "refused";
      } else {
        if (!published->duplicate && on_published_) on_published_();
        if (auto* streams = streams_.load(); streams != nullptr && !published->duplicate) {
          streams->notify(outbound::app_source(m.app_id), published->seq);
        }
        // A duplicate answers the first message's id and time; its other fields are the
        // request's, which name the same message (same eventId or idempotency key).
        store::Event e;
        e.public_id = published->id;
        e.event_type = m.event_type;
        e.body = m.payload;
        e.meta = outbound::to_json(m.meta);
        e.received_ms = published->timestamp_ms;
        response = json_response(202, message_out(e, with_content));
      }
    } catch (const std::exception&) {
      // Out of memory building the answer: a stored message is found again by the client's
      // retry with its idempotency key.
      response = net::HttpResponse{};
      response.status = 500;
      verdict = "internal_error";
    }
    answer(std::move(response), std::move(verdict));
  };
  publisher_.publish_async(m, std::move(answered));
  call.deferred = true;
  return {};
}

net::HttpResponse ManagementApi::message(Call& call, const std::string& app_id,
                                         const std::string& id) {
  std::optional<store::Event> event;
  if (outbound::is_message_id(id)) {
    auto found = store_.event_by_public_id(outbound::app_source(app_id), id);
    if (!found) return from_error("store_error: " + found.error());
    event = std::move(found.value());
  }
  if (!event) return http_error(404, "not_found", "no message " + id);
  const auto& s = call.segments;
  if (s.size() > 4) return message_deliveries(call, app_id, *event);
  if (call.method() != "GET") return not_allowed("GET");
  auto filters = list_filters(call.request);
  if (!filters) return list_filters_error(filters.error());
  return json_response(200, message_out(*event, filters->with_content));
}

}  // namespace hookgate::api
