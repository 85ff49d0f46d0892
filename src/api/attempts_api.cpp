// /api/v1/app/{app}: a message's attempts and deliveries (/attempt/msg/{msg},
// /attempt/endpoint/{ep}, /msg/{msg}/attempt/{attempt}, /msg/{msg}/endpoint and its resend),
// in Svix's shapes. Attempt ids are recomputed, not stored (outbound/public_ids.hpp).
#include <algorithm>
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/message_views.hpp"
#include "outbound/publisher.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

// The rows one list of an endpoint's attempts may look at when filters drop rows: a sparse
// match answers a short page with an iterator instead of scanning without bound.
constexpr std::size_t kMaxScannedRows = 2000;
constexpr std::size_t kChunkRows = 100;

struct MessageAttempt {
  store::Attempt attempt;
  store::DeliveryState delivery;
  std::string endpoint_id;
  std::string url;
  std::string id;
};

// Every attempt of a message, newest first, with the id and address of its endpoint.
Result<std::vector<MessageAttempt>> attempts_of(store::Store& store, outbound::Registry& registry,
                                                const std::string& app_id, const store::Event& e) {
  auto deliveries = store.deliveries(e.seq);
  if (!deliveries) return Error{"store_error: " + deliveries.error()};
  std::vector<MessageAttempt> out;
  for (const auto& d : *deliveries) {
    const auto endpoint_id = outbound::destination_endpoint(d.destination);
    if (!endpoint_id) continue;
    auto attempts = store.attempts(d.id);
    if (!attempts) return Error{"store_error: " + attempts.error()};
    if (attempts->empty()) continue;
    // The address attempts went to is the endpoint's (a deleted endpoint's is unknown).
    auto ep = registry.endpoint(app_id, *endpoint_id);
    const std::string url = ep ? ep->url : "";
    for (const auto& a : *attempts) {
      out.push_back(MessageAttempt{a, d, *endpoint_id, url,
                                   outbound::attempt_id(e.public_id, *endpoint_id, a.number)});
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) {
    if (x.attempt.started_ms != y.attempt.started_ms)
      return x.attempt.started_ms > y.attempt.started_ms;
    return x.attempt.number > y.attempt.number;
  });
  return out;
}

bool attempt_passes(const store::Attempt& a, const ListFilters& f) {
  if (f.status && attempt_status(a) != *f.status) return false;
  if (f.status_code_class && (a.status < 100 ? 0 : a.status / 100 * 100) != *f.status_code_class) {
    return false;
  }
  if (f.since_ms != 0 && a.started_ms < f.since_ms) return false;
  return f.until_ms == 0 || a.started_ms < f.until_ms;
}

// The message filters of an attempt list (types, channel, tag), times being the attempt's.
ListFilters message_part(ListFilters f) {
  f.since_ms = 0;
  f.until_ms = 0;
  return f;
}

// "<msg id>.<attempt number>": where a list of an endpoint's attempts goes on.
std::string endpoint_attempt_iterator(const store::Event& e, int number) {
  return e.public_id + "." + std::to_string(number);
}

}  // namespace

net::HttpResponse ManagementApi::attempts(Call& call, const std::string& app_id) {
  const auto& s = call.segments;
  if (s.size() != 5 || (s[3] != "msg" && s[3] != "endpoint")) {
    return http_error(404, "not_found", "unknown path");
  }
  if (call.method() != "GET") return not_allowed("GET");
  if (auto a = registry_.app(app_id); !a) return from_error(a.error());
  auto q = list_query(call.request);
  if (!q) return list_query_error(q.error());
  auto filters = list_filters(call.request);
  if (!filters) return list_filters_error(filters.error());
  const auto with_msg =
      schemes::url_query_param(call.request.target, "with_msg").value_or("false") == "true";
  const auto source = outbound::app_source(app_id);

  if (s[3] == "msg") {
    std::optional<store::Event> event;
    if (outbound::is_message_id(s[4])) {
      auto found = store_.event_by_public_id(source, s[4]);
      if (!found) return from_error("store_error: " + found.error());
      event = std::move(found.value());
    }
    if (!event) return http_error(404, "not_found", "no message " + s[4]);
    if (!filters->endpoint_id.empty()) {
      // By id or uid, as everywhere; an endpoint that does not exist has no attempts.
      auto named = registry_.endpoint_id_of(app_id, filters->endpoint_id);
      if (!named) return from_error(named.error());
      if (*named) filters->endpoint_id = **named;
    }
    auto all = attempts_of(store_, registry_, app_id, *event);
    if (!all) return from_error(all.error());
    std::size_t start = 0;
    if (!q->iterator.empty()) {
      const auto at = std::find_if(all->begin(), all->end(),
                                   [&](const auto& m) { return m.id == q->iterator; });
      if (at == all->end()) {
        return validation_error({{{"query", "iterator"}, "not an iterator this list returned"}});
      }
      start = static_cast<std::size_t>(at - all->begin()) + 1;
    }
    json::array data;
    std::string next;
    for (std::size_t i = start; i < all->size(); ++i) {
      const auto& m = (*all)[i];
      if (!filters->endpoint_id.empty() && m.endpoint_id != filters->endpoint_id) continue;
      if (!attempt_passes(m.attempt, *filters)) continue;
      if (data.size() == q->limit) {
        next = (*all)[i - 1].id;
        break;
      }
      data.push_back(attempt_out(m.attempt, m.delivery, *event, m.endpoint_id, m.url));
    }
    return json_response(200, list_response(std::move(data), next, next.empty()));
  }

  // By endpoint: the endpoint's deliveries newest message first, their attempts newest first.
  auto ep = endpoint_named(registry_, app_id, s[4]);
  if (!ep) return from_error(ep.error());
  const auto destination = outbound::endpoint_destination(ep->id);
  std::int64_t before_seq = 0;
  int before_number = 0;
  if (!q->iterator.empty()) {
    const auto dot = q->iterator.rfind('.');
    std::optional<store::Event> from;
    if (dot != std::string::npos && dot + 1 < q->iterator.size() &&
        dot + 1 + 9 >= q->iterator.size() &&
        q->iterator.find_first_not_of("0123456789", dot + 1) == std::string::npos &&
        outbound::is_message_id(q->iterator.substr(0, dot))) {
      auto found = store_.event_by_public_id(source, q->iterator.substr(0, dot));
      if (!found) return from_error("store_error: " + found.error());
      from = std::move(found.value());
    }
    if (!from) {
      return validation_error({{{"query", "iterator"}, "not an iterator this list returned"}});
    }
    before_seq = from->seq;
    before_number = std::stoi(q->iterator.substr(dot + 1));
  }
  const auto message_filters = message_part(*filters);
  json::array data;
  std::string last_seen;
  std::size_t scanned = 0;
  bool more = true;
  while (data.size() < q->limit && scanned < kMaxScannedRows) {
    const std::size_t chunk = std::min(kChunkRows, q->limit - data.size()) + 1;
    auto rows = store_.attempts_to(destination, before_seq, before_number, chunk);
    if (!rows) return from_error("store_error: " + rows.error());
    more = rows->size() == chunk;
    const std::size_t take = more ? rows->size() - 1 : rows->size();
    for (std::size_t i = 0; i < take; ++i) {
      const auto& r = (*rows)[i];
      ++scanned;
      before_seq = r.event.seq;
      before_number = r.attempt.number;
      last_seen = endpoint_attempt_iterator(r.event, r.attempt.number);
      if (!attempt_passes(r.attempt, *filters) || !passes(r.event, message_filters)) continue;
      auto out = attempt_out(r.attempt, r.delivery, r.event, ep->id, ep->url);
      if (with_msg) out["msg"] = message_out(r.event, false);
      data.push_back(std::move(out));
    }
    if (!more) break;
  }
  const std::string next = more ? last_seen : "";
  return json_response(200, list_response(std::move(data), next, !more));
}

net::HttpResponse ManagementApi::message_deliveries(Call& call, const std::string& app_id,
                                                    const store::Event& event) {
  const auto& s = call.segments;
  // /msg/{msg}/attempt/{attempt}
  if (s.size() == 6 && s[4] == "attempt") {
    if (call.method() != "GET") return not_allowed("GET");
    auto all = attempts_of(store_, registry_, app_id, event);
    if (!all) return from_error(all.error());
    for (const auto& m : *all) {
      if (m.id == s[5]) {
        return json_response(200, attempt_out(m.attempt, m.delivery, event, m.endpoint_id, m.url));
      }
    }
    return http_error(404, "not_found", "no attempt " + s[5] + " of message " + event.public_id);
  }
  if (s[4] != "endpoint") return http_error(404, "not_found", "unknown path");
  // /msg/{msg}/endpoint: the endpoints the message was sent to, with its state at each.
  if (s.size() == 5) {
    if (call.method() != "GET") return not_allowed("GET");
    auto q = list_query(call.request);
    if (!q) return list_query_error(q.error());
    auto deliveries = store_.deliveries(event.seq);
    if (!deliveries) return from_error("store_error: " + deliveries.error());
    const auto now = now_ms_();
    json::array data;
    std::string next;
    bool started = q->iterator.empty();
    std::string previous;
    for (const auto& d : *deliveries) {
      const auto endpoint_id = outbound::destination_endpoint(d.destination);
      if (!endpoint_id) continue;
      if (!started) {
        started = *endpoint_id == q->iterator;
        continue;
      }
      auto ep = registry_.endpoint(app_id, *endpoint_id);
      if (!ep) {
        if (ep.error().starts_with("not_found")) continue;  // deleted since
        return from_error(ep.error());
      }
      if (data.size() == q->limit) {
        next = previous;
        break;
      }
      data.push_back(message_endpoint_out(d, *ep, now));
      previous = ep->id;
    }
    if (!started) {
      return validation_error({{{"query", "iterator"}, "not an iterator this list returned"}});
    }
    return json_response(200, list_response(std::move(data), next, next.empty()));
  }
  // /msg/{msg}/endpoint/{endpoint}/resend
  if (s.size() == 7 && s[6] == "resend") {
    if (call.method() != "POST") return not_allowed("POST");
    auto ep = endpoint_named(registry_, app_id, s[5]);
    if (!ep) return from_error(ep.error());
    const auto destination = outbound::endpoint_destination(ep->id);
    auto deliveries = store_.deliveries(event.seq);
    if (!deliveries) return from_error("store_error: " + deliveries.error());
    const bool sent = std::any_of(deliveries->begin(), deliveries->end(),
                                  [&](const auto& d) { return d.destination == destination; });
    if (!sent) {
      return http_error(404, "not_found",
                        "message " + event.public_id + " was not sent to endpoint " + ep->id);
    }
    store::Requeue which;
    which.event_seq = event.seq;
    which.destination = destination;
    which.include_delivered = true;
    auto moved = store_.requeue(which, now_ms_());
    if (!moved) return from_error("store_error: " + moved.error());
    if (on_published_) on_published_();
    // Svix's EmptyResponse: its clients parse every answer but a 204 as JSON.
    return json_response(202, boost::json::object{});
  }
  return http_error(404, "not_found", "unknown path");
}

}  // namespace hookgate::api
