// A raw-bytes HTTP client for the server tests: writes exactly the bytes given (malformed framing
// included) and reads until the server closes or a deadline passes, so a test can tell "answered
// and closed" from "answered and kept open" without relying on tight timings.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace hookgate::net::testing {

struct RawExchange {
  std::string received;
  bool closed = false;     // the server ended the connection (EOF or reset) before the deadline
  bool connected = false;  // false: the connect itself failed
};

// A connected TCP socket to host:port (IPv4 or IPv6 literal), optionally bound first to a local
// IPv4 address such as 127.0.0.2 so a test can act as several peers. -1 on failure.
inline int raw_connect(const std::string& host, std::uint16_t port, const char* local = nullptr) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = AF_INET;
  if (host.find(':') != std::string::npos) {
    family = AF_INET6;
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    if (inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1) return -1;
    len = sizeof(sockaddr_in6);
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) return -1;
    len = sizeof(sockaddr_in);
  }
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (local != nullptr) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    inet_pton(AF_INET, local, &from.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
      ::close(fd);
      return -1;
    }
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool raw_send(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads until EOF, reset or the deadline; appends to out. True when the peer closed.
inline bool raw_read_until_closed(int fd, std::string& out, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno != EINTR && errno != EAGAIN;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// Sends bytes on a fresh connection and reads until the server closes (or limit passes).
inline RawExchange raw_exchange(std::uint16_t port, std::string_view bytes,
                                std::chrono::milliseconds limit = std::chrono::seconds(10),
                                const std::string& host = "127.0.0.1") {
  RawExchange ex;
  const int fd = raw_connect(host, port);
  if (fd < 0) return ex;
  ex.connected = true;
  raw_send(fd, bytes);
  ex.closed = raw_read_until_closed(fd, ex.received, limit);
  ::close(fd);
  return ex;
}

// How many complete HTTP responses a byte stream holds, each framed by its Content-Length (the
// server always sends one, or none for bodyless statuses).
inline int count_responses(std::string_view received) {
  int n = 0;
  while (received.starts_with("HTTP/1.1 ")) {
    const auto end = received.find("\r\n\r\n");
    if (end == std::string_view::npos) break;
    const auto head = received.substr(0, end + 2);
    std::size_t length = 0;
    const auto cl = head.find("\r\nContent-Length: ");
    if (cl != std::string_view::npos) {
      for (auto i = cl + 18; i < head.size() && head[i] >= '0' && head[i] <= '9'; ++i) {
        length = length * 10 + static_cast<std::size_t>(head[i] - '0');
      }
    }
    if (received.size() < end + 4 + length) break;
    ++n;
    received.remove_prefix(end + 4 + length);
  }
  return n;
}

}  // namespace hookgate::net::testing
