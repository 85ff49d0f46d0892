// /api/v1/delivery: the deliveries to one configured destination or application endpoint, one
// delivery's state and attempts, retrying it now, and retrying every given-up delivery to a
// destination since a time. Admin only (routed from management_api.cpp). Built on the store's
// per-destination and per-event queries and its requeue.
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/body_reader.hpp"
#include "api/delivery_views.hpp"
#include "api/iso8601.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxScannedRows = 2000;
constexpr std::size_t kChunkRows = 50;
constexpr std::size_t kMaxDestination = 256;

constexpr const char* kStates[] = {"pending", "sending", "delivered", "failed"};

bool digits(std::string_view s) {
  return !s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

net::HttpResponse ManagementApi::deliveries_resource(Call& call) {
  const auto& s = call.segments;
  const auto now = now_ms_();

  if (s.size() == 1) {
    if (call.method() != "GET") return not_allowed("GET");
    auto q = list_query(call.request);
    if (!q) return list_query_error(q.error());
    const auto& target = call.request.target;
    const auto destination = schemes::url_query_param(target, "destination");
    if (!destination || destination->empty() || destination->size() > kMaxDestination) {
      return validation_error({{{"query", "destination"},
                                "a [[destination]] name or endpoint:<endpoint_id>",
                                "value_error.missing"}});
    }
    const auto state = schemes::url_query_param(target, "state").value_or("");
    if (!state.empty() &&
        std::find(std::begin(kStates), std::end(kStates), state) == std::end(kStates)) {
      return validation_error({{{"query", "state"}, "one of pending, sending, delivered, failed"}});
    }
    std::int64_t before_seq = 0;
    if (!q->iterator.empty()) {
      if (!digits(q->iterator)) {
        return validation_error({{{"query", "iterator"}, "not an iterator this list returned"}});
      }
      before_seq = std::stoll(q->iterator);
    }
    json::array data;
    std::size_t scanned = 0;
    bool more = true;
    while (data.size() < q->limit && scanned < kMaxScannedRows) {
      const std::size_t chunk = kChunkRows;
      auto rows = store_.deliveries_to(*destination, before_seq, chunk);
      if (!rows) return from_error("store_error: " + rows.error());
      more = rows->size() == chunk;
      for (const auto& r : *rows) {
        ++scanned;
        before_seq = r.event.seq;
        if (!state.empty() && delivery_state(r.delivery, now) != state) continue;
        data.push_back(delivery_out(r.delivery, r.event, now));
        if (data.size() == q->limit) {
          // Stopped inside the chunk: the rest of it is the next page.
          more = more || &r != &rows->back();
          break;
        }
      }
      if (!more) break;
    }
    const std::string next = more ? std::to_string(before_seq) : "";
    return json_response(200, list_response(std::move(data), next, !more));
  }

  if (s.size() == 2 && s[1] == "retry-failed") {
    if (call.method() != "POST") return not_allowed("POST");
    auto body = body_object(call.request);
    if (!body) return http_error(400, "bad_request", body.error());
    BodyReader in(*body);
    in.only({"destination", "since"});
    const auto destination = in.string("destination");
    const auto since = in.string("since");
    if (!body->contains("destination")) in.missing("destination");
    if (!body->contains("since")) in.missing("since");
    if (destination && (destination->empty() || destination->size() > kMaxDestination)) {
      in.fail("destination", "a [[destination]] name or endpoint:<endpoint_id>");
    }
    std::optional<std::int64_t> since_ms;
    if (since) {
      since_ms = parse_iso8601(*since);
      if (!since_ms) in.fail("since", "an RFC 3339 date-time", "value_error.datetime");
    }
    if (!in.ok()) return in.error();
    store::Requeue which;
    which.destination = *destination;
    which.since_ms = std::max<std::int64_t>(*since_ms, 0);
    auto moved = store_.requeue(which, now);
    if (!moved) return from_error("store_error: " + moved.error());
    if (*moved > 0 && on_published_) on_published_();
    return json_response(202, json::object{{"requeued", *moved}});
  }

  const auto ref = parse_delivery_id(s[1]);
  if (!ref || s.size() > 3 || (s.size() == 3 && s[2] != "attempt" && s[2] != "retry")) {
    return http_error(404, "not_found", ref ? "unknown path" : "no such delivery");
  }
  auto deliveries = store_.deliveries(ref->event_seq);
  if (!deliveries) return from_error("store_error: " + deliveries.error());
  const store::DeliveryState* found = nullptr;
  for (const auto& d : *deliveries) {
    if (d.id == ref->id) found = &d;
  }
  if (found == nullptr) return http_error(404, "not_found", "no such delivery");

  if (s.size() == 2) {
    if (call.method() != "GET") return not_allowed("GET");
    auto event = store_.event(ref->event_seq);
    if (!event) return from_error("store_error: " + event.error());
    if (!*event) return http_error(404, "not_found", "no such delivery");
    return json_response(200, delivery_out(*found, **event, now));
  }

  if (s[2] == "retry") {
    if (call.method() != "POST") return not_allowed("POST");
    auto body = body_object(call.request);
    if (!body) return http_error(400, "bad_request", body.error());
    if (!body->empty()) {
      return invalid_field(body->begin()->key(), "unknown field", "value_error.extra");
    }
    store::Requeue which;
    which.event_seq = found->event_seq;
    which.destination = found->destination;
    which.include_delivered = true;
    auto moved = store_.requeue(which, now);
    if (!moved) return from_error("store_error: " + moved.error());
    if (*moved > 0 && on_published_) on_published_();
    return json_response(202, json::object{{"requeued", *moved}});
  }

  // /attempt: oldest first, paged by attempt number.
  if (call.method() != "GET") return not_allowed("GET");
  auto q = list_query(call.request);
  if (!q) return list_query_error(q.error());
  std::int64_t after = 0;
  if (!q->iterator.empty()) {
    if (!digits(q->iterator)) {
      return validation_error({{{"query", "iterator"}, "not an iterator this list returned"}});
    }
    after = std::stoll(q->iterator);
  }
  auto attempts = store_.attempts(found->id);
  if (!attempts) return from_error("store_error: " + attempts.error());
  json::array data;
  std::string next;
  for (const auto& a : *attempts) {
    if (a.number <= after) continue;
    if (data.size() == q->limit) {
      next = std::to_string(after);
      break;
    }
    after = a.number;
    data.push_back(
        json::object{{"number", a.number},
                     {"timestamp", iso8601(a.started_ms)},
                     {"durationMs", a.duration_ms},
                     {"status", a.status},
                     {"error", a.error},
                     {"response", a.response},
                     {"trigger", a.number == found->manual_attempt ? "manual" : "scheduled"}});
  }
  return json_response(200, list_response(std::move(data), next, next.empty()));
}

}  // namespace hookgate::api
