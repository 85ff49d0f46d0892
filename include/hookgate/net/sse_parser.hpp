// SseParser: the incremental text/event-stream decoder (WHATWG HTML, "Server-sent events",
// interpreting an event stream) that `hookgate listen` and `hookgate tail` read a gateway's
// stream with. Bytes go in as they arrive, split anywhere; complete messages come out. Lines end
// with CRLF, LF or CR; a leading UTF-8 BOM is skipped; "data" lines join with LF; "id" persists
// across messages (an id holding NUL is ignored); "retry" takes digits only; comments (": ping")
// and unknown fields are counted, not kept. Bounded: a line or a message's data longer than the
// limit is an error and the parser stays failed (the connection is to be dropped).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookgate::net {

struct SseMessage {
  std::string event = "message";  // the "event" field, "message" when absent
  std::string data;
  std::string last_event_id;             // the id in force when the message was dispatched
  std::optional<std::int64_t> retry_ms;  // a "retry" field seen since the previous message
};

class SseParser {
 public:
  explicit SseParser(std::size_t max_line_bytes);

  // Decodes bytes, appending every message they complete to out. Returns an error message (and
  // stays failed) when a line or a message's data exceeds the limit.
  std::optional<std::string> feed(std::string_view bytes, std::vector<SseMessage>& out);

  std::size_t comments() const { return comments_; }
  bool failed() const { return failed_; }

 private:
  void line(std::string_view text, std::vector<SseMessage>& out);

  std::size_t max_;
  std::string line_;
  std::string data_;
  std::string event_;
  std::string last_id_;
  std::optional<std::int64_t> retry_;
  bool has_data_ = false;
  bool after_cr_ = false;  // the previous byte was CR: an LF now belongs to it
  bool started_ = false;   // the BOM check is done
  bool failed_ = false;
  std::size_t comments_ = 0;
};

}  // namespace hookgate::net
