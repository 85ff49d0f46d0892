// A text/event-stream client over a loopback socket for the stream tests: sends one GET, then
// decodes the chunked body and the SSE messages as they arrive, with bounded waits. It can also
// hold a stream open without reading a byte (a consumer that stopped).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hookgate::e2e {

struct SseMessage {
  std::string id;     // empty: none
  std::string event;  // empty: "message"
  std::string data;
  std::string retry;
};

class SseClient {
 public:
  // receive_buffer > 0 sets SO_RCVBUF before connecting (a small window fills sooner).
  SseClient(int port, const std::string& target,
            const std::vector<std::pair<std::string, std::string>>& headers,
            int receive_buffer = 0);
  ~SseClient();
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  // The status line's code once the head is in (0: none within limit).
  int status(std::chrono::seconds limit = std::chrono::seconds(20));
  const std::map<std::string, std::string>& headers() const { return headers_; }
  // The whole body of a response that is not a stream (read until the close).
  std::string body(std::chrono::seconds limit = std::chrono::seconds(20));
  // The next message (comments skipped and counted); nullopt when none came within limit or the
  // stream ended.
  std::optional<SseMessage> next(std::chrono::seconds limit = std::chrono::seconds(20));
  // True once the server closed the connection within limit; clean() says whether the chunked
  // body ended with its last chunk first.
  bool ended(std::chrono::seconds limit = std::chrono::seconds(20));
  bool clean() const { return last_chunk_; }
  int comments() const { return comments_; }

 private:
  bool read_some(std::chrono::steady_clock::time_point deadline);
  void decode();

  int fd_ = -1;
  bool closed_ = false;
  bool head_done_ = false;
  bool chunked_ = false;
  bool last_chunk_ = false;
  int status_ = 0;
  int comments_ = 0;
  std::map<std::string, std::string> headers_;
  std::string raw_;      // bytes after the head not yet decoded
  std::string decoded_;  // body bytes not yet parsed into messages
};

}  // namespace hookgate::e2e
