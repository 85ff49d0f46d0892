// StreamOutbox: the queue between the writers of a streaming response (any thread) and its
// connection (one network thread): chunk framing, the bound on unsent bytes, and the hand-over
// of what to write next, so the connection code only moves bytes. Queued bytes are held by
// reference (a batch written to a hundred streams is one buffer, not a hundred copies) and
// handed to the connection as pieces for one gathering write.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "hookgate/net/http_server.hpp"

namespace hookgate::net {

class StreamOutbox : public StreamWriter {
 public:
  // One piece of a write: a range of a queued message (shared with whoever else queued it,
  // never copied), or a few bytes of chunk framing held inline.
  struct Segment {
    std::shared_ptr<const std::string> bytes;  // null: the bytes are small's first size
    std::size_t offset = 0;
    std::size_t size = 0;
    std::array<char, 24> small{};
    const char* data() const { return bytes ? bytes->data() + offset : small.data(); }
  };
  // The most pieces one take() hands over: one gathering write (writev) takes them all.
  static constexpr std::size_t kMaxSegments = 64;

  // wake: called (no lock held) when bytes or the close wait and the connection is not already
  // writing; it must hand a flush to the connection's thread. overflow: called once when a write
  // finds the queue at its bound; it must end the connection. Neither may throw.
  StreamOutbox(std::size_t max_queued_bytes, bool chunked, std::function<void()> wake,
               std::function<void()> overflow);

  bool write(std::string bytes) override;
  bool write_shared(std::shared_ptr<const std::string> bytes) override;
  std::size_t queued() const override;
  void close() override;

  // The connection's side. take() hands over the pieces of up to max bytes (at most
  // kMaxSegments of them); finish is set when these are the last ones (the final chunk
  // included) and the connection closes after writing them. False when nothing waits: the
  // connection stops writing until the next wake.
  bool take(std::vector<Segment>& out, std::size_t max, bool& finish);
  // The bytes of the last take() are on the socket.
  void sent(std::size_t n);
  // Nothing waits and nothing is being written (the heartbeat writes only then).
  bool idle() const;
  // The connection is over: later writes are refused, and the queued messages are let go.
  void end();
  bool ended() const;

 private:
  struct Entry {
    std::shared_ptr<const std::string> bytes;  // never empty
    std::array<char, 18> head{};               // the chunk's size line, "<hex>\r\n"
    std::uint8_t head_size = 0;                // 0 when not chunked
  };

  const std::size_t max_queued_;
  const bool chunked_;
  const std::function<void()> wake_;
  const std::function<void()> overflow_;
  mutable std::mutex m_;
  std::deque<Entry> queue_;
  std::size_t front_offset_ = 0;  // framed bytes of queue_.front() already taken
  std::size_t queued_ = 0;        // framed bytes in queue_ and in the connection's hands
  bool scheduled_ = false;        // the connection is writing or has a flush coming
  bool closing_ = false;
  bool finished_ = false;  // the final chunk was taken
  bool ended_ = false;
};

}  // namespace hookgate::net
