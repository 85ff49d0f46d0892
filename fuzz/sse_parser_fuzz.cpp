// Fuzzes what `hookgate listen` and `tail` read from a gateway: the text/event-stream decoder
// (fed in two pieces split anywhere, which must decode the same as one piece, and never keep
// more than its bound), the envelope decoder run on every message's data (a decoded event holds
// only forwardable headers and a bounded body), and the terminal escaping of that data (no
// control byte survives).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/net/sse_parser.hpp"
#include "hookgate/relay/stream_event.hpp"
#include "hookgate/relay/terminal_text.hpp"

namespace {

constexpr std::size_t kMax = 4096;

std::vector<hookgate::net::SseMessage> decode(std::string_view a, std::string_view b,
                                              bool& failed) {
  hookgate::net::SseParser p(kMax);
  std::vector<hookgate::net::SseMessage> out;
  failed = p.feed(a, out).has_value();
  if (!failed) failed = p.feed(b, out).has_value();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);
  bool failed_whole = false;
  bool failed_split = false;
  const auto whole = decode(text, {}, failed_whole);
  const auto pieces = decode(text.substr(0, split), text.substr(split), failed_split);
  if (failed_whole != failed_split || whole.size() != pieces.size()) std::abort();
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (whole[i].data != pieces[i].data || whole[i].event != pieces[i].event ||
        whole[i].last_event_id != pieces[i].last_event_id || whole[i].data.size() > kMax) {
      std::abort();
    }
    const auto event = hookgate::relay::decode_stream_event(whole[i].data, 1024);
    if (event) {
      if (event->body.size() > 1024 || event->seq < 0) std::abort();
      for (const auto& [name, value] : event->headers.items()) {
        if (!hookgate::relay::forwardable_header(name, value)) std::abort();
      }
    }
    for (const char c : hookgate::relay::terminal_safe(whole[i].data)) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) std::abort();
    }
  }
  return 0;
}
