// /api/v1/source, /source/{name}/request[/{id}[/deliver]]: the inspector feed. Accepted events
// come from the store (seq order); refused, duplicate and handshake requests from each node's
// ring (this node's in memory, the others' through their mirrored records). A page merges these
// streams newest first; its cursors keep one position per stream, so every row is shown exactly
// once however the streams interleave, in both directions (older pages, and only newer rows for
// a live feed).
#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/delivery_views.hpp"
#include "api/feed_cursor.hpp"
#include "api/iso8601.hpp"
#include "engine/inspector_mirror.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

constexpr std::size_t kStoreChunk = 20;
// Bodies read from the store for one page (the feed shows their sizes; a page of large events
// stops early rather than holding hundreds of megabytes).
constexpr std::size_t kMaxPageBodyBytes = std::size_t{16} << 20;

constexpr std::string_view kEventPrefix = "evt_";
constexpr std::string_view kRingPrefix = "req_";

struct Filter {
  std::string verdict;
  std::string reason;
  bool store() const {
    return (verdict.empty() || verdict == "accepted") && (reason.empty() || reason == "accepted");
  }
  bool rings() const { return verdict != "accepted" && reason != "accepted"; }
  bool pass(const engine::CapturedRequest& e) const {
    return (verdict.empty() || e.verdict == verdict) && (reason.empty() || e.reason == reason);
  }
};

// One stream's candidates, in the page's direction (newest first for older pages, oldest first
// for newer ones).
struct Stream {
  std::string tag;  // empty: the store
  std::string node;
  std::vector<store::Event> events;
  std::vector<engine::CapturedRequest> captured;
  bool maybe_more = false;  // the store stream was cut by its fetch bound
  std::int64_t head = 0;    // the newest position existing now (first pages only)
  std::size_t taken = 0;
  std::size_t size() const { return tag.empty() ? events.size() : captured.size(); }
  std::int64_t time(std::size_t i) const {
    return tag.empty() ? events[i].received_ms : captured[i].received_ms;
  }
  std::int64_t pos(std::size_t i) const { return tag.empty() ? events[i].seq : captured[i].n; }
};

json::object accepted_row(const config::Source& source, const store::Event& e) {
  return json::object{{"id", std::string(kEventPrefix) + std::to_string(e.seq)},
                      {"source", source.name},
                      {"receivedAt", iso8601(e.received_ms)},
                      {"verdict", "accepted"},
                      {"reason", "accepted"},
                      {"status", 200},
                      {"node", ""},
                      {"peer", ""},
                      {"method", "POST"},
                      {"path", source.path},
                      {"eventType", e.event_type},
                      {"seq", e.seq},
                      {"bodySize", e.body.size()}};
}

json::object captured_row(const config::Source& source, const std::string& node,
                          const engine::CapturedRequest& e) {
  return json::object{
      {"id", std::string(kRingPrefix) + engine::node_tag(node) + "_" + std::to_string(e.n)},
      {"source", source.name},
      {"receivedAt", iso8601(e.received_ms)},
      {"verdict", e.verdict},
      {"reason", e.reason},
      {"status", e.status},
      {"node", node},
      {"peer", e.peer},
      {"method", e.method},
      {"path", e.path},
      {"eventType", ""},
      {"seq", e.seq != 0 ? json::value(e.seq) : json::value(nullptr)},
      {"bodySize", e.body_size}};
}

constexpr const char* kVerdicts[] = {"accepted", "duplicate", "handshake", "refused"};

}  // namespace

net::HttpResponse ManagementApi::inbound_sources(Call& call) {
  const auto& s = call.segments;
  if (s.size() == 1) {
    if (call.method() != "GET") return not_allowed("GET");
    auto q = list_query(call.request);
    if (!q) return list_query_error(q.error());
    std::vector<const config::Source*> sorted;
    for (const auto& src : config_.sources)
      sorted.push_back(&src);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->name < b->name; });
    json::array data;
    std::string next;
    for (const auto* src : sorted) {
      if (!q->iterator.empty() && src->name <= q->iterator) continue;
      if (data.size() == q->limit) {
        next = json::value_to<std::string>(data.back().as_object().at("name"));
        break;
      }
      engine::Inspector::SourceCounts counts;
      if (console_.inspector != nullptr) {
        counts = console_.inspector->counts(src->name).value_or(counts);
      }
      const auto limits =
          console_.inspector ? console_.inspector->limits() : engine::InspectorLimits{};
      data.push_back(json::object{{"name", src->name},
                                  {"path", src->path},
                                  {"scheme", src->scheme},
                                  {"handshake", src->handshake.empty() ? "none" : src->handshake},
                                  {"accepted", counts.accepted},
                                  {"duplicate", counts.duplicate},
                                  {"refused", counts.refused},
                                  {"ring", json::object{{"entries", counts.entries},
                                                        {"bytes", counts.bytes},
                                                        {"maxEntries", limits.max_entries},
                                                        {"maxBytes", limits.max_bytes}}}});
    }
    return json_response(200, list_response(std::move(data), next, next.empty()));
  }
  const config::Source* source = nullptr;
  for (const auto& src : config_.sources) {
    if (src.name == s[1]) source = &src;
  }
  if (source == nullptr || s.size() < 3 || s[2] != "request" || s.size() > 5) {
    return http_error(404, "not_found", source == nullptr ? "no such source" : "unknown path");
  }
  if (s.size() == 3) return inbound_feed(call, *source);
  return inbound_request(call, *source);
}

net::HttpResponse ManagementApi::inbound_feed(Call& call, const config::Source& source) {
  if (call.method() != "GET") return not_allowed("GET");
  auto q = list_query(call.request);
  if (!q) return list_query_error(q.error());
  const auto& target = call.request.target;
  Filter filter;
  filter.verdict = schemes::url_query_param(target, "verdict").value_or("");
  filter.reason = schemes::url_query_param(target, "reason").value_or("");
  if (!filter.verdict.empty() && std::find(std::begin(kVerdicts), std::end(kVerdicts),
                                           filter.verdict) == std::end(kVerdicts)) {
    return validation_error(
        {{{"query", "verdict"}, "one of accepted, duplicate, handshake, refused"}});
  }
  if (filter.reason.size() > 64 ||
      filter.reason.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") !=
          std::string::npos) {
    return validation_error({{{"query", "reason"}, "a reason code ([a-z0-9_], at most 64)"}});
  }
  FeedCursor in;
  const bool first_page = q->iterator.empty();
  if (!first_page) {
    auto parsed = parse_feed_cursor(q->iterator);
    if (!parsed) {
      return validation_error({{{"query", "iterator"}, "not an iterator this list returned"}});
    }
    in = std::move(*parsed);
  }
  const std::size_t want = q->limit + 1;
  std::vector<Stream> streams;

  if (filter.store()) {
    Stream st;
    std::size_t bytes = 0;
    if (!in.newer) {
      store::EventPage page;
      page.source = source.name;
      page.before_seq = in.seq.value_or(0);
      if (in.seq && *in.seq <= 1) page.before_seq = -1;  // nothing is older than seq 1
      while (page.before_seq >= 0 && st.events.size() < want && bytes < kMaxPageBodyBytes) {
        page.limit = std::min(kStoreChunk, want - st.events.size());
        auto rows = store_.events_before(page);
        if (!rows) return from_error("store_error: " + rows.error());
        for (auto& e : *rows) {
          bytes += e.body.size();
          page.before_seq = e.seq;
          st.events.push_back(std::move(e));
        }
        if (rows->size() < page.limit) break;
        st.maybe_more = st.events.size() >= want || bytes >= kMaxPageBodyBytes;
      }
      st.head = st.events.empty() ? 0 : st.events.front().seq;
    } else {
      std::int64_t after = in.seq.value_or(0);
      while (st.events.size() < want && bytes < kMaxPageBodyBytes) {
        const auto chunk = std::min(kStoreChunk, want - st.events.size());
        auto rows = store_.events_after(source.name, after, chunk);
        if (!rows) return from_error("store_error: " + rows.error());
        for (auto& e : *rows) {
          bytes += e.body.size();
          after = e.seq;
          st.events.push_back(std::move(e));
        }
        if (rows->size() < chunk) break;
        st.maybe_more = st.events.size() >= want || bytes >= kMaxPageBodyBytes;
      }
    }
    streams.push_back(std::move(st));
  }

  if (filter.rings() && console_.inspector != nullptr) {
    std::vector<engine::Ring> rings;
    if (auto own = console_.inspector->ring(source.name)) rings.push_back(std::move(*own));
    if (config_.store_url.starts_with("postgres")) {
      auto others = engine::mirrored_rings(store_, source.name, console_.inspector->tag(),
                                           console_.inspector->limits(), now_ms_());
      if (!others) return from_error("store_error: " + others.error());
      for (auto& r : *others)
        rings.push_back(std::move(r));
    }
    for (auto& ring : rings) {
      Stream st;
      st.node = ring.node;
      st.tag = engine::node_tag(ring.node);
      st.head = ring.entries.empty() ? 0 : ring.entries.back().n;
      const auto bound = in.rings.find(st.tag);
      for (auto& e : ring.entries) {  // oldest first
        if (!filter.pass(e)) continue;
        if (bound != in.rings.end() && (in.newer ? e.n <= bound->second : e.n >= bound->second)) {
          continue;
        }
        st.captured.push_back(std::move(e));
      }
      if (!in.newer) std::reverse(st.captured.begin(), st.captured.end());
      streams.push_back(std::move(st));
    }
  }

  // Merge: the newest head first (older pages), the oldest first (newer pages).
  std::vector<std::pair<std::size_t, std::size_t>> picked;  // (stream, index)
  while (picked.size() < q->limit) {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < streams.size(); ++i) {
      const auto& st = streams[i];
      if (st.taken >= st.size()) continue;
      if (!best) {
        best = i;
        continue;
      }
      const auto& b = streams[*best];
      const auto t = st.time(st.taken);
      const auto bt = b.time(b.taken);
      if (in.newer ? t < bt : t > bt) best = i;
    }
    if (!best) break;
    picked.emplace_back(*best, streams[*best].taken++);
  }
  bool more = false;
  for (const auto& st : streams)
    more = more || st.taken < st.size() || st.maybe_more;

  FeedCursor older;
  FeedCursor newer;
  newer.newer = true;
  for (const auto& st : streams) {
    std::optional<std::int64_t> lo;
    std::optional<std::int64_t> hi;
    for (std::size_t i = 0; i < st.taken; ++i) {
      const auto p = st.pos(i);
      lo = lo ? std::min(*lo, p) : p;
      hi = hi ? std::max(*hi, p) : p;
    }
    std::optional<std::int64_t> given;
    if (st.tag.empty()) {
      given = in.seq;
    } else if (const auto it = in.rings.find(st.tag); it != in.rings.end()) {
      given = it->second;
    }
    // Older: below the lowest shown; newer: above the highest shown. A stream with nothing on
    // this page keeps its position (a first page's newer position is the stream's head, so a
    // poll then gets only what arrives after it).
    std::optional<std::int64_t> o = lo;
    std::optional<std::int64_t> n = hi;
    if (!in.newer) {
      if (!o) o = given;
      if (!n) n = given ? std::optional<std::int64_t>(*given - 1) : st.head;
      if (first_page) n = std::max(n.value_or(0), st.head);
    } else {
      if (!n) n = given.value_or(0);
      if (!o) o = given ? std::optional<std::int64_t>(*given + 1) : std::nullopt;
    }
    // Positions are never negative (the cursor's grammar has no sign).
    if (o) o = std::max<std::int64_t>(*o, 0);
    if (n) n = std::max<std::int64_t>(*n, 0);
    if (st.tag.empty()) {
      older.seq = o;
      newer.seq = n;
    } else {
      if (o) older.rings[st.tag] = *o;
      if (n) newer.rings[st.tag] = *n;
    }
  }
  // Positions of streams this page did not see (a node whose ring is empty now, or a newer page
  // filtered to rings) carry over, so a later poll does not show them again.
  for (const auto& [tag, n] : in.rings) {
    if (in.newer) newer.rings.emplace(tag, n);
  }
  if (in.newer && in.seq && !newer.seq) newer.seq = in.seq;

  if (in.newer) std::reverse(picked.begin(), picked.end());
  json::array data;
  for (const auto& [si, idx] : picked) {
    const auto& st = streams[si];
    data.push_back(st.tag.empty() ? accepted_row(source, st.events[idx])
                                  : captured_row(source, st.node, st.captured[idx]));
  }
  const bool done = !more;
  const std::string next = in.newer || done ? std::string() : format_feed_cursor(older);
  return json_response(200, list_response(std::move(data), next, done, format_feed_cursor(newer)));
}

net::HttpResponse ManagementApi::inbound_request(Call& call, const config::Source& source) {
  const auto& s = call.segments;
  const std::string& id = s[3];
  const bool deliver = s.size() == 5;
  if (deliver && s[4] != "deliver") return http_error(404, "not_found", "unknown path");
  if (call.method() != (deliver ? "POST" : "GET")) return not_allowed(deliver ? "POST" : "GET");
  // The headers an event kept (keep_headers), redacted by the source's rules.
  const auto kept_headers = [&](const store::Event& e, json::array& headers,
                                json::array& redacted) {
    boost::system::error_code ec;
    const auto kept = json::parse(e.headers, ec);
    if (ec || !kept.is_object()) return;
    for (const auto& [k, v] : kept.as_object()) {
      const std::string value = v.is_string() ? std::string(v.get_string()) : "";
      // Without an inspector nothing says what is safe: every value is hidden.
      const bool hide =
          console_.inspector == nullptr || console_.inspector->secret_header(source.name, k, value);
      headers.push_back(
          json::object{{"name", k}, {"value", hide ? std::string(engine::kRedacted) : value}});
      if (hide) redacted.push_back(json::string(k));
    }
  };

  if (id.starts_with(kEventPrefix)) {
    const auto seq = parse_position(std::string_view(id).substr(kEventPrefix.size()));
    if (!seq) return http_error(404, "not_found", "no such request");
    auto event = store_.event(*seq);
    if (!event) return from_error("store_error: " + event.error());
    if (!*event || (*event)->source != source.name) {
      return http_error(404, "not_found", "no such request");
    }
    const auto& e = **event;
    if (deliver) {
      auto body = body_object(call.request);
      if (!body) return http_error(400, "bad_request", body.error());
      if (!body->empty()) {
        return invalid_field(body->begin()->key(), "unknown field", "value_error.extra");
      }
      store::Requeue which;
      which.event_seq = e.seq;
      which.include_delivered = true;
      auto moved = store_.requeue(which, now_ms_());
      if (!moved) return from_error("store_error: " + moved.error());
      if (*moved > 0 && on_published_) on_published_();
      return json_response(202, json::object{{"requeued", *moved}});
    }
    auto out = accepted_row(source, e);
    json::array headers;
    json::array redacted;
    kept_headers(e, headers, redacted);
    auto deliveries = store_.deliveries(e.seq);
    if (!deliveries) return from_error("store_error: " + deliveries.error());
    json::array list;
    const auto now = now_ms_();
    for (const auto& d : *deliveries)
      list.push_back(delivery_out(d, e, now));
    out["headers"] = std::move(headers);
    out["redactedHeaders"] = std::move(redacted);
    out["body"] = crypto::base64_encode(e.body);
    out["bodyTruncated"] = false;
    out["deliveries"] = std::move(list);
    return json_response(200, out);
  }

  // req_<tag>_<n>: an entry of a node's ring.
  if (!id.starts_with(kRingPrefix) || console_.inspector == nullptr) {
    return http_error(404, "not_found", "no such request");
  }
  const auto rest = std::string_view(id).substr(kRingPrefix.size());
  const auto underscore = rest.find('_');
  if (underscore == std::string_view::npos || !is_node_tag(rest.substr(0, underscore)) ||
      !parse_position(rest.substr(underscore + 1))) {
    return http_error(404, "not_found", "no such request");
  }
  const std::string tag(rest.substr(0, underscore));
  const std::int64_t n = *parse_position(rest.substr(underscore + 1));
  std::optional<engine::Ring> ring;
  if (tag == console_.inspector->tag()) {
    ring = console_.inspector->ring(source.name);
  } else if (config_.store_url.starts_with("postgres")) {
    auto found = engine::mirrored_ring(store_, source.name, tag, console_.inspector->limits());
    if (!found) return from_error("store_error: " + found.error());
    ring = std::move(*found);
  }
  const engine::CapturedRequest* entry = nullptr;
  if (ring) {
    for (const auto& e : ring->entries) {
      if (e.n == n) entry = &e;
    }
  }
  if (entry == nullptr) return http_error(404, "not_found", "no such request (or evicted)");
  if (deliver) {
    return http_error(409, "conflict", "only an accepted request has an event to deliver");
  }
  auto out = captured_row(source, ring->node, *entry);
  json::array headers;
  for (const auto& [k, v] : entry->headers)
    headers.push_back(json::object{{"name", k}, {"value", v}});
  json::array redacted;
  for (const auto& r : entry->redacted)
    redacted.push_back(json::string(r));
  std::string body = entry->body;
  bool truncated = entry->body.size() < entry->body_size;
  if (entry->verdict == "duplicate" && entry->seq != 0 && entry->headers.empty()) {
    // Captured without its bytes (see Ingest): it is the stored event by its replay key, so the
    // event's body and kept headers are what it carried.
    auto event = store_.event(entry->seq);
    if (!event) return from_error("store_error: " + event.error());
    if (*event && (*event)->source == source.name) {
      kept_headers(**event, headers, redacted);
      body = std::move((*event)->body);
      truncated = false;
    }
  }
  out["headers"] = std::move(headers);
  out["redactedHeaders"] = std::move(redacted);
  out["body"] = crypto::base64_encode(body);
  out["bodyTruncated"] = truncated;
  out["deliveries"] = json::array();
  return json_response(200, out);
}

}  // namespace hookgate::api
