// /api/v1/destination, /stats and /establishment: what the console's overview, destination and
// Asana pages show. Admin only (routed from management_api.cpp). Health, queue figures and
// pauses come from the store (all nodes); rates and circuits are this node's, plus, on
// PostgreSQL, the other nodes' as they mirror them (engine/stats_mirror.hpp).
#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/iso8601.hpp"
#include "engine/stats_mirror.hpp"
#include "hookgate/engine/establish.hpp"
#include "hookgate/engine/ingest.hpp"
#include "outbound/model.hpp"
#include "outbound/publisher.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

constexpr std::int64_t kHourMs = std::int64_t{3600} * 1000;
// Endpoints looked at for the overview's "disabled" list, and shown of each list.
constexpr std::size_t kMaxScannedEndpoints = 5000;
constexpr std::size_t kMaxListed = 100;
constexpr std::string_view kConfiguredPrefix = "c:";
constexpr std::string_view kEndpointPrefix = "e:";

// A URL without user info, query or fragment: what may be shown of where deliveries go.
std::string shown_url(std::string_view url) {
  url = url.substr(0, std::min(url.find('?'), url.find('#')));
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const auto host_start = scheme_end + 3;
  const auto path_start = std::min(url.find('/', host_start), url.size());
  const auto at = url.substr(host_start, path_start - host_start).rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, host_start)) + std::string(url.substr(host_start + at + 1));
}

const char* kind_name(config::Destination::Kind kind) {
  switch (kind) {
    case config::Destination::Kind::http:
      return "http";
    case config::Destination::Kind::command:
      return "command";
    case config::Destination::Kind::file:
      return "file";
  }
  return "http";
}

json::object health(const store::DestinationStats& s) {
  return json::object{{"delivered", s.delivered},
                      {"pending", s.pending},
                      {"sending", s.sending},
                      {"failed", s.failed}};
}

std::string verification_name(const outbound::Endpoint& ep) {
  if (ep.verification == outbound::Verification::none) return "off";
  return ep.verified ? "verified" : "unverified";
}

// Where a configured destination's credential comes from, as far as it can be shown: the
// variable or the file it is read from, never an inline value.
json::value secret_from(const config::Destination& d) {
  const auto& ref = d.secret ? d.secret : d.bearer;
  if (!ref) return nullptr;
  const auto& w = ref->written;
  if ((w.starts_with("env:") || w.starts_with("file:")) && w.size() <= 512) return json::value(w);
  return json::value("inline");
}

std::uint64_t total(const std::vector<std::uint64_t>& values) {
  std::uint64_t sum = 0;
  for (const auto v : values)
    sum += v;
  return sum;
}

json::array series(const std::vector<std::uint64_t>& values) {
  json::array out;
  out.reserve(values.size());
  for (const auto v : values)
    out.push_back(v);
  return out;
}

}  // namespace

net::HttpResponse ManagementApi::destinations_resource(Call& call) {
  if (call.size() != 1) return http_error(404, "not_found", "unknown path");
  if (call.method() != "GET") return not_allowed("GET");
  auto q = list_query(call.request);
  if (!q) return list_query_error(q.error());
  const auto& it = q->iterator;
  if (!it.empty() && !it.starts_with(kConfiguredPrefix) && !it.starts_with(kEndpointPrefix)) {
    return validation_error({{{"query", "iterator"}, "not an iterator this list returned"}});
  }
  const auto now = now_ms_();
  auto open = open_circuits_by_node();
  if (!open) return from_error("store_error: " + open.error());
  json::array data;
  std::string next;

  if (!it.starts_with(kEndpointPrefix)) {
    std::vector<const config::Destination*> sorted;
    for (const auto& d : config_.destinations)
      sorted.push_back(&d);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->name < b->name; });
    const std::string after = it.empty() ? "" : it.substr(kConfiguredPrefix.size());
    for (const auto* d : sorted) {
      if (!it.empty() && d->name <= after) continue;
      if (data.size() == q->limit) {
        next = std::string(kConfiguredPrefix) +
               json::value_to<std::string>(data.back().as_object().at("name"));
        break;
      }
      auto row = configured_destination_out(*d, now);
      if (!row) return from_error(row.error());
      data.push_back(std::move(*row));
    }
  }
  if (next.empty() && data.size() < q->limit) {
    std::string after = it.starts_with(kEndpointPrefix) ? it.substr(kEndpointPrefix.size()) : "";
    auto records = store_.records("endpoint", "", after, q->limit - data.size() + 1);
    if (!records) return from_error("store_error: " + records.error());
    for (const auto& r : *records) {
      if (data.size() == q->limit) {
        next = std::string(kEndpointPrefix) + after;
        break;
      }
      after = r.id;
      auto ep = outbound::endpoint_from_json(r.body, r.version);
      if (!ep) continue;
      const auto destination = outbound::endpoint_destination(ep->id);
      auto stats = store_.destination_stats(destination, now - kHourMs, 0, now);
      if (!stats) return from_error("store_error: " + stats.error());
      const auto circuit = open->find(ep->id);
      json::array open_on;
      if (circuit != open->end()) {
        for (const auto& node : circuit->second)
          open_on.push_back(json::string(node));
      }
      data.push_back(json::object{{"destination", destination},
                                  {"kind", "endpoint"},
                                  {"name", ep->uid.empty() ? ep->id : ep->uid},
                                  {"url", shown_url(ep->url)},
                                  {"appId", ep->app_id},
                                  {"endpointId", ep->id},
                                  {"enabled", ep->enabled},
                                  {"disabledReason", ep->enabled || ep->disabled_reason.empty()
                                                         ? json::value(nullptr)
                                                         : json::value(ep->disabled_reason)},
                                  {"circuit", circuit != open->end() ? "open" : "closed"},
                                  {"circuitOpenOn", std::move(open_on)},
                                  {"verification", verification_name(*ep)},
                                  {"health", health(*stats)},
                                  {"pause", nullptr},
                                  {"secretManagedBy", "api"},
                                  {"secretFrom", nullptr}});
    }
  } else if (next.empty()) {
    next = std::string(kEndpointPrefix);  // the endpoints follow
  }
  return json_response(200, list_response(std::move(data), next, next.empty()));
}

net::HttpResponse ManagementApi::stats_resource(Call& call) {
  if (call.size() != 1) return http_error(404, "not_found", "unknown path");
  if (call.method() != "GET") return not_allowed("GET");
  std::size_t seconds = engine::StatsSeries::kSeconds;
  if (const auto v = schemes::url_query_param(call.request.target, "seconds")) {
    if (v->empty() || v->size() > 4 || v->find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(*v) < 1 || std::stoul(*v) > engine::StatsSeries::kSeconds) {
      return validation_error({{{"query", "seconds"}, "an integer from 1 to 3600"}});
    }
    seconds = std::stoul(*v);
  }
  const auto now = now_ms_();
  using S = engine::StatsSeries;
  engine::StatsSeries::Window w;
  if (console_.series != nullptr) {
    w = console_.series->window(now, seconds);
  } else {
    w.start_s = now / 1000 - static_cast<std::int64_t>(seconds) + 1;
    for (auto& c : w.counters)
      c.assign(seconds, 0);
  }
  const std::string node =
      console_.inspector != nullptr ? console_.inspector->node() : std::string();
  // Each node's share of the window, this node first; the series are their sum.
  const auto node_out = [](const std::string& name, std::int64_t updated_ms,
                           const S::Window& window) {
    return json::object{{"node", name},
                        {"updatedAt", iso8601(updated_ms)},
                        {"accepted", total(window.counters[S::accepted])},
                        {"duplicate", total(window.counters[S::duplicate])},
                        {"refused", total(window.counters[S::refused])},
                        {"delivered", total(window.counters[S::delivered])},
                        {"retried", total(window.counters[S::retried])},
                        {"failed", total(window.counters[S::failed])}};
  };
  json::array nodes;
  nodes.push_back(node_out(node, now, w));
  if (config_.store_url.starts_with("postgres")) {
    auto others = engine::mirrored_stats(
        store_, console_.inspector != nullptr ? console_.inspector->tag() : std::string(), now);
    if (!others) return from_error("store_error: " + others.error());
    for (const auto& o : *others) {
      S::Window mine;
      mine.start_s = w.start_s;
      for (auto& c : mine.counters)
        c.assign(seconds, 0);
      engine::add_window(mine, o.window);
      nodes.push_back(node_out(o.node, o.updated_ms, mine));
      engine::add_window(w, o.window);
    }
  }
  json::object reasons;
  for (const auto& [name, values] : w.reasons)
    reasons[name] = series(values);
  auto counts = store_.counts();
  if (!counts) return from_error("store_error: " + counts.error());

  json::array disabled;
  std::string after;
  std::size_t scanned = 0;
  while (scanned < kMaxScannedEndpoints && disabled.size() < kMaxListed) {
    auto records = store_.records("endpoint", "", after, 200);
    if (!records) return from_error("store_error: " + records.error());
    for (const auto& r : *records) {
      ++scanned;
      after = r.id;
      auto ep = outbound::endpoint_from_json(r.body, r.version);
      if (!ep || ep->enabled || disabled.size() >= kMaxListed) continue;
      disabled.push_back(
          json::object{{"destination", outbound::endpoint_destination(ep->id)},
                       {"appId", ep->app_id},
                       {"endpointId", ep->id},
                       {"reason", ep->disabled_reason.empty() ? json::value(nullptr)
                                                              : json::value(ep->disabled_reason)}});
    }
    if (records->size() < 200) break;
  }
  auto circuits = open_circuits_by_node();
  if (!circuits) return from_error("store_error: " + circuits.error());
  json::array open;
  for (const auto& [id, on] : *circuits) {
    if (open.size() >= kMaxListed) break;
    auto ep = registry_.endpoint_by_id(id);
    json::array open_on;
    for (const auto& n : on)
      open_on.push_back(json::string(n));
    open.push_back(json::object{{"destination", outbound::endpoint_destination(id)},
                                {"appId", ep ? json::value(ep->app_id) : json::value("")},
                                {"endpointId", id},
                                {"reason", nullptr},
                                {"nodes", std::move(open_on)}});
  }
  return json_response(
      200,
      json::object{{"node", node},
                   {"start", iso8601(w.start_s * 1000)},
                   {"seconds", seconds},
                   {"series", json::object{{"accepted", series(w.counters[S::accepted])},
                                           {"duplicate", series(w.counters[S::duplicate])},
                                           {"refused", series(w.counters[S::refused])},
                                           {"refusedByReason", std::move(reasons)},
                                           {"delivered", series(w.counters[S::delivered])},
                                           {"retried", series(w.counters[S::retried])},
                                           {"failed", series(w.counters[S::failed])}}},
                   {"queueDepth", counts->pending},
                   {"oldestPendingAt", counts->pending > 0 && counts->oldest_pending_due_ms > 0
                                           ? json::value(iso8601(counts->oldest_pending_due_ms))
                                           : json::value(nullptr)},
                   {"endpointsDisabled", std::move(disabled)},
                   {"endpointsCircuitOpen", std::move(open)},
                   {"nodes", std::move(nodes)}});
}

Result<json::object> ManagementApi::configured_destination_out(const config::Destination& d,
                                                               std::int64_t now) {
  auto stats = store_.destination_stats(d.name, now - kHourMs, 0, now);
  if (!stats) return Error{"store_error: " + stats.error()};
  std::optional<engine::DestinationPause> pause;
  if (console_.pauses != nullptr) {
    auto read = console_.pauses->read(d.name);
    if (!read) return Error{"store_error: " + read.error()};
    pause = std::move(*read);
  }
  const bool paused = pause && pause->paused;
  json::value why = nullptr;
  if (paused) {
    std::string text = "disabled by " + pause->by + " at " + iso8601(pause->at_ms);
    if (!pause->reason.empty()) text += ": " + pause->reason;
    why = json::value(text);
  }
  json::value pause_out = nullptr;
  if (pause) {
    pause_out = json::object{
        {"paused", pause->paused},
        {"by", pause->by},
        {"at", iso8601(pause->at_ms)},
        {"reason", pause->reason.empty() ? json::value(nullptr) : json::value(pause->reason)}};
  }
  const bool has_secret = d.secret.has_value() || d.bearer.has_value();
  return json::object{
      {"destination", d.name},
      {"kind", kind_name(d.kind)},
      {"name", d.name},
      {"url", d.kind == config::Destination::Kind::http ? shown_url(d.url) : ""},
      {"appId", nullptr},
      {"endpointId", nullptr},
      {"enabled", !paused},
      {"disabledReason", std::move(why)},
      {"circuit", "none"},
      {"circuitOpenOn", json::array()},
      {"verification", nullptr},
      {"health", health(*stats)},
      {"pause", std::move(pause_out)},
      {"secretManagedBy", has_secret ? json::value("config") : json::value(nullptr)},
      {"secretFrom", secret_from(d)}};
}

Result<std::map<std::string, std::vector<std::string>>> ManagementApi::open_circuits_by_node() {
  std::map<std::string, std::vector<std::string>> out;
  const std::string node =
      console_.inspector != nullptr ? console_.inspector->node() : std::string();
  if (console_.open_circuits) {
    for (auto& id : console_.open_circuits())
      out[std::move(id)].push_back(node);
  }
  if (config_.store_url.starts_with("postgres")) {
    auto others = engine::mirrored_stats(
        store_, console_.inspector != nullptr ? console_.inspector->tag() : std::string(),
        now_ms_());
    if (!others) return Error{others.error()};
    for (const auto& o : *others) {
      for (const auto& id : o.open_circuits)
        out[id].push_back(o.node);
    }
  }
  return out;
}

net::HttpResponse ManagementApi::establishment_resource(Call& call) {
  if (call.size() != 1) return http_error(404, "not_found", "unknown path");
  if (call.method() != "GET") return not_allowed("GET");
  auto q = list_query(call.request);
  if (!q) return list_query_error(q.error());
  std::vector<const config::Source*> sorted;
  for (const auto& s : config_.sources) {
    if (s.handshake == "asana") sorted.push_back(&s);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto* a, const auto* b) { return a->name < b->name; });
  const auto now = now_ms_();
  json::array data;
  std::string next;
  for (const auto* s : sorted) {
    if (!q->iterator.empty() && s->name <= q->iterator) continue;
    if (data.size() == q->limit) {
      next = json::value_to<std::string>(data.back().as_object().at("source"));
      break;
    }
    auto window = store_.setting("establish/" + s->name);
    auto secret = store_.setting(engine::established_secret_key(s->name));
    auto webhook = store_.setting(engine::established_webhook_key(s->name));
    if (!window || !secret || !webhook) return from_error("store_error: store unavailable");
    const auto pending = window->has_value() ? engine::decode_establishment(**window)
                                             : std::optional<engine::PendingEstablishment>();
    const bool established = secret->has_value();
    const bool consumed = pending && !pending->offered_secret_sha256.empty();
    const bool open_window = pending && pending->expires_ms != 0;
    std::string state = established ? "established" : "none";
    if (consumed && open_window) {
      state = "consumed";
    } else if (open_window && pending->expires_ms > now) {
      state = "armed";
    } else if (open_window && !established) {
      state = "expired";
    }
    data.push_back(json::object{
        {"source", s->name},
        {"state", state},
        {"armedUntil",
         open_window ? json::value(iso8601(pending->expires_ms)) : json::value(nullptr)},
        {"codeConsumed", consumed},
        {"established", established},
        {"webhookGid", webhook->has_value() ? json::value(**webhook) : json::value(nullptr)}});
  }
  return json_response(200, list_response(std::move(data), next, next.empty()));
}

}  // namespace hookgate::api
