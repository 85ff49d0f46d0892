// /api/v1/app/{app_id}/stream: the messages published to one application as text/event-stream,
// each one's data the MessageOut /api/v1 shows for it and its id: the message id, which is the
// cursor a client resumes after (Last-Event-ID, or ?after=). Message ids, not the store's seqs,
// are what a client sees: seqs count every application's messages, and would tell one
// application how busy the others are. Authorised like the rest of /api/v1 (ManagementApi):
// an admin key, the application's key, or an app-portal token of the application.
#include <boost/json.hpp>
#include <chrono>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/message_views.hpp"
#include "outbound/publisher.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

// A stream is authorised once, when it opens; past this it ends cleanly and its client comes
// back with its cursor and its key, so a deleted key or a logged-out portal token stops reading
// within this time (a portal token's own expiry ends its streams at that time).
constexpr std::chrono::minutes kReauthenticateAfter{10};

constexpr std::string_view kEventTypeChars =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.";

// "id: msg_...\ndata: <MessageOut on one line>\n\n": serialised JSON holds no raw CR or LF.
std::string sse_message(const store::Event& e) {
  std::string out = "id: " + e.public_id + "\ndata: ";
  out += json::serialize(message_out(e, true));
  out += "\n\n";
  return out;
}

std::string sse_app_ready(const std::string& app_id, const std::string& after,
                          std::int64_t retry_ms) {
  const json::object data{{"app", app_id},
                          {"after", after.empty() ? json::value(nullptr) : json::value(after)}};
  return "retry: " + std::to_string(retry_ms) + "\nevent: ready\ndata: " + json::serialize(data) +
         "\n\n";
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    if (comma != 0) out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

net::HttpResponse ManagementApi::stream(Call& call, const std::string& app_id) {
  auto* fanout = streams_.load();
  if (fanout == nullptr) return http_error(404, "not_found", "unknown path");
  if (call.method() != "GET") return not_allowed("GET");
  const auto& request = call.request;
  const std::string source = outbound::app_source(app_id);
  // The cursor: Last-Event-ID wins (a reconnecting EventSource keeps its URL and adds it); an
  // empty one is none. A message of another application is unknown here, like a made-up one.
  std::string after_id;
  const auto last_event_id = request.headers.get("Last-Event-ID");
  const auto after_param = schemes::url_query_param(request.target, "after");
  std::string_view bad = "bad_last_event_id";
  if (last_event_id && !last_event_id->empty()) {
    after_id = std::string(*last_event_id);
  } else if (after_param) {
    after_id = *after_param;
    bad = "bad_after";
    if (after_id.empty()) {
      call.verdict = std::string(bad);
      return http_error(400, bad, "not a message id of this stream");
    }
  }
  std::int64_t after = 0;
  if (!after_id.empty()) {
    if (!outbound::is_message_id(after_id)) {
      call.verdict = std::string(bad);
      return http_error(400, bad, "not a message id of this stream");
    }
    auto found = store_.event_by_public_id(source, after_id);
    if (!found) return from_error("store_error: " + found.error());
    if (!*found) {
      call.verdict = "unknown_cursor";
      return http_error(400, "unknown_cursor", "no message " + after_id + " in this application");
    }
    after = (*found)->seq;
  } else {
    after = fanout->head();
  }
  // Filters: ?event_types=a,b (any of them) and ?channel=c.
  std::vector<std::string> types;
  if (const auto v = schemes::url_query_param(request.target, "event_types")) {
    types = split_commas(*v);
    if (types.size() > store::kMaxEventTypesFilter) {
      return list_filters_error("event_types: at most 64 event types");
    }
    for (const auto& t : types) {
      if (t.size() > outbound::kMaxEventTypeBytes ||
          t.find_first_not_of(kEventTypeChars) != std::string::npos) {
        return list_filters_error("event_types: 1 to 256 characters of [a-zA-Z0-9-_.] each");
      }
    }
  }
  const std::string channel = schemes::url_query_param(request.target, "channel").value_or("");
  if (channel.size() > outbound::kMaxChannelBytes) {
    return list_filters_error("channel: at most 128 bytes");
  }
  Subscription subscription;
  subscription.topic = source;
  subscription.peer = request.peer ? request.peer->client_key() : std::string();
  subscription.after = after;
  subscription.ready = sse_app_ready(app_id, after_id, config_.streams.retry.count());
  subscription.format = sse_message;
  if (!types.empty() || !channel.empty()) {
    subscription.filter = [types, channel](const store::Event& e) {
      if (!types.empty() && std::find(types.begin(), types.end(), e.event_type) == types.end()) {
        return false;
      }
      if (channel.empty()) return true;
      const auto meta = outbound::message_meta_from_json(e.meta);
      return std::find(meta.channels.begin(), meta.channels.end(), channel) != meta.channels.end();
    };
  }
  const auto now = std::chrono::steady_clock::now();
  subscription.expires = now + kReauthenticateAfter;
  if (call.key && call.key->expires_ms > 0) {
    const auto left =
        std::chrono::milliseconds(std::max<std::int64_t>(0, call.key->expires_ms - now_ms_()));
    subscription.expires = std::min(subscription.expires, now + left);
  }
  auto sink = fanout->subscribe(std::move(subscription));
  if (!sink) {
    call.verdict = "too_many_streams";
    auto r = http_error(503, "too_many_streams", "this node has all the streams it takes");
    r.headers.add("Retry-After", "5");
    return r;
  }
  call.verdict = "stream";
  return StreamFanout::response(config_.streams, std::move(sink));
}

}  // namespace hookgate::api
