// StreamOutbox: the queue between the writers of a streaming response (any thread) and its
// connection (one network thread): chunk framing, the bound on unsent bytes, and the hand-over
// of what to write next, so the connection code only moves bytes.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "hookgate/net/http_server.hpp"

namespace hookgate::net {

class StreamOutbox : public StreamWriter {
 public:
  // wake: called (no lock held) when bytes or the close wait and the connection is not already
  // writing; it must hand a flush to the connection's thread. overflow: called once when a write
  // finds the queue at its bound; it must end the connection. Neither may throw.
  StreamOutbox(std::size_t max_queued_bytes, bool chunked, std::function<void()> wake,
               std::function<void()> overflow);

  bool write(std::string bytes) override;
  std::size_t queued() const override;
  void close() override;

  // The connection's side. take() moves up to max bytes into out; finish is set when these are
  // the last ones (the final chunk included) and the connection closes after writing them.
  // False when nothing waits: the connection stops writing until the next wake.
  bool take(std::string& out, std::size_t max, bool& finish);
  // The bytes of the last take() are on the socket.
  void sent(std::size_t n);
  // Nothing waits and nothing is being written (the heartbeat writes only then).
  bool idle() const;
  // The connection is over: later writes are refused.
  void end();
  bool ended() const;

 private:
  const std::size_t max_queued_;
  const bool chunked_;
  const std::function<void()> wake_;
  const std::function<void()> overflow_;
  mutable std::mutex m_;
  std::deque<std::string> queue_;
  std::size_t front_offset_ = 0;  // bytes of queue_.front() already taken
  std::size_t queued_ = 0;        // framed bytes in queue_ and in the connection's hands
  bool scheduled_ = false;        // the connection is writing or has a flush coming
  bool closing_ = false;
  bool finished_ = false;  // the final chunk was taken
  bool ended_ = false;
};

}  // namespace hookgate::net
