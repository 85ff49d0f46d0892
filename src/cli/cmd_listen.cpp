// `hookgate listen`: reads a gateway's event streams and forwards each event to a local server
// with its original headers and exact bytes (or re-signed), keeping a cursor per gateway and
// source so a restart resumes where it stopped. `--replay SEQ` re-sends one stored event.
#include <chrono>
#include <iostream>

#include "hookgate/config/secret_source.hpp"
#include "hookgate/net/http_client.hpp"
#include "hookgate/relay/cursor_file.hpp"
#include "hookgate/relay/event_line.hpp"
#include "hookgate/relay/forwarder.hpp"
#include "hookgate/relay/stream_reader.hpp"
#include "hookgate/relay/terminal_text.hpp"
#include "stream_common.hpp"

namespace hookgate::cli {

namespace {

void report(const ListenOptions& o, const relay::StreamEvent& event,
            const relay::ForwardOutcome& outcome) {
  if (o.quiet) return;
  print_out(o.json ? relay::event_line_json(now_ms(), event, outcome)
                   : relay::event_line_text(now_ms(), event, outcome));
}

std::string seconds(std::chrono::milliseconds ms) {
  const auto tenths = (ms.count() + 50) / 100;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
}

// --replay: the one event read through the pull API (an exact answer: there or not), sent once
// with a few attempts.
int replay(const ListenOptions& o, const ResolvedStream& stream, const relay::Forwarder& forwarder,
           std::int64_t seq) {
  const auto& source = o.stream.sources.front();
  net::HttpClientOptions client_options;
  auto everywhere = net::OutboundPolicy::make({"0.0.0.0/0", "::/0"}, false);
  if (!everywhere) return usage_error(everywhere.error());
  client_options.policy = std::move(*everywhere);
  client_options.ca_file = o.stream.ca_file;
  client_options.max_response_body_bytes = o.stream.max_event_bytes * 2 + (64U << 10);
  auto client = net::HttpClient::create(client_options);
  if (!client) return usage_error(client.error());
  net::OutboundRequest request;
  request.method = "GET";
  auto url = relay::stream_url(stream.url, source);
  url.replace(url.rfind("/stream/"), 8, "/pull/");
  request.url = url + "?after=" + std::to_string(seq > 0 ? seq - 1 : 0) + "&limit=1";
  request.headers.add("Authorization", "Bearer " + stream.token);
  auto response = client->post(request);
  if (!response) {
    print_err("hookgate: " + source + ": cannot reach the gateway: " + response.error());
    return kExitUnreachable;
  }
  if (response->status == 401 || response->status == 403) {
    print_err("hookgate: " + source + ": the gateway refused the token (HTTP " +
              std::to_string(response->status) + ")");
    return kExitRefused;
  }
  if (response->status == 404) {
    print_err("hookgate: " + source +
              ": the gateway has no such source (HTTP 404: unknown source, or no pull_token)");
    return kExitUnknownSource;
  }
  if (response->status != 200 || response->body_truncated) {
    print_err("hookgate: " + source + ": the gateway answered HTTP " +
              std::to_string(response->status) +
              (response->body_truncated ? " with more than --max-event-bytes" : ""));
    return kExitProtocol;
  }
  auto events = relay::decode_pull_page(response->body, source, o.stream.max_event_bytes);
  if (!events) {
    print_err("hookgate: " + source + ": " + events.error());
    return kExitProtocol;
  }
  if (events->empty() || events->front().seq != seq) {
    print_err("hookgate: " + source + ": no event " + std::to_string(seq) +
              " (never accepted, or removed by retention)");
    return kExitInvalid;
  }
  const auto outcome = forwarder.deliver(events->front(), nullptr);
  report(o, events->front(), outcome);
  if (!outcome.accepted) {
    if (o.quiet) {
      print_err("hookgate: " + source + ": the local server did not accept event " +
                std::to_string(seq));
    }
    return kExitInvalid;
  }
  return kExitOk;
}

relay::ReaderStop listen_source(const ListenOptions& o, const ResolvedStream& stream,
                                const relay::Forwarder& forwarder,
                                const std::filesystem::path& state_dir, const std::string& source) {
  const relay::CursorFile cursor(relay::cursor_path(state_dir, stream.url, source));
  std::optional<std::int64_t> after;
  bool saved = false;  // the file holds a cursor (loaded, or written by this run)
  if (stream.from_given) {
    after = stream.from_after;
  } else {
    auto loaded = cursor.load();
    if (!loaded) return {relay::StopReason::protocol, source + ": " + loaded.error()};
    after = *loaded;
    saved = loaded->has_value();
  }
  std::optional<relay::ReaderStop> failed;
  const auto save = [&](std::int64_t seq) -> std::optional<relay::ReaderStop> {
    auto done = cursor.save(seq);
    if (!done) return relay::ReaderStop{relay::StopReason::protocol, source + ": " + done.error()};
    saved = true;
    return std::nullopt;
  };
  const auto note = [&](const std::string& text) {
    if (!o.quiet) print_err("hookgate: " + relay::terminal_safe(text));
  };
  relay::StreamReader reader(reader_options(stream, o.stream, source));
  return reader.run(
      after,
      [&](std::int64_t resumed) {
        // Started from the head ("now"): remember it, so a restart before the first event
        // still resumes there instead of at the head of that later moment.
        if (!saved && !failed) failed = save(resumed);
      },
      [&](const relay::StreamEvent& event) -> std::optional<relay::ReaderStop> {
        if (failed) return failed;
        if (!wanted_event(o.stream, event.event_type)) {
          report(o, event, relay::ForwardOutcome{});
          return save(event.seq);
        }
        const auto outcome = forwarder.deliver(
            event, [&](const relay::ForwardOutcome& attempt, std::chrono::milliseconds wait) {
              note(source + " #" + std::to_string(event.seq) + ": local server " +
                   (attempt.status != 0 ? "answered " + std::to_string(attempt.status)
                                        : attempt.error) +
                   "; retrying in " + seconds(wait));
            });
        report(o, event, outcome);
        // The cursor moves only past what the local server accepted (at-least-once); an event
        // it refused is not retried in this run, and is sent again after a restart.
        if (outcome.accepted) return save(event.seq);
        return std::nullopt;
      },
      note);
}

}  // namespace

int run_listen(const ListenOptions& o) {
  auto stream = resolve_stream(o.stream);
  if (!stream) return usage_error(stream.error());
  if (o.quiet && o.json) return usage_error("--quiet and --json exclude each other");
  relay::ForwardOptions forward;
  forward.target_url = o.forward_to;
  forward.ca_file = o.stream.ca_file;
  if (!o.sign.empty()) {
    auto secret = config::resolve_secret(o.sign, ".");
    if (!secret) return usage_error("--sign: " + secret.error());
    forward.sign_secret = *secret;
  }
  if (!o.replay.empty()) {
    if (o.stream.sources.size() != 1) return usage_error("--replay takes exactly one --source");
    if (o.replay.empty() || o.replay.size() > 18 ||
        o.replay.find_first_not_of("0123456789") != std::string::npos || o.replay == "0") {
      return usage_error("--replay expects a seq (a positive whole number)");
    }
    forward.max_attempts = 3;
  }
  auto forwarder = relay::Forwarder::create(forward);
  if (!forwarder) return usage_error(forwarder.error());
  if (!o.replay.empty()) return replay(o, *stream, *forwarder, std::stoll(o.replay));

  auto state_dir = relay::state_directory();
  if (!state_dir) return usage_error(state_dir.error());
  return run_per_source(o.stream.sources.size(), [&](std::size_t i) {
    return listen_source(o, *stream, *forwarder, *state_dir, o.stream.sources[i]);
  });
}

}  // namespace hookgate::cli
