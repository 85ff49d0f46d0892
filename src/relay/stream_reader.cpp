// Reading one source's stream across reconnections: what is fatal, what is waited out.
#include "hookgate/relay/stream_reader.hpp"

#include <boost/json.hpp>
#include <thread>

#include "hookgate/relay/backoff.hpp"
#include "hookgate/relay/terminal_text.hpp"

namespace hookgate::relay {

namespace {

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string seconds(std::chrono::milliseconds ms) {
  const auto tenths = (ms.count() + 50) / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

// The gateway's refusal body is a short code ("unauthorized", "bad_last_event_id"): shown
// escaped and bounded, since it comes from the network.
std::string code_of(const net::SseRefusal& r) {
  std::string body = r.body.substr(0, 80);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r'))
    body.pop_back();
  return body.empty() ? "" : " (" + terminal_safe(body) + ")";
}

}  // namespace

std::string stream_url(const std::string& gateway_url, const std::string& source) {
  std::string url = gateway_url;
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  url += "/stream/";
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : source) {
    if (unreserved(c)) {
      url.push_back(c);
    } else {
      const auto u = static_cast<unsigned char>(c);
      url.push_back('%');
      url.push_back(kHex[u >> 4U]);
      url.push_back(kHex[u & 0xFU]);
    }
  }
  return url;
}

ReaderStop StreamReader::run(std::optional<std::int64_t> after, const ReadyFn& on_ready,
                             const EventFn& on_event, const NoteFn& note) {
  const auto url = stream_url(options_.gateway_url, options_.source);
  const auto& name = options_.source;
  Backoff backoff(std::chrono::milliseconds(1000), options_.backoff_cap);
  bool ever_connected = false;
  for (;;) {
    schemes::HeaderList headers;
    headers.add("Authorization", "Bearer " + options_.token);
    if (after) headers.add("Last-Event-ID", std::to_string(*after));
    auto opened = net::SseStream::open(options_.sse, url, headers);
    std::string problem;
    std::optional<std::chrono::milliseconds> wait;
    if (!opened.stream) {
      const auto& r = opened.refusal;
      if (r.status == 401 || r.status == 403) {
        return {StopReason::refused, name + ": the gateway refused the token (HTTP " +
                                         std::to_string(r.status) + ")" + code_of(r)};
      }
      if (r.status == 404) {
        return {StopReason::unknown,
                name +
                    ": the gateway has no stream for this source (HTTP 404: unknown source, "
                    "or the source has no pull_token)"};
      }
      if (r.status == 400) {
        return {StopReason::protocol,
                name + ": the gateway refused the cursor (HTTP 400)" + code_of(r)};
      }
      if (r.status == 0 && !ever_connected) {
        return {StopReason::unreachable, name + ": cannot reach the gateway: " + r.error};
      }
      if (r.status != 0 && r.status != 429 && r.status < 500) {
        return {StopReason::unreachable,
                name + ": the gateway answered HTTP " + std::to_string(r.status) + code_of(r)};
      }
      problem = r.status != 0 ? "HTTP " + std::to_string(r.status) + code_of(r) : r.error;
      if (r.status == 503) wait = std::chrono::milliseconds(5000);
    } else {
      ever_connected = true;
      auto& stream = *opened.stream;
      bool ready = false;
      for (;;) {
        auto message = stream.next();
        if (!message) {
          if (message.error().find("exceeds") != std::string::npos) {
            return {StopReason::protocol,
                    name + ": " + message.error() + " (raise --max-event-bytes to read it)"};
          }
          problem = message.error();
          break;
        }
        if (!*message) {
          problem = "the gateway ended the stream";
          break;
        }
        const auto& m = **message;
        if (m.retry_ms && *m.retry_ms > 0) {
          backoff.set_initial(std::chrono::milliseconds(*m.retry_ms));
        }
        if (m.event == "ready") {
          std::int64_t resumed = after.value_or(0);
          boost::system::error_code ec;
          const auto data = boost::json::parse(m.data, ec);
          if (!ec && data.is_object()) {
            if (const auto* a = data.as_object().if_contains("after"); a && a->is_int64()) {
              resumed = a->as_int64();
            }
          }
          if (!after) after = resumed;
          if (!ready) {
            note(name + ": connected, resuming after seq " + std::to_string(*after));
            ready = true;
            backoff.reset();
          }
          if (on_ready) on_ready(resumed);
          continue;
        }
        if (m.event != "message") continue;
        auto event = decode_stream_event(m.data, options_.max_body_bytes);
        if (!event) return {StopReason::protocol, name + ": unreadable event: " + event.error()};
        // A gateway resends nothing at or before the cursor; should one arrive, it was handled.
        if (after && event->seq <= *after) continue;
        if (auto stop = on_event(*event)) return *stop;
        after = event->seq;
      }
    }
    const auto delay = wait.value_or(backoff.next());
    problem.insert(0, name + ": ");
    problem += "; reconnecting in ";
    problem += seconds(delay);
    note(problem);
    std::this_thread::sleep_for(delay);
  }
}

}  // namespace hookgate::relay
