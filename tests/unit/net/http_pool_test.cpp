// HttpPool over real loopback sockets, against a scripted test server (plain and TLS, one thread
// per connection, behaviour chosen by the request path): connections kept alive and reused per
// origin, the per-origin cap and its queue, every rule that closes a connection instead of
// reusing it, the retry of a request a server dropped on a reused connection, the address policy
// on every new connection (a resolver stub whose answer changes), TLS verification and session
// resumption, deadlines, many requests in flight on one loop thread, and cancellation at
// destruction. Only 127.0.0.1 and 127.0.0.2 are ever contacted.
#include "hookgate/net/http_pool.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "test_pki.hpp"

namespace hookgate::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Waits (bounded) until pred holds; the bound only keeps a broken build from hanging.
template <class Pred>
bool eventually(Pred pred, milliseconds bound = milliseconds(10'000)) {
  const auto until = Clock::now() + bound;
  while (Clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return pred();
}

// A scripted HTTP/1.1 server. Paths:
//   /ok             200 "ok", kept alive
//   /close          200 with Connection: close
//   /linger-close   200 kept alive by its headers, then the server closes at once
//   /http10         an HTTP/1.0 answer
//   /keepalive1     200 with "Keep-Alive: timeout=1"
//   /huge           200 with a 1 MiB body
//   /garbage        bytes that are not HTTP, connection left open
//   /silent         read, never answered
//   /vanish         read, then the connection closed without an answer
//   /delay/<ms>     200 after ms
//   /once-<x>       200 kept alive; the next request on that connection is dropped unanswered
class TestServer {
 public:
  explicit TestServer(std::string address = "127.0.0.1", std::uint16_t port = 0,
                      const testing::Pem* tls = nullptr)
      : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address(address), port)) {
    if (tls != nullptr) {
      ctx_ = std::make_unique<ssl::context>(ssl::context::tls_server);
      ctx_->use_certificate_chain(asio::buffer(tls->cert));
      ctx_->use_private_key(asio::buffer(tls->key), ssl::context::pem);
    }
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~TestServer() { stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void stop() {
    {
      const std::lock_guard lock(m_);
      if (stopped_) return;
      stopped_ = true;
      for (const int fd : fds_)
        ::shutdown(fd, SHUT_RDWR);
    }
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);
    accept_thread_.join();
    std::vector<std::thread> threads;
    {
      const std::lock_guard lock(m_);
      threads.swap(threads_);
    }
    for (auto& t : threads)
      t.join();
  }

  std::atomic<int> accepted{0};
  std::atomic<int> closed{0};  // connections that ended
  std::atomic<int> requests{0};
  std::atomic<int> concurrent{0};
  std::atomic<int> max_concurrent{0};  // connections open at once
  std::atomic<int> busy{0};
  std::atomic<int> max_busy{0};  // requests being answered at once
  std::atomic<int> vanished{0};

 private:
  static void raise(std::atomic<int>& high, int now) {
    for (int seen = high.load(); now > seen && !high.compare_exchange_weak(seen, now);) {
    }
  }

  void accept_loop() {
    for (;;) {
      beast::error_code ec;
      tcp::socket socket = acceptor_.accept(ec);
      const std::lock_guard lock(m_);
      if (ec || stopped_) return;
      ++accepted;
      fds_.insert(socket.native_handle());
      threads_.emplace_back([this, s = std::move(socket)]() mutable { connection(std::move(s)); });
    }
  }

  void connection(tcp::socket socket) {
    const int fd = socket.native_handle();
    raise(max_concurrent, ++concurrent);
    if (ctx_) {
      ssl::stream<tcp::socket> stream(std::move(socket), *ctx_);
      beast::error_code ec;
      stream.handshake(ssl::stream_base::server, ec);
      if (!ec) serve(stream);
      stream.shutdown(ec);
    } else {
      serve(socket);
    }
    {
      const std::lock_guard lock(m_);
      fds_.erase(fd);
    }
    --concurrent;
    ++closed;
  }

  template <class Stream>
  void serve(Stream& stream) {
    beast::flat_buffer buffer;
    bool drop_next = false;
    for (;;) {
      http::request<http::string_body> req;
      beast::error_code ec;
      http::read(stream, buffer, req, ec);
      if (ec) return;
      ++requests;
      const std::string path(req.target());
      if (drop_next || path == "/vanish") {
        ++vanished;
        return;
      }
      if (path == "/silent") {
        char byte = 0;
        beast::get_lowest_layer(stream).read_some(asio::buffer(&byte, 1), ec);
        return;
      }
      if (path == "/garbage") {
        asio::write(stream, asio::buffer(std::string("this is not http\r\n\r\n")), ec);
        char byte = 0;
        beast::get_lowest_layer(stream).read_some(asio::buffer(&byte, 1), ec);
        return;
      }
      http::response<http::string_body> res{http::status::ok, 11};
      res.body() = "ok " + path;
      if (path.starts_with("/delay/")) {
        raise(max_busy, ++busy);
        std::this_thread::sleep_for(milliseconds(std::stoi(path.substr(7))));
        --busy;
      } else if (path == "/close") {
        res.keep_alive(false);
      } else if (path == "/http10") {
        res.version(10);
      } else if (path == "/keepalive1") {
        res.set(http::field::keep_alive, "timeout=1, max=100");
      } else if (path == "/huge") {
        res.body() = std::string(1 << 20, 'x');
      } else if (path.starts_with("/once-")) {
        drop_next = true;
      }
      res.prepare_payload();
      http::write(stream, res, ec);
      if (ec || !res.keep_alive() || path == "/linger-close") return;
    }
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::unique_ptr<ssl::context> ctx_;
  std::mutex m_;
  bool stopped_ = false;
  std::set<int> fds_;
  std::vector<std::thread> threads_;
  std::thread accept_thread_;
};

HttpClientOptions loopback_options() {
  HttpClientOptions o;
  o.policy = *OutboundPolicy::make({"127.0.0.1/32"}, false);
  o.timeout = milliseconds(20'000);  // generous: a busy 2-core CI machine
  return o;
}

std::unique_ptr<HttpPool> make_pool(HttpClientOptions client = loopback_options(),
                                    PoolOptions pool = {}) {
  auto p = HttpPool::create(std::move(client), std::move(pool));
  EXPECT_TRUE(p) << p.error();
  return p ? std::move(p).value() : nullptr;
}

OutboundRequest post_to(const std::string& url) {
  OutboundRequest r;
  r.url = url;
  r.body = "hello";
  return r;
}

// One request, waited for.
Result<HttpClientResponse> call(HttpPool& pool, const OutboundRequest& request) {
  std::promise<Result<HttpClientResponse>> promise;
  auto future = promise.get_future();
  pool.send(request, [&promise](Result<HttpClientResponse> r) { promise.set_value(std::move(r)); });
  return future.get();
}

// Results of many requests, with the threads that delivered them.
class Collector {
 public:
  HttpPool::Done done() {
    return [this](Result<HttpClientResponse> r) {
      const std::lock_guard lock(m_);
      results_.push_back(std::move(r));
      threads_.insert(std::this_thread::get_id());
      cv_.notify_all();
    };
  }
  bool wait(std::size_t n, milliseconds bound = milliseconds(60'000)) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, bound, [&] { return results_.size() >= n; });
  }
  std::vector<Result<HttpClientResponse>> results() {
    const std::lock_guard lock(m_);
    return results_;
  }
  std::size_t thread_count() {
    const std::lock_guard lock(m_);
    return threads_.size();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<Result<HttpClientResponse>> results_;
  std::set<std::thread::id> threads_;
};

std::string url(const TestServer& s, const std::string& path, const std::string& host = "127.0.0.1",
                const std::string& scheme = "http") {
  return scheme + "://" + host + ":" + std::to_string(s.port()) + path;
}

// --- reuse and the per-origin cap -----------------------------------------------------------

TEST(HttpPoolTest, SequentialRequestsShareOneKeptAliveConnection) {
  TestServer server;
  auto pool = make_pool();
  for (int i = 0; i < 100; ++i) {
    const auto r = call(*pool, post_to(url(server, "/ok")));
    ASSERT_TRUE(r) << i << ": " << r.error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "ok /ok");
    EXPECT_EQ(r->peer, "127.0.0.1:" + std::to_string(server.port()));
  }
  const auto s = pool->stats();
  EXPECT_EQ(s.requests, 100U);
  EXPECT_EQ(s.connections_opened, 1U);
  EXPECT_EQ(s.reused, 99U);
  EXPECT_EQ(s.open, 1U);
  EXPECT_EQ(s.idle, 1U);
  EXPECT_EQ(server.accepted.load(), 1);
}

TEST(HttpPoolTest, CapBoundsConcurrentConnectionsAndQueuesTheRest) {
  TestServer server;
  PoolOptions o;
  o.max_per_origin = 2;
  o.threads = 2;
  Collector c;
  auto pool = make_pool(loopback_options(), o);
  for (int i = 0; i < 12; ++i)
    pool->send(post_to(url(server, "/delay/50")), c.done());
  ASSERT_TRUE(c.wait(12));
  for (const auto& r : c.results()) {
    ASSERT_TRUE(r) << r.error();
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_LE(pool->stats().connections_opened, 2U);
  EXPECT_LE(server.max_concurrent.load(), 2);
  EXPECT_EQ(pool->stats().reused, 12U - pool->stats().connections_opened);
}

// Many customers' endpoints behind one origin (a SaaS ingress): a burst of attempts that end
// together must leave their connections for the next burst, not close all but a few and
// reconnect (1 000 endpoints on one receiver opened 533 connections per 1 000 deliveries).
TEST(HttpPoolTest, ConnectionsOfABurstToOneOriginAreKeptForTheNextBurst) {
  TestServer server;
  PoolOptions o;
  o.threads = 2;
  o.idle_timeout = milliseconds(60'000);  // a slow machine must not expire them between bursts
  auto pool = make_pool(loopback_options(), o);
  constexpr std::size_t kBurst = 150;
  for (int round = 0; round < 2; ++round) {
    Collector c;
    for (std::size_t i = 0; i < kBurst; ++i)
      pool->send(post_to(url(server, "/delay/200")), c.done());
    ASSERT_TRUE(c.wait(kBurst));
    for (const auto& r : c.results())
      ASSERT_TRUE(r) << r.error();
  }
  // The first burst may open up to one connection per request; the second reuses them all.
  EXPECT_LE(pool->stats().connections_opened, kBurst);
  EXPECT_GE(pool->stats().reused, kBurst);
}

TEST(HttpPoolTest, WaitingForAFreeConnectionIsBoundedByTheDeadline) {
  TestServer server;
  PoolOptions o;
  o.max_per_origin = 1;
  Collector hog;
  auto pool = make_pool(loopback_options(), o);
  auto silent = post_to(url(server, "/silent"));
  silent.timeout = milliseconds(60'000);
  pool->send(silent, hog.done());
  ASSERT_TRUE(eventually([&] { return server.requests.load() == 1; }));
  auto waiting = post_to(url(server, "/ok"));
  waiting.timeout = milliseconds(300);
  const auto r = call(*pool, waiting);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "timeout after 300 ms (waiting for a free connection)");
  EXPECT_EQ(server.accepted.load(), 1);
}

// --- what is never reused -------------------------------------------------------------------

TEST(HttpPoolTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  TestServer server;
  PoolOptions o;
  o.idle_timeout = milliseconds(200);
  auto pool = make_pool(loopback_options(), o);
  ASSERT_TRUE(call(*pool, post_to(url(server, "/ok"))));
  ASSERT_TRUE(eventually([&] { return pool->stats().open == 0; }));
  EXPECT_EQ(pool->stats().idle, 0U);
  ASSERT_TRUE(eventually([&] { return server.closed.load() == 1; }));
  ASSERT_TRUE(call(*pool, post_to(url(server, "/ok"))));
  EXPECT_EQ(pool->stats().connections_opened, 2U);
  EXPECT_EQ(pool->stats().reused, 0U);
}

TEST(HttpPoolTest, ServerKeepAliveTimeoutShortensTheIdleTime) {
  TestServer server;
  PoolOptions o;
  o.idle_timeout = milliseconds(600'000);
  auto pool = make_pool(loopback_options(), o);
  ASSERT_TRUE(call(*pool, post_to(url(server, "/keepalive1"))));
  EXPECT_EQ(pool->stats().idle, 1U);
  // timeout=1 s: the pool lets go well before its own ten minutes.
  EXPECT_TRUE(eventually([&] { return pool->stats().open == 0; }));
}

TEST(HttpPoolTest, ConnectionTheServerClosedWhileIdleIsNotReused) {
  TestServer server;
  auto pool = make_pool();
  ASSERT_TRUE(call(*pool, post_to(url(server, "/linger-close"))));
  ASSERT_TRUE(eventually([&] { return server.closed.load() == 1; }));
  const auto r = call(*pool, post_to(url(server, "/ok")));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(pool->stats().connections_opened, 2U);
  EXPECT_EQ(pool->stats().reused, 0U);  // seen closed at checkout, not tried
}

TEST(HttpPoolTest, RequestDroppedOnAReusedConnectionIsRetriedOnceOnANewOne) {
  TestServer server;
  auto pool = make_pool();
  ASSERT_TRUE(call(*pool, post_to(url(server, "/once-a"))));
  // The server reads this one on the kept connection and hangs up without a byte.
  const auto r = call(*pool, post_to(url(server, "/ok")));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->body, "ok /ok");
  EXPECT_EQ(pool->stats().connections_opened, 2U);
  EXPECT_EQ(server.vanished.load(), 1);

  // Once only: a request the server drops on the new connection too is an error.
  const auto gone = call(*pool, post_to(url(server, "/vanish")));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error(), "read: connection closed before a response");
  EXPECT_EQ(server.vanished.load(), 3);
  EXPECT_EQ(pool->stats().connections_opened, 3U);
}

TEST(HttpPoolTest, ConnectionCloseAndHttp10AnswersAreNotReused) {
  TestServer server;
  auto pool = make_pool();
  for (const char* path : {"/close", "/close", "/http10", "/http10"}) {
    const auto r = call(*pool, post_to(url(server, path)));
    ASSERT_TRUE(r) << path << ": " << r.error();
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(pool->stats().connections_opened, 4U);
  EXPECT_EQ(pool->stats().reused, 0U);
  EXPECT_EQ(server.accepted.load(), 4);
}

TEST(HttpPoolTest, UnreadBodyClosesTheConnection) {
  TestServer server;
  auto client = loopback_options();
  client.max_response_body_bytes = 1000;
  auto pool = make_pool(client);
  const auto r = call(*pool, post_to(url(server, "/huge")));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, std::string(1000, 'x'));
  EXPECT_TRUE(r->body_truncated);
  ASSERT_TRUE(call(*pool, post_to(url(server, "/ok"))));
  EXPECT_EQ(pool->stats().connections_opened, 2U);
  EXPECT_EQ(pool->stats().reused, 0U);
}

TEST(HttpPoolTest, ConnectionThatSawAnErrorIsClosed) {
  TestServer server;
  auto pool = make_pool();
  const auto bad = call(*pool, post_to(url(server, "/garbage")));
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().starts_with("read: ")) << bad.error();
  ASSERT_TRUE(eventually([&] { return server.closed.load() == 1; }));
  ASSERT_TRUE(call(*pool, post_to(url(server, "/ok"))));
  EXPECT_EQ(pool->stats().connections_opened, 2U);
  EXPECT_EQ(pool->stats().reused, 0U);
}

TEST(HttpPoolTest, ConnectionServesAtMostMaxRequests) {
  TestServer server;
  PoolOptions o;
  o.max_requests_per_connection = 3;
  auto pool = make_pool(loopback_options(), o);
  for (int i = 0; i < 7; ++i)
    ASSERT_TRUE(call(*pool, post_to(url(server, "/ok"))));
  EXPECT_EQ(pool->stats().connections_opened, 3U);
  EXPECT_EQ(server.accepted.load(), 3);
}

// --- the address policy on every new connection ---------------------------------------------

// Answers `first` to the first lookup and `later` to every later one, counting them.
struct ChangingResolver {
  std::vector<IpAddress> first, later;
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);
  std::function<Result<std::vector<IpAddress>>(const std::string&)> fn() const {
    return [f = first, l = later, calls = calls](const std::string&) {
      return Result<std::vector<IpAddress>>(calls->fetch_add(1) == 0 ? f : l);
    };
  }
};

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

TEST(HttpPoolTest, EveryNewConnectionIsCheckedAgainstThePolicy) {
  TestServer server;
  TestServer decoy("127.0.0.2", server.port());  // where the changed answer points
  ChangingResolver dns{{ip("127.0.0.1")}, {ip("127.0.0.2")}};
  PoolOptions o;
  o.resolve = dns.fn();
  auto pool = make_pool(loopback_options(), o);
  const auto at = [&](const char* path) { return url(server, path, "hooks.example"); };

  ASSERT_TRUE(call(*pool, post_to(at("/ok"))));
  // The kept connection was checked when it was opened; reusing it needs no lookup.
  ASSERT_TRUE(call(*pool, post_to(at("/close"))));
  EXPECT_EQ(dns.calls->load(), 1);
  EXPECT_EQ(pool->stats().reused, 1U);

  // The connection is gone: the next one resolves again, to a refused address.
  const auto r = call(*pool, post_to(at("/ok")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "address_refused: hooks.example: resolves only to refused addresses (127.0.0.2 is "
            "loopback)");
  EXPECT_EQ(dns.calls->load(), 2);
  EXPECT_EQ(decoy.accepted.load(), 0);
  EXPECT_EQ(pool->stats().connections_opened, 1U);
}

TEST(HttpPoolTest, RefusedAnswersAreNeverDialled) {
  TestServer server;
  TestServer decoy("127.0.0.2", server.port());
  for (const char* refused : {"127.0.0.2", "169.254.169.254", "10.0.0.1", "::ffff:127.0.0.2"}) {
    PoolOptions o;
    o.resolve = ChangingResolver{{ip(refused)}, {ip(refused)}}.fn();
    auto pool = make_pool(loopback_options(), o);
    const auto r = call(*pool, post_to(url(server, "/ok", "hooks.example")));
    ASSERT_FALSE(r) << refused;
    EXPECT_TRUE(r.error().starts_with("address_refused: hooks.example: resolves only to refused"))
        << r.error();
    EXPECT_EQ(pool->stats().connections_opened, 0U);
  }
  EXPECT_EQ(decoy.accepted.load(), 0);
  EXPECT_EQ(server.accepted.load(), 0);

  // A mixed answer: only the allowed address is dialled.
  PoolOptions o;
  o.resolve = ChangingResolver{{ip("169.254.169.254"), ip("127.0.0.2"), ip("127.0.0.1")}, {}}.fn();
  auto pool = make_pool(loopback_options(), o);
  const auto r = call(*pool, post_to(url(server, "/ok", "hooks.example")));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->peer, "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(decoy.accepted.load(), 0);
}

TEST(HttpPoolTest, RequestsRefusedUpFrontLikeHttpClient) {
  TestServer server;
  auto pool = make_pool();
  auto r = call(*pool, post_to("http://user:pw@127.0.0.1/"));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().starts_with("url: ")) << r.error();
  r = call(*pool, post_to("http://169.254.169.254/latest/meta-data"));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().starts_with("address_refused: 169.254.169.254: ")) << r.error();
  auto injected = post_to(url(server, "/ok"));
  injected.headers.add("X-A", "1\r\nX-Injected: 1");
  r = call(*pool, injected);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().starts_with("request: ")) << r.error();
  auto https_only = loopback_options();
  https_only.policy = *OutboundPolicy::make({"127.0.0.1/32"}, true);
  r = call(*make_pool(https_only), post_to(url(server, "/ok")));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().starts_with("address_refused: 127.0.0.1: plain http is refused"))
      << r.error();
  EXPECT_EQ(server.accepted.load(), 0);
}

// --- deadlines, load, shutdown --------------------------------------------------------------

TEST(HttpPoolTest, ServerThatNeverAnswersIsBoundedByTheTimeout) {
  TestServer server;
  auto pool = make_pool();
  auto req = post_to(url(server, "/silent"));
  req.timeout = milliseconds(300);
  const auto begin = Clock::now();
  const auto r = call(*pool, req);
  const auto took = Clock::now() - begin;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "timeout after 300 ms (waiting for the response)");
  EXPECT_LT(took, milliseconds(3'000 * 5));
  ASSERT_TRUE(eventually([&] { return pool->stats().open == 0; }));
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  }
  return 0;
}

TEST(HttpPoolTest, FiveHundredRequestsInFlightOnOneLoopThread) {
  TestServer server;
  PoolOptions o;
  o.threads = 1;
  Collector c;
  auto pool = make_pool(loopback_options(), o);
  const long before = rss_kib();
  for (int i = 0; i < 500; ++i)
    pool->send(post_to(url(server, "/delay/100")), c.done());
  ASSERT_TRUE(eventually([&] { return server.requests.load() >= 250; }, milliseconds(60'000)));
  const long during = rss_kib();
  ASSERT_TRUE(c.wait(500));
  int ok = 0;
  for (const auto& r : c.results())
    ok += r && r->status == 200 ? 1 : 0;
  EXPECT_EQ(ok, 500);
  EXPECT_EQ(c.thread_count(), 1U);
  // Had a request held the one loop thread while it waited, the server would have been
  // answering one request at a time.
  EXPECT_GE(server.max_busy.load(), 2);
  std::printf("RSS %ld KiB before, %ld KiB with %d requests at the server (its threads included)\n",
              before, during, server.max_busy.load());
}

// Prints what a request in flight costs the pool in resident memory (asserts nothing about it:
// the figure is for docs and the engine's sizing). The server runs in a child process, so the
// parent's RSS growth is the pool's alone.
long pool_bytes_per_request(const testing::Pem* tls, const std::string& ca_file, int n) {
  int ready[2];
  int control[2];
  if (::pipe(ready) != 0 || ::pipe(control) != 0) return -1;
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(ready[0]);
    ::close(control[1]);
    TestServer server("127.0.0.1", 0, tls);
    const std::uint16_t port = server.port();
    if (::write(ready[1], &port, sizeof port) != sizeof port) ::_exit(1);
    char byte = 0;
    while (::read(control[0], &byte, 1) > 0) {
    }
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(control[0]);
  std::uint16_t port = 0;
  const bool got = ::read(ready[0], &port, sizeof port) == sizeof port;
  ::close(ready[0]);
  long per_request = -1;
  if (got) {
    HttpClientOptions client = loopback_options();
    PoolOptions o;
    o.threads = 1;
    if (tls != nullptr) {
      client.system_trust = false;
      client.ca_file = ca_file;
    }
    Collector c;
    auto pool = make_pool(client, o);
    const auto target = std::string(tls != nullptr ? "https" : "http") +
                        "://127.0.0.1:" + std::to_string(port) + "/delay/2500";
    const long before = rss_kib();
    for (int i = 0; i < n; ++i)
      pool->send(post_to(target), c.done());
    eventually([&] { return pool->stats().open >= static_cast<std::uint64_t>(n); },
               milliseconds(30'000));
    std::this_thread::sleep_for(milliseconds(700));  // writes and handshakes settle
    per_request = (rss_kib() - before) * 1024 / n;
    c.wait(static_cast<std::size_t>(n));
  }
  ::close(control[1]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return per_request;
}

TEST(HttpPoolMemoryTest, ResidentMemoryPerRequestInFlight) {
  const long plain = pool_bytes_per_request(nullptr, "", 1000);
  EXPECT_GT(plain, -1);
  std::printf("plain HTTP: %ld bytes RSS per request in flight\n", plain);
}

TEST(HttpPoolTest, DestructionCancelsOutstandingRequestsOnce) {
  TestServer server;
  auto pool = make_pool();
  std::atomic<int> calls{0};
  std::mutex m;
  std::vector<std::string> errors;
  for (int i = 0; i < 5; ++i) {
    auto req = post_to(url(server, "/silent"));
    req.timeout = milliseconds(600'000);
    pool->send(req, [&](Result<HttpClientResponse> r) {
      ++calls;
      const std::lock_guard lock(m);
      errors.push_back(r ? "ok" : r.error());
    });
  }
  ASSERT_TRUE(eventually([&] { return server.requests.load() == 5; }));
  pool.reset();
  EXPECT_EQ(calls.load(), 5);
  for (const auto& e : errors)
    EXPECT_EQ(e, "cancelled: the pool is shutting down");
}

// --- TLS ---------------------------------------------------------------------------------------

class HttpPoolTlsTest : public ::testing::Test {
 protected:
  HttpClientOptions trusting() const {
    auto o = loopback_options();
    o.system_trust = false;
    o.ca_file = ca_file_;
    return o;
  }
  PoolOptions localhost() const {
    PoolOptions o;
    o.resolve = [](const std::string&) {
      return Result<std::vector<IpAddress>>(std::vector<IpAddress>{ip("127.0.0.1")});
    };
    return o;
  }
  testing::TestCa ca_;
  std::string ca_file_ = testing::write_temp("pool-ca.crt", ca_.pem());
  testing::Pem cert_ = ca_.issue("localhost", "DNS:localhost,IP:127.0.0.1");
};

TEST_F(HttpPoolTlsTest, NewConnectionsResumeTheOriginsSession) {
  TestServer server("127.0.0.1", 0, &cert_);
  auto pool = make_pool(trusting(), localhost());
  for (int i = 0; i < 20; ++i) {
    const auto r = call(*pool, post_to(url(server, "/close", "localhost", "https")));
    ASSERT_TRUE(r) << i << ": " << r.error();
    EXPECT_EQ(r->status, 200);
  }
  const auto s = pool->stats();
  EXPECT_EQ(s.connections_opened, 20U);
  EXPECT_EQ(s.tls_handshakes, 20U);
  EXPECT_GE(s.tls_resumed, 19U);
}

TEST_F(HttpPoolTlsTest, KeptAliveConnectionHandshakesOnce) {
  TestServer server("127.0.0.1", 0, &cert_);
  auto pool = make_pool(trusting(), localhost());
  for (int i = 0; i < 20; ++i) {
    const auto r = call(*pool, post_to(url(server, "/ok", "localhost", "https")));
    ASSERT_TRUE(r) << i << ": " << r.error();
  }
  EXPECT_EQ(pool->stats().tls_handshakes, 1U);
  EXPECT_EQ(pool->stats().connections_opened, 1U);
  EXPECT_EQ(pool->stats().reused, 19U);
}

TEST_F(HttpPoolTlsTest, ServerIsVerifiedByCaAndName) {
  const auto wrong = ca_.issue("wrong.example", "DNS:wrong.example,IP:10.9.8.7");
  TestServer server("127.0.0.1", 0, &wrong);
  auto pool = make_pool(trusting(), localhost());
  for (const char* host : {"localhost", "127.0.0.1"}) {
    const auto r = call(*pool, post_to(url(server, "/ok", host, "https")));
    ASSERT_FALSE(r) << host;
    EXPECT_TRUE(r.error().starts_with("tls: certificate verify failed")) << r.error();
  }
  // The system trust store alone does not know the test CA.
  TestServer right("127.0.0.1", 0, &cert_);
  auto untrusting = make_pool(loopback_options(), localhost());
  const auto r = call(*untrusting, post_to(url(right, "/ok", "localhost", "https")));
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().starts_with("tls: certificate verify failed")) << r.error();
  EXPECT_EQ(server.requests.load() + right.requests.load(), 0);
}

TEST_F(HttpPoolTlsTest, ResidentMemoryPerRequestInFlight) {
  const long tls = pool_bytes_per_request(&cert_, ca_file_, 300);
  EXPECT_GT(tls, -1);
  std::printf("HTTPS: %ld bytes RSS per request in flight\n", tls);
}

}  // namespace
}  // namespace hookgate::net
