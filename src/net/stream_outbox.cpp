// The outbox of a streaming response: framing and bounds, guarded by one mutex.
#include "net/stream_outbox.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace hookgate::net {

StreamOutbox::StreamOutbox(std::size_t max_queued_bytes, bool chunked, std::function<void()> wake,
                           std::function<void()> overflow)
    : max_queued_(max_queued_bytes),
      chunked_(chunked),
      wake_(std::move(wake)),
      overflow_(std::move(overflow)) {}

bool StreamOutbox::write(std::string bytes) {
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
      if (bytes.empty()) return true;
      if (chunked_) {
        std::array<char, 20> size{};
        const auto [end, ec] =
            std::to_chars(size.data(), size.data() + size.size(), bytes.size(), 16);
        std::string framed;
        framed.reserve(static_cast<std::size_t>(end - size.data()) + bytes.size() + 4);
        framed.append(size.data(), end);
        framed += "\r\n";
        framed += bytes;
        framed += "\r\n";
        bytes = std::move(framed);
      }
      queued_ += bytes.size();
      queue_.push_back(std::move(bytes));
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

bool StreamOutbox::take(std::string& out, std::size_t max, bool& finish) {
  out.clear();
  finish = false;
  const std::lock_guard lock(m_);
  while (!queue_.empty() && out.size() < max) {
    auto& front = queue_.front();
    const auto n = std::min(front.size() - front_offset_, max - out.size());
    out.append(front, front_offset_, n);
    front_offset_ += n;
    if (front_offset_ == front.size()) {
      queue_.pop_front();
      front_offset_ = 0;
    }
  }
  if (queue_.empty() && closing_ && !finished_ && out.size() < max) {
    if (chunked_) out += "0\r\n\r\n";
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
