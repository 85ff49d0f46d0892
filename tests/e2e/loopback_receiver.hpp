// LoopbackReceiver: a small HTTP/1.1 server on 127.0.0.1 for end-to-end tests, standing in for
// the services Hookgate forwards to (and for a provider's API). One connection at a time, one
// request per connection; the handler decides each answer. Stops with the object.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hookgate::e2e {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;
};

struct ReceiverAnswer {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class LoopbackReceiver {
 public:
  using Handler = std::function<ReceiverAnswer(const ReceivedRequest&)>;
  explicit LoopbackReceiver(Handler handler);
  ~LoopbackReceiver();
  LoopbackReceiver(const LoopbackReceiver&) = delete;
  LoopbackReceiver& operator=(const LoopbackReceiver&) = delete;

  int port() const { return port_; }
  std::vector<ReceivedRequest> received() const;

 private:
  void serve();
  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex m_;
  std::vector<ReceivedRequest> received_;
  std::thread thread_;
};

}  // namespace hookgate::e2e
