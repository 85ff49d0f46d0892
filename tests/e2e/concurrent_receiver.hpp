// ConcurrentReceiver: an HTTP/1.1 receiver on 127.0.0.1 for the delivery engine's end-to-end
// tests, standing in for many customers' endpoints at once: every connection is served
// concurrently (keep-alive honoured) on one event-loop thread, and the handler decides per
// request whether to answer at once, after a delay (a slow endpoint), or never until released
// (a hanging one). Each request is kept with the time it arrived.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace hookgate::e2e {

struct Hit {
  std::string target;  // request path and query
  std::string body;
  std::chrono::steady_clock::time_point at;
};

struct Reply {
  int status = 200;
  std::chrono::milliseconds delay{0};
  bool hold = false;  // no answer until release_held() (or the receiver stops)
};

class ConcurrentReceiver {
 public:
  using Handler = std::function<Reply(const Hit&)>;
  explicit ConcurrentReceiver(Handler handler);
  ~ConcurrentReceiver();
  ConcurrentReceiver(const ConcurrentReceiver&) = delete;
  ConcurrentReceiver& operator=(const ConcurrentReceiver&) = delete;

  int port() const;
  std::vector<Hit> hits() const;
  std::size_t held() const;         // requests waiting for release_held() now
  std::size_t connections() const;  // connections accepted so far
  // Answers every held request with status.
  void release_held(int status);

  struct Impl;  // the loop and what it serves; named here so its sessions can reach it

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace hookgate::e2e
