// The loopback stand-in server: poll-driven accept so the destructor can stop it promptly.
#include "loopback_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "wait.hpp"

namespace hookgate::e2e {

namespace {

// Reads one request (headers, then Content-Length bytes); false on a broken or slow client.
bool read_request(int fd, ReceivedRequest& out) {
  std::string data;
  char buf[16384];
  std::size_t header_end = std::string::npos;
  std::size_t length = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (header_end != std::string::npos && data.size() >= header_end + 4 + length) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    const auto n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    data.append(buf, static_cast<std::size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      const auto first = data.find("\r\n");
      const auto line = data.substr(0, first);
      const auto sp1 = line.find(' ');
      const auto sp2 = line.find(' ', sp1 + 1);
      out.method = line.substr(0, sp1);
      out.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      std::size_t pos = first + 2;
      while (pos < header_end) {
        const auto eol = data.find("\r\n", pos);
        const auto h = data.substr(pos, eol - pos);
        const auto colon = h.find(':');
        if (colon != std::string::npos) {
          std::string name = h.substr(0, colon);
          std::transform(name.begin(), name.end(), name.begin(), ::tolower);
          const auto start = h.find_first_not_of(' ', colon + 1);
          out.headers[name] = start == std::string::npos ? "" : h.substr(start);
        }
        pos = eol + 2;
      }
      if (const auto it = out.headers.find("content-length"); it != out.headers.end()) {
        length = std::stoul(it->second);
      }
    }
  }
  if (header_end == std::string::npos || data.size() < header_end + 4 + length) return false;
  out.body = data.substr(header_end + 4, length);
  return true;
}

const char* reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 410:
      return "Gone";
    default:
      return "Status";
  }
}

}  // namespace

LoopbackReceiver::LoopbackReceiver(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 64) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(listen_fd_);
    listen_fd_ = -1;
    return;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

LoopbackReceiver::~LoopbackReceiver() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

std::vector<ReceivedRequest> LoopbackReceiver::received() const {
  const std::lock_guard lock(m_);
  return received_;
}

void LoopbackReceiver::serve() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ReceivedRequest request;
    if (read_request(fd, request)) {
      {
        const std::lock_guard lock(m_);
        received_.push_back(request);
      }
      const ReceiverAnswer answer = handler_(request);
      std::string text = "HTTP/1.1 " + std::to_string(answer.status) + " " + reason(answer.status) +
                         "\r\nConnection: close\r\n";
      for (const auto& [k, v] : answer.headers)
        text += k + ": " + v + "\r\n";
      text += "Content-Length: " + std::to_string(answer.body.size()) + "\r\n\r\n" + answer.body;
      std::size_t sent = 0;
      while (sent < text.size()) {
        const auto n = send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
      }
    }
    close(fd);
  }
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  close(fd);
  return ok ? ntohs(addr.sin_port) : 0;
}

}  // namespace hookgate::e2e
