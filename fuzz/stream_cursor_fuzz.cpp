// Fuzzes what a stream request and a stored event bring into an event stream: the cursor
// (Last-Event-ID / ?after=) must accept only canonical seqs, which print back as the same text,
// and the envelope built from any header JSON and body must be one line of JSON.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/stream_cursor.hpp"
#include "api/stream_envelope.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto seq = hookgate::api::parse_seq(text)) {
    if (*seq < 0 || std::to_string(*seq) != text) std::abort();
  }
  const auto cursor = hookgate::api::stream_cursor(text, text);
  if (cursor && !text.empty() && cursor->after != hookgate::api::parse_seq(text)) std::abort();
  // The first half as the stored header JSON, the rest as the body.
  hookgate::store::Event event;
  event.seq = 1;
  event.headers = std::string(text.substr(0, size / 2));
  event.body = std::string(text.substr(size / 2));
  const auto sse = hookgate::api::sse_event(event);
  const auto line = std::string_view(sse).substr(13, sse.size() - 15);
  if (!sse.starts_with("id: 1\ndata: ") || line.find_first_of("\r\n") != std::string_view::npos)
    std::abort();
  return 0;
}
