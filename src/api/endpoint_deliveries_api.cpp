// /api/v1/app/{app}/endpoint/{ep}/msg, /stats and /recover: an endpoint's messages with their
// state, its delivery counts, and sending again what failed since a time (Svix's shapes).
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/iso8601.hpp"
#include "api/message_views.hpp"
#include "hookgate/crypto/random.hpp"
#include "outbound/publisher.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxScannedRows = 2000;
constexpr std::size_t kMaxPageContentBytes = std::size_t{8} << 20;
constexpr std::size_t kChunkRows = 50;

// An RFC 3339 time of the body or the query; the error is a 422 answer at loc.
std::optional<net::HttpResponse> read_time(const std::optional<std::string>& text,
                                           std::vector<std::string> loc, std::int64_t& out) {
  if (!text) return std::nullopt;
  const auto ms = parse_iso8601(*text);
  if (!ms) {
    return validation_error({{std::move(loc), "an RFC 3339 date-time", "value_error.datetime"}});
  }
  out = *ms;
  return std::nullopt;
}

}  // namespace

net::HttpResponse ManagementApi::endpoint_deliveries(Call& call, const std::string& app_id,
                                                     const std::string& endpoint_id) {
  const auto& s = call.segments;
  auto ep = endpoint_named(registry_, app_id, endpoint_id);
  if (!ep) return from_error(ep.error());
  const auto destination = outbound::endpoint_destination(ep->id);

  if (s[4] == "stats") {
    if (call.method() != "GET") return not_allowed("GET");
    std::int64_t since = 0;
    std::int64_t until = 0;
    const auto& target = call.request.target;
    if (auto bad = read_time(schemes::url_query_param(target, "since"), {"query", "since"}, since))
      return *bad;
    if (auto bad = read_time(schemes::url_query_param(target, "until"), {"query", "until"}, until))
      return *bad;
    auto stats = store_.destination_stats(destination, since, until, now_ms_());
    if (!stats) return from_error("store_error: " + stats.error());
    return json_response(200, json::object{{"success", stats->delivered},
                                           {"pending", stats->pending},
                                           {"sending", stats->sending},
                                           {"fail", stats->failed},
                                           {"canceled", 0}});
  }

  if (s[4] == "recover") {
    if (call.method() != "POST") return not_allowed("POST");
    auto body = body_object(call.request);
    if (!body) return http_error(400, "bad_request", body.error());
    for (const auto& [k, v] : *body) {
      if (k != "since" && k != "until")
        return invalid_field(k, "unknown field", "value_error.extra");
    }
    if (auto field = non_string_field(*body, {"since"})) {
      return invalid_field(*field, "must be an RFC 3339 date-time", "type_error.str");
    }
    if (const auto* u = body->if_contains("until");
        u != nullptr && !u->is_null() && !u->is_string())
      return invalid_field("until", "must be an RFC 3339 date-time", "type_error.str");
    const auto since_text = string_field(*body, "since");
    if (!since_text)
      return invalid_field("since", "a date-time is required", "value_error.missing");
    store::Requeue which;
    which.destination = destination;
    if (auto bad = read_time(since_text, {"body", "since"}, which.since_ms)) return *bad;
    if (auto bad = read_time(string_field(*body, "until"), {"body", "until"}, which.until_ms))
      return *bad;
    // since 1970-01-01T00:00:00Z is "from the start" either way.
    if (which.since_ms < 0) which.since_ms = 0;
    if (which.until_ms != 0 && which.until_ms <= which.since_ms) {
      return invalid_field("until", "must be after since");
    }
    auto moved = store_.requeue(which, now_ms_());
    if (!moved) return from_error("store_error: " + moved.error());
    if (*moved > 0 && on_published_) on_published_();
    // Done at once (one transaction), so the task is finished when this answers.
    return json_response(
        202, json::object{{"id", "qtask_" + crypto::random_string(27, crypto::kAlphanumeric)},
                          {"status", "finished"},
                          {"task", "endpoint.recover"},
                          {"updatedAt", iso8601(now_ms_())},
                          {"data", json::object{{"messagesSent", *moved}}}});
  }

  // /endpoint/{ep}/msg: the messages sent to it, newest first, with their state there.
  if (call.method() != "GET") return not_allowed("GET");
  auto q = list_query(call.request);
  if (!q) return list_query_error(q.error());
  auto filters = list_filters(call.request);
  if (!filters) return list_filters_error(filters.error());
  std::int64_t before_seq = 0;
  if (!q->iterator.empty()) {
    std::optional<store::Event> from;
    if (outbound::is_message_id(q->iterator)) {
      auto found = store_.event_by_public_id(outbound::app_source(app_id), q->iterator);
      if (!found) return from_error("store_error: " + found.error());
      from = std::move(found.value());
    }
    if (!from) {
      return validation_error({{{"query", "iterator"}, "not an iterator this list returned"}});
    }
    before_seq = from->seq;
  }
  const auto now = now_ms_();
  json::array data;
  std::string last_seen;
  std::size_t scanned = 0;
  std::size_t content_bytes = 0;
  bool more = true;
  while (data.size() < q->limit && scanned < kMaxScannedRows &&
         content_bytes < kMaxPageContentBytes) {
    const std::size_t chunk = std::min(kChunkRows, q->limit - data.size()) + 1;
    auto rows = store_.deliveries_to(destination, before_seq, chunk);
    if (!rows) return from_error("store_error: " + rows.error());
    more = rows->size() == chunk;
    const std::size_t take = more ? rows->size() - 1 : rows->size();
    for (std::size_t i = 0; i < take; ++i) {
      const auto& r = (*rows)[i];
      ++scanned;
      before_seq = r.event.seq;
      last_seen = r.event.public_id;
      if (!passes(r.event, *filters)) continue;
      if (filters->status && delivery_status(r.delivery, now) != *filters->status) continue;
      if (filters->with_content) content_bytes += r.event.body.size();
      data.push_back(endpoint_message_out(r, filters->with_content, now));
    }
    if (!more) break;
  }
  const std::string next = more ? last_seen : "";
  return json_response(200, list_response(std::move(data), next, !more));
}

}  // namespace hookgate::api
