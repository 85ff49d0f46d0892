// The stream tests' event-stream client: a socket, a chunked decoder and an SSE parser.
#include "sse_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace hookgate::e2e {

SseClient::SseClient(int port, const std::string& target,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     int receive_buffer) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  if (receive_buffer > 0)
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    closed_ = true;
    return;
  }
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers)
    request += k + ": " + v + "\r\n";
  request += "Accept: text/event-stream\r\nConnection: close\r\n\r\n";
  if (send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    closed_ = true;
  }
}

SseClient::~SseClient() {
  if (fd_ >= 0) close(fd_);
}

bool SseClient::read_some(std::chrono::steady_clock::time_point deadline) {
  if (closed_) return false;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) return false;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), 200))) <= 0) return true;
  char buf[65536];
  const auto n = recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  raw_.append(buf, static_cast<std::size_t>(n));
  decode();
  return true;
}

void SseClient::decode() {
  if (!head_done_) {
    const auto end = raw_.find("\r\n\r\n");
    if (end == std::string::npos) return;
    const std::string head = raw_.substr(0, end);
    raw_.erase(0, end + 4);
    head_done_ = true;
    if (head.starts_with("HTTP/1.1 ")) status_ = std::stoi(head.substr(9, 3));
    std::size_t at = head.find("\r\n");
    while (at != std::string::npos) {
      const auto next = head.find("\r\n", at + 2);
      const auto line =
          head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        headers_[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      at = next;
    }
    chunked_ = headers_["transfer-encoding"] == "chunked";
  }
  if (!chunked_) {
    decoded_ += raw_;
    raw_.clear();
    return;
  }
  while (!last_chunk_) {
    const auto line_end = raw_.find("\r\n");
    if (line_end == std::string::npos) return;
    const auto size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
    if (raw_.size() < line_end + 2 + size + 2) return;
    decoded_ += raw_.substr(line_end + 2, size);
    raw_.erase(0, line_end + 2 + size + 2);
    if (size == 0) last_chunk_ = true;
  }
}

int SseClient::status(std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!head_done_ && read_some(deadline)) {
  }
  return status_;
}

std::string SseClient::body(std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (read_some(deadline)) {
  }
  return decoded_;
}

std::optional<SseMessage> SseClient::next(std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto end = decoded_.find("\n\n");
    if (end != std::string::npos) {
      const std::string block = decoded_.substr(0, end + 1);
      decoded_.erase(0, end + 2);
      SseMessage m;
      bool any = false;
      std::size_t at = 0;
      while (at < block.size()) {
        const auto nl = block.find('\n', at);
        const auto line = block.substr(at, nl - at);
        at = nl + 1;
        if (line.starts_with(":")) continue;
        const auto colon = line.find(':');
        const auto field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (value.starts_with(" ")) value.erase(0, 1);
        any = true;
        if (field == "id") m.id = value;
        if (field == "event") m.event = value;
        if (field == "data") m.data += value;
        if (field == "retry") m.retry = value;
      }
      if (any) return m;
      ++comments_;
      continue;
    }
    if (!read_some(deadline)) return std::nullopt;
  }
}

bool SseClient::ended(std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (read_some(deadline)) {
  }
  return closed_;
}

}  // namespace hookgate::e2e
