// /api/v1/app/{app}/msg: publishing messages, listing them, their attempts and resends.
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/json_member.hpp"
#include "hookgate/crypto/encoding.hpp"

namespace hookgate::api {

namespace json = boost::json;

net::HttpResponse ManagementApi::messages(Call& call, const std::string& app_id) {
  if (call.method() == "GET") {
    if (auto a = registry_.app(app_id); !a) return from_error(a.error());
    std::int64_t after = 0;
    auto q = list_query(call.request);
    if (!q) return list_query_error(q.error());
    if (!q->iterator.empty()) {
      const auto seq = outbound::message_seq(q->iterator);
      if (!seq) {
        return validation_error({{{"query", "iterator"}, "not an iterator this list returned"}});
      }
      after = *seq;
    }
    const auto limit = q->limit;
    auto events = store_.events_after(outbound::app_source(app_id), after, limit + 1);
    if (!events) return from_error("store_error: " + events.error());
    json::array data;
    for (std::size_t i = 0; i < events->size() && i < limit; ++i) {
      const auto& e = (*events)[i];
      data.push_back(json::object{{"id", outbound::message_id(e.seq)},
                                  {"event_type", e.event_type},
                                  {"received_ms", e.received_ms}});
    }
    const std::string next =
        events->size() > limit ? outbound::message_id((*events)[limit - 1].seq) : "";
    return json_response(200, list_response(std::move(data), next, next.empty()));
  }
  if (call.method() != "POST") return not_allowed("GET, POST");
  return publish(call, app_id);
}

net::HttpResponse ManagementApi::publish(Call& call, const std::string& app_id) {
  const auto& raw = call.request.body;
  auto body = body_object(call.request);
  if (!body) return http_error(400, "bad_request", body.error());
  for (const auto& [k, v] : *body) {
    if (k != "event_type" && k != "payload" && k != "idempotency_key") {
      return invalid_field(k, "unknown field", "value_error.extra");
    }
  }
  if (auto field = non_string_field(*body, {"event_type", "idempotency_key"})) {
    return invalid_field(*field, "must be a string", "type_error.str");
  }
  outbound::Message m;
  m.app_id = app_id;
  m.event_type = string_field(*body, "event_type").value_or("");
  if (m.event_type.empty())
    return invalid_field("event_type", "a string is required", "value_error.missing");
  // The payload's own bytes, as sent: what receivers verify is exactly what was published.
  const auto payload = json_member(raw, "payload");
  if (!payload)
    return invalid_field("payload", "any JSON value is required", "value_error.missing");
  m.payload = std::string(*payload);
  m.idempotency_key =
      string_field(*body, "idempotency_key")
          .value_or(std::string(call.request.headers.get("Idempotency-Key").value_or("")));
  // Refusals before the append are answered on this thread, the outcome of the append from the
  // store's writer (the callback runs where the publisher calls it, exactly once).
  auto answered = [this, answer = *call.answer,
                   event_type = m.event_type](Result<outbound::Published> published) {
    net::HttpResponse response;
    std::string verdict = "ok";
    try {
      if (!published) {
        response = from_error(published.error());
        verdict = response.status == 503 ? "busy" : "refused";
      } else {
        if (!published->duplicate && on_published_) on_published_();
        json::array endpoints(published->endpoints.begin(), published->endpoints.end());
        response = json_response(202, json::object{{"id", published->id},
                                                   {"event_type", event_type},
                                                   {"duplicate", published->duplicate},
                                                   {"endpoints", endpoints}});
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
  const auto seq = outbound::message_seq(id);
  if (!seq) return http_error(404, "not_found", "no message " + id);
  auto event = store_.event(*seq);
  if (!event) return from_error("store_error: " + event.error());
  if (!event->has_value() || (*event)->source != outbound::app_source(app_id)) {
    return http_error(404, "not_found", "no message " + id);
  }
  const auto& e = **event;
  auto deliveries = store_.deliveries(e.seq);
  if (!deliveries) return from_error("store_error: " + deliveries.error());
  const auto& s = call.segments;
  if (s.size() == 4) {
    if (call.method() != "GET") return not_allowed("GET");
    json::array list;
    for (const auto& d : *deliveries) {
      list.push_back(json::object{
          {"endpoint_id", outbound::destination_endpoint(d.destination).value_or(d.destination)},
          {"state", d.state},
          {"attempts", d.attempts},
          {"next_attempt_ms",
           d.state == "pending" ? json::value(d.due_ms) : json::value(nullptr)}});
    }
    json::object out{{"id", id},
                     {"event_type", e.event_type},
                     {"received_ms", e.received_ms},
                     {"deliveries", list}};
    boost::system::error_code ec;
    auto payload = json::parse(e.body, ec);
    if (!ec) {
      out["payload"] = std::move(payload);
    } else {
      out["payload_base64"] = crypto::base64_encode(e.body);
    }
    return json_response(200, out);
  }
  if (s.size() == 5 && s[4] == "attempts") {
    if (call.method() != "GET") return not_allowed("GET");
    json::array list;
    for (const auto& d : *deliveries) {
      auto attempts = store_.attempts(d.id);
      if (!attempts) return from_error("store_error: " + attempts.error());
      for (const auto& a : *attempts) {
        list.push_back(json::object{
            {"endpoint_id", outbound::destination_endpoint(d.destination).value_or(d.destination)},
            {"attempt", a.number},
            {"started_ms", a.started_ms},
            {"duration_ms", a.duration_ms},
            {"status", a.status},
            {"error", a.error},
            {"response", a.response}});
      }
    }
    return json_response(200, json::object{{"data", list}});
  }
  if (s.size() == 5 && s[4] == "resend") {
    if (call.method() != "POST") return not_allowed("POST");
    auto body = body_object(call.request);
    if (!body) return http_error(400, "bad_request", body.error());
    if (auto field = non_string_field(*body, {"endpoint_id"})) {
      return invalid_field(*field, "must be a string", "type_error.str");
    }
    store::Requeue which;
    which.event_seq = e.seq;
    which.include_delivered = true;
    if (const auto endpoint_id = string_field(*body, "endpoint_id")) {
      if (auto ep = registry_.endpoint(app_id, *endpoint_id); !ep) return from_error(ep.error());
      which.destination = outbound::endpoint_destination(*endpoint_id);
    }
    auto moved = store_.requeue(which, now_ms_());
    if (!moved) return from_error("store_error: " + moved.error());
    if (on_published_) on_published_();
    return json_response(202, json::object{{"requeued", *moved}});
  }
  return http_error(404, "not_found", "unknown path");
}

}  // namespace hookgate::api
