// Event streams of inbound sources: the path, the authorisation and the cursor of a request.
#include "api/event_streams.hpp"

#include "api/stream_cursor.hpp"
#include "api/stream_envelope.hpp"
#include "hookgate/crypto/compare.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace {

net::HttpResponse text(int status, std::string_view body) {
  net::HttpResponse r;
  r.status = status;
  r.headers.add("Content-Type", "text/plain; charset=utf-8");
  r.body = std::string(body) + "\n";
  return r;
}

// The per-address bound counts clients: an IPv6 client's whole /64 is one.
std::string peer_key(const std::optional<net::IpAddress>& peer) {
  return peer ? peer->client_key() : std::string();
}

}  // namespace

EventStreams::EventStreams(const config::Config& config, store::Store& store)
    : config_(config), fanout_(store, config.streams) {}

void EventStreams::stop() {
  fanout_.stop();
}

std::size_t EventStreams::open_count() const {
  return fanout_.open_count();
}

std::string EventStreams::loggable_path(std::string_view path) {
  if (!path.starts_with(kStreamPrefix)) return std::string(path);
  const auto slash = path.find('/', kStreamPrefix.size());
  if (slash == std::string_view::npos) return std::string(path);
  return std::string(path.substr(0, slash + 1)) + "***";
}

void EventStreams::notify(const std::string& source, std::int64_t seq) {
  fanout_.notify(source, seq);
}

net::HttpResponse EventStreams::open(const net::HttpRequest& request, std::string& source_name,
                                     std::string& verdict) {
  const auto& config = config_;
  // /stream/<source> or /stream/<source>/<capability>
  const std::string_view rest = std::string_view(request.path).substr(kStreamPrefix.size());
  const auto slash = rest.find('/');
  const auto name = rest.substr(0, slash);
  const auto capability =
      slash == std::string_view::npos ? std::optional<std::string_view>() : rest.substr(slash + 1);
  const config::Source* source = nullptr;
  for (const auto& s : config.sources) {
    if (s.name == name) source = &s;
  }
  const bool readable = source != nullptr && (capability ? source->stream_capability.has_value()
                                                         : source->pull_token.has_value());
  // A wrong capability is an unknown path: the path is the credential, and a 404 tells a guesser
  // nothing about which part was wrong.
  if (!readable ||
      (capability && !crypto::constant_time_equal(*capability, source->stream_capability->value))) {
    verdict = "unknown_path";
    return text(404, "unknown_path");
  }
  source_name = source->name;
  if (request.method != "GET") {
    verdict = "method_not_allowed";
    auto r = text(405, "method_not_allowed");
    r.headers.add("Allow", "GET");
    return r;
  }
  if (!capability) {
    const auto auth = request.headers.get("Authorization");
    const std::string expected = "Bearer " + source->pull_token->value;
    if (!auth || !crypto::constant_time_equal(*auth, expected)) {
      verdict = "unauthorized";
      auto r = text(401, "unauthorized");
      r.headers.add("WWW-Authenticate", "Bearer");
      return r;
    }
  }
  const auto after_param = schemes::url_query_param(request.target, "after");
  const auto cursor =
      stream_cursor(request.headers.get("Last-Event-ID"),
                    after_param ? std::optional<std::string_view>(*after_param) : std::nullopt);
  if (!cursor) {
    verdict = cursor.error();
    return text(400, cursor.error());
  }
  // Without a cursor the stream starts at the head: what is accepted from now on.
  const auto after = cursor->after.value_or(fanout_.head());
  Subscription subscription;
  subscription.topic = source->name;
  subscription.peer = peer_key(request.peer);
  subscription.after = after;
  subscription.ready = sse_ready(source->name, after, config.streams.retry.count());
  subscription.format = [](const store::Event& e) { return sse_event(e); };
  auto stream = fanout_.subscribe(std::move(subscription));
  if (!stream) {
    verdict = "too_many_streams";
    auto r = text(503, "too_many_streams");
    r.headers.add("Retry-After", "5");
    return r;
  }
  verdict = "stream";
  return StreamFanout::response(config.streams, std::move(stream));
}

}  // namespace hookgate::api
