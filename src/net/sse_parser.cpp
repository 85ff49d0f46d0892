// The text/event-stream decoder: line splitting and field interpretation, nothing else.
#include "hookgate/net/sse_parser.hpp"

namespace hookgate::net {

SseParser::SseParser(std::size_t max_line_bytes) : max_(max_line_bytes) {}

std::optional<std::string> SseParser::feed(std::string_view bytes, std::vector<SseMessage>& out) {
  if (failed_) return "the event stream failed earlier";
  std::size_t i = 0;
  if (!started_) {
    // The BOM may arrive split over several reads: decide once three bytes (or a mismatch) are in.
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    while (i < bytes.size() && line_.size() < kBom.size() && bytes[i] == kBom[line_.size()]) {
      line_.push_back(bytes[i++]);
    }
    if (line_.size() == kBom.size()) {
      line_.clear();
      started_ = true;
    } else if (i < bytes.size()) {
      started_ = true;  // not a BOM: what was held is the start of the first line
    }
  }
  while (i < bytes.size()) {
    const char c = bytes[i++];
    if (after_cr_) {
      after_cr_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      after_cr_ = c == '\r';
      line(line_, out);
      line_.clear();
      if (failed_) return "an event's data exceeds " + std::to_string(max_) + " bytes";
      continue;
    }
    if (line_.size() >= max_) {
      failed_ = true;
      return "a line of the event stream exceeds " + std::to_string(max_) + " bytes";
    }
    line_.push_back(c);
  }
  return std::nullopt;
}

void SseParser::line(std::string_view text, std::vector<SseMessage>& out) {
  if (text.empty()) {
    // Dispatch: a message without data is dropped (the event type resets either way).
    if (has_data_) {
      SseMessage m;
      if (!event_.empty()) m.event = event_;
      m.data = std::move(data_);
      m.last_event_id = last_id_;
      m.retry_ms = retry_;
      out.push_back(std::move(m));
    }
    data_.clear();
    event_.clear();
    retry_.reset();
    has_data_ = false;
    return;
  }
  if (text.front() == ':') {
    ++comments_;
    return;
  }
  std::string_view field = text;
  std::string_view value;
  if (const auto colon = text.find(':'); colon != std::string_view::npos) {
    field = text.substr(0, colon);
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (data_.size() + value.size() + 1 > max_) {
      failed_ = true;
      return;
    }
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_ = value;
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = value;
  } else if (field == "retry") {
    if (value.empty() || value.size() > 12 ||
        value.find_first_not_of("0123456789") != std::string_view::npos) {
      return;
    }
    retry_ = std::stoll(std::string(value));
  } else {
    ++comments_;
  }
}

}  // namespace hookgate::net
