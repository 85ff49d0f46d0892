// The outbox of a streaming response: framing and bounds, guarded by one mutex.
#include "net/stream_outbox.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

namespace hookgate::net {

namespace {

constexpr std::string_view kChunkEnd = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";

// Framing bytes go inline, merged with the previous piece when it is inline too (a chunk's end
// and the next one's size line make one piece, not two).
void append_small(std::vector<StreamOutbox::Segment>& out, std::string_view bytes) {
  if (bytes.empty()) return;
  if (out.empty() || out.back().bytes || out.back().size + bytes.size() > out.back().small.size()) {
    out.emplace_back();
  }
  auto& s = out.back();
  std::memcpy(s.small.data() + s.size, bytes.data(), bytes.size());
  s.size += bytes.size();
}

}  // namespace

StreamOutbox::StreamOutbox(std::size_t max_queued_bytes, bool chunked, std::function<void()> wake,
                           std::function<void()> overflow)
    : max_queued_(max_queued_bytes),
      chunked_(chunked),
      wake_(std::move(wake)),
      overflow_(std::move(overflow)) {}

bool StreamOutbox::write(std::string bytes) {
  return write_shared(std::make_shared<const std::string>(std::move(bytes)));
}

bool StreamOutbox::write_shared(std::shared_ptr<const std::string> bytes) {
  enum class Then { nothing, wake, cut };
  Then then = Then::nothing;
  {
    const std::lock_guard lock(m_);
    if (ended_ || closing_) return false;
    if (queued_ >= max_queued_) {
      // The consumer is too slow: its connection ends rather than the queue growing.
      ended_ = true;
      then = Then::cut;
    } else {
      // An empty chunk would be the last one: nothing to send is sent as nothing.
      if (!bytes || bytes->empty()) return true;
      Entry entry;
      if (chunked_) {
        auto* const start = entry.head.data();
        const auto [end, ec] =
            std::to_chars(start, start + entry.head.size() - kChunkEnd.size(), bytes->size(), 16);
        std::memcpy(end, kChunkEnd.data(), kChunkEnd.size());
        entry.head_size = static_cast<std::uint8_t>(end - start + kChunkEnd.size());
        queued_ += entry.head_size + kChunkEnd.size();
      }
      queued_ += bytes->size();
      entry.bytes = std::move(bytes);
      queue_.push_back(std::move(entry));
      if (!scheduled_) then = Then::wake;
      scheduled_ = true;
    }
  }
  if (then == Then::cut) {
    overflow_();
    return false;
  }
  if (then == Then::wake) wake_();
  return true;
}

std::size_t StreamOutbox::queued() const {
  const std::lock_guard lock(m_);
  return queued_;
}

void StreamOutbox::close() {
  bool wake = false;
  {
    const std::lock_guard lock(m_);
    if (ended_ || closing_) return;
    closing_ = true;
    wake = !scheduled_;
    scheduled_ = true;
  }
  if (wake) wake_();
}

bool StreamOutbox::take(std::vector<Segment>& out, std::size_t max, bool& finish) {
  out.clear();
  finish = false;
  std::size_t taken = 0;
  const std::lock_guard lock(m_);
  // Each entry gives at most three pieces (size line, bytes, chunk end), and the last chunk
  // one more: the loop stops while all of them still fit.
  while (!queue_.empty() && taken < max && out.size() + 4 <= kMaxSegments) {
    const auto& e = queue_.front();
    const std::size_t head = e.head_size;
    const std::size_t body = e.bytes->size();
    const std::size_t tail = chunked_ ? kChunkEnd.size() : 0;
    if (front_offset_ < head) {
      const auto n = std::min(head - front_offset_, max - taken);
      append_small(out, std::string_view(e.head.data() + front_offset_, n));
      front_offset_ += n;
      taken += n;
    }
    if (front_offset_ >= head && front_offset_ < head + body && taken < max) {
      const auto at = front_offset_ - head;
      const auto n = std::min(body - at, max - taken);
      auto& s = out.emplace_back();
      s.bytes = e.bytes;
      s.offset = at;
      s.size = n;
      front_offset_ += n;
      taken += n;
    }
    if (front_offset_ >= head + body && taken < max) {
      const auto at = front_offset_ - head - body;
      const auto n = std::min(tail - at, max - taken);
      append_small(out, kChunkEnd.substr(at, n));
      front_offset_ += n;
      taken += n;
    }
    if (front_offset_ == head + body + tail) {
      queue_.pop_front();
      front_offset_ = 0;
    }
  }
  if (queue_.empty() && closing_ && !finished_ && taken < max) {
    if (chunked_) append_small(out, kLastChunk);
    finished_ = true;
    finish = true;
  }
  if (out.empty() && !finish) {
    scheduled_ = false;
    return false;
  }
  return true;
}

void StreamOutbox::sent(std::size_t n) {
  const std::lock_guard lock(m_);
  queued_ -= std::min(n, queued_);
}

bool StreamOutbox::idle() const {
  const std::lock_guard lock(m_);
  return queued_ == 0 && !scheduled_ && !closing_ && !ended_;
}

void StreamOutbox::end() {
  const std::lock_guard lock(m_);
  ended_ = true;
  queue_.clear();
  front_offset_ = 0;
  queued_ = 0;
}

bool StreamOutbox::ended() const {
  const std::lock_guard lock(m_);
  return ended_;
}

}  // namespace hookgate::net
