// HttpServer against clients that hold connections: a request head trickled on a kept-alive
// connection is cut at the header timeout (not the idle timeout), a trickled body at the body
// timeout counted from the head, and one peer address cannot take more than its share of the
// connections. Real loopback sockets; every wait is bounded and far from the limit it checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "hookgate/net/http_server.hpp"
#include "raw_client.hpp"

namespace hookgate::net {
namespace {

using namespace std::chrono_literals;
using testing::raw_connect;
using testing::raw_read_until_closed;
using testing::raw_send;

class PathHandler : public HttpHandler {
 public:
  std::size_t body_limit(std::string_view, std::string_view) const override { return 1 << 20; }
  void handle(HttpRequest req, Responder respond) override {
    {
      const std::lock_guard lock(m_);
      seen_.push_back(req.path);
    }
    HttpResponse res;
    res.body = req.path + " from " + (req.peer ? req.peer->to_string() : "?");
    respond(std::move(res));
  }
  std::vector<std::string> seen() {
    const std::lock_guard lock(m_);
    return seen_;
  }

 private:
  std::mutex m_;
  std::vector<std::string> seen_;
};

// Reads one response of a kept-alive connection: up to its body (Content-Length), bounded.
std::string read_response(int fd, std::chrono::milliseconds limit = 10s) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    const auto end = out.find("\r\n\r\n");
    if (end != std::string::npos) {
      const auto cl = out.find("Content-Length: ");
      if (cl != std::string::npos && cl < end &&
          out.size() >= end + 4 + std::stoul(out.substr(cl + 16))) {
        return out;
      }
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// True when the server has closed fd (EOF or reset) within limit.
bool closed_within(int fd, std::chrono::milliseconds limit) {
  std::string ignored;
  return raw_read_until_closed(fd, ignored, limit);
}

class HttpSlowClient : public ::testing::Test {
 protected:
  void start(config::Limits limits) {
    config::Listener l;
    l.address = "127.0.0.1";
    l.port = 0;
    server_ = std::make_unique<HttpServer>(std::vector<config::Listener>{l}, limits, handler_);
    auto started = server_->start();
    ASSERT_TRUE(started) << started.error();
    port_ = server_->ports().front();
  }
  void TearDown() override {
    if (server_) server_->stop(100ms);
  }
  PathHandler handler_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

// After one fast request, the next head trickled a byte at a time is cut once header_timeout has
// passed since its first byte, long before the idle timeout would have.
TEST_F(HttpSlowClient, TrickledHeadOnAKeptAliveConnectionGetsTheHeaderTimeout) {
  config::Limits limits;
  limits.header_timeout = 500ms;
  limits.idle_timeout = 60s;
  start(limits);
  const int fd = raw_connect("127.0.0.1", port_);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(raw_send(fd, "GET /fast HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_NE(read_response(fd).find("/fast from"), std::string::npos);

  const std::string slow = "GET /slow HTTP/1.1\r\nHost: t\r\nX-Pad: " + std::string(400, 'a');
  const auto began = std::chrono::steady_clock::now();
  bool closed = false;
  // 400+ bytes at one per 50 ms would take over 20 s: the connection must end well before.
  for (const char c : slow) {
    if (!raw_send(fd, std::string_view(&c, 1)) || closed_within(fd, 50ms)) {
      closed = true;
      break;
    }
    if (std::chrono::steady_clock::now() - began > 20s) break;
  }
  const auto took = std::chrono::steady_clock::now() - began;
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(took, 15s);  // the idle timeout is 60 s
  EXPECT_EQ(handler_.seen(), std::vector<std::string>{"/fast"});
}

// While no byte of the next request has arrived, the idle timeout applies, not the header one.
TEST_F(HttpSlowClient, AnIdleKeptAliveConnectionOutlivesTheHeaderTimeout) {
  config::Limits limits;
  limits.header_timeout = 300ms;
  limits.idle_timeout = 60s;
  start(limits);
  const int fd = raw_connect("127.0.0.1", port_);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(raw_send(fd, "GET /one HTTP/1.1\r\nHost: t\r\n\r\n"));
  ASSERT_NE(read_response(fd).find("/one from"), std::string::npos);
  EXPECT_FALSE(closed_within(fd, 1500ms));  // five header timeouts, idle
  ASSERT_TRUE(raw_send(fd, "GET /two HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_NE(read_response(fd).find("/two from"), std::string::npos);
  ::close(fd);
}

// body_timeout bounds the whole body, not each read: a body trickled steadily is cut.
TEST_F(HttpSlowClient, TrickledBodyIsCutAtTheBodyTimeout) {
  config::Limits limits;
  limits.body_timeout = 1000ms;
  start(limits);
  const int fd = raw_connect("127.0.0.1", port_);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(raw_send(fd, "POST /body HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n"));
  const auto began = std::chrono::steady_clock::now();
  std::string received;
  bool closed = false;
  for (int i = 0; i < 1000 && !closed; ++i) {
    if (!raw_send(fd, "x")) break;
    closed = raw_read_until_closed(fd, received, 50ms);
    if (std::chrono::steady_clock::now() - began > 20s) break;
  }
  if (!closed) closed = raw_read_until_closed(fd, received, 5s);
  const auto took = std::chrono::steady_clock::now() - began;
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_LT(took, 15s);  // 1000 bytes at 50 ms each would take 50 s
  EXPECT_TRUE(received.empty() || received.starts_with("HTTP/1.1 408")) << received;
  EXPECT_TRUE(handler_.seen().empty());
}

// One address holds at most max_connections_per_ip connections; others are still served, and a
// freed slot is usable again.
TEST_F(HttpSlowClient, OnePeerCannotTakeAllConnections) {
  config::Limits limits;
  limits.max_connections = 100;
  limits.max_connections_per_ip = 3;
  start(limits);
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    const int fd = raw_connect("127.0.0.1", port_, "127.0.0.2");
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(raw_send(fd, "GET /held HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_NE(read_response(fd).find("/held from 127.0.0.2"), std::string::npos);
    held.push_back(fd);
  }
  const int over = raw_connect("127.0.0.1", port_, "127.0.0.2");
  ASSERT_GE(over, 0);  // the kernel accepts; the server closes it unanswered
  raw_send(over, "GET /over HTTP/1.1\r\nHost: t\r\n\r\n");
  std::string refused;
  EXPECT_TRUE(raw_read_until_closed(over, refused, 10s));
  EXPECT_EQ(refused, "");
  ::close(over);

  const int other = raw_connect("127.0.0.1", port_, "127.0.0.3");
  ASSERT_GE(other, 0);
  ASSERT_TRUE(raw_send(other, "GET /other HTTP/1.1\r\nHost: t\r\n\r\n"));
  EXPECT_NE(read_response(other).find("/other from 127.0.0.3"), std::string::npos);
  ::close(other);

  // A freed slot is released when the server sees the close: retried, bounded.
  ::close(held.back());
  held.pop_back();
  bool served = false;
  for (int attempt = 0; attempt < 100 && !served; ++attempt) {
    const int again = raw_connect("127.0.0.1", port_, "127.0.0.2");
    ASSERT_GE(again, 0);
    raw_send(again, "GET /again HTTP/1.1\r\nHost: t\r\n\r\n");
    served = read_response(again, 2s).find("/again from 127.0.0.2") != std::string::npos;
    ::close(again);
    if (!served) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(served);
  for (const int fd : held)
    ::close(fd);
  const auto seen = handler_.seen();
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "/over"), 0);
}

}  // namespace
}  // namespace hookgate::net
