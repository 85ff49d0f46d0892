// `hookgate tail`: the inspector in a terminal. Prints each event of a gateway's stream(s) as it
// arrives: received time, source, seq, event type, verdict, the kept headers and the body
// (pretty JSON, text, or a hex excerpt), every byte from the network escaped for the terminal.
// Keeps no cursor: it starts at the head (or --from) and resumes in memory across reconnections.
#include "hookgate/relay/event_line.hpp"
#include "hookgate/relay/stream_reader.hpp"
#include "hookgate/relay/terminal_text.hpp"
#include "stream_common.hpp"

namespace hookgate::cli {

namespace {

std::string format_event(const TailOptions& o, const relay::StreamEvent& e) {
  std::string out = "== " + relay::utc_time(e.received_ms) + "  " + relay::terminal_safe(e.source) +
                    "  #" + std::to_string(e.seq) + "  " +
                    relay::terminal_safe(e.event_type.empty() ? "-" : e.event_type) + "  " +
                    relay::terminal_safe(e.verdict.empty() ? "-" : e.verdict) + "  " +
                    std::to_string(e.body.size()) + " bytes\n";
  for (const auto& [name, value] : e.headers.items()) {
    out += relay::terminal_safe(name) + ": " + relay::terminal_safe(value) + "\n";
  }
  out += "\n" + relay::terminal_safe(relay::describe_body(e.body, o.body_bytes), true) + "\n";
  return out;
}

}  // namespace

int run_tail(const TailOptions& o) {
  auto stream = resolve_stream(o.stream);
  if (!stream) return usage_error(stream.error());
  return run_per_source(o.stream.sources.size(), [&](std::size_t i) {
    const auto& source = o.stream.sources[i];
    relay::StreamReader reader(reader_options(*stream, o.stream, source));
    return reader.run(
        stream->from_after, nullptr,
        [&](const relay::StreamEvent& event) -> std::optional<relay::ReaderStop> {
          if (wanted_event(o.stream, event.event_type)) print_out(format_event(o, event));
          return std::nullopt;
        },
        [](const std::string& text) { print_err("hookgate: " + relay::terminal_safe(text)); });
  });
}

}  // namespace hookgate::cli
