// hookgate_sink: the webhook receiver of the outbound benchmarks (bench/load/outbound_*.sh). It
// answers POSTs like a customer's endpoint would, slow or hanging on purpose, over keep-alive
// HTTP/1.1 or TLS, and counts what a sender costs it: connections accepted, TLS handshakes (and
// how many resumed a session), requests. Each request's arrival (wall and monotonic ms, path,
// webhook-id, the status it got) is kept in memory and written to --log on SIGTERM/SIGINT, for
// rate, latency and lateness analysis by the scripts. Loopback only; every wait is bounded.
//
//   hookgate_sink --port 0 [--delay-ms 0] [--hang-ms 0] [--fail-first 0] [--threads 2]
//                 [--cert FILE --key FILE] [--log FILE] [--port-file FILE]
//
// Paths under /hang/ answer after --hang-ms (0: never; the connection is closed at exit).
// --fail-first N answers 500 to the first N deliveries of each webhook-id (then 200).
// GET /stats answers the counters as JSON; the same line is printed on stdout at exit.
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Bounds: arrivals kept (enough for the 1 000 000-delivery runs), a request body, a hang.
constexpr std::size_t kMaxArrivals = 4'000'000;
constexpr std::size_t kMaxBody = 4 << 20;
constexpr std::chrono::hours kNeverAnswer{1};

struct Options {
  unsigned short port = 0;
  int delay_ms = 0;
  int hang_ms = 0;
  int fail_first = 0;
  int threads = 2;
  std::string cert, key, log, port_file;
};

struct Arrival {
  std::int64_t unix_ms;
  std::int64_t mono_ms;
  std::string path;
  std::string webhook_id;
  int status;
};

struct Counters {
  std::atomic<std::uint64_t> connections{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> tls_handshakes{0};
  std::atomic<std::uint64_t> tls_resumed{0};
};

Options options;
Counters counters;
std::mutex arrivals_mutex;
std::vector<Arrival> arrivals;                  // guarded by arrivals_mutex
std::unordered_map<std::string, int> seen_ids;  // webhook-id -> deliveries seen (--fail-first)

std::int64_t ms_since_epoch(auto clock_now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_now.time_since_epoch())
      .count();
}

std::string stats_json() {
  return "{\"connections\":" + std::to_string(counters.connections.load()) +
         ",\"requests\":" + std::to_string(counters.requests.load()) +
         ",\"tls_handshakes\":" + std::to_string(counters.tls_handshakes.load()) +
         ",\"tls_resumed\":" + std::to_string(counters.tls_resumed.load()) + "}";
}

// Records the arrival and decides the status it gets.
int record(const std::string& path, const std::string& webhook_id) {
  const auto unix_ms = ms_since_epoch(std::chrono::system_clock::now());
  const auto mono_ms = ms_since_epoch(std::chrono::steady_clock::now());
  counters.requests.fetch_add(1, std::memory_order_relaxed);
  const std::lock_guard lock(arrivals_mutex);
  int status = 200;
  if (options.fail_first > 0 && !webhook_id.empty()) {
    if (++seen_ids[webhook_id] <= options.fail_first) status = 500;
  }
  if (arrivals.size() < kMaxArrivals) {
    arrivals.push_back({unix_ms, mono_ms, path, webhook_id, status});
  }
  return status;
}

template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream) {
  beast::flat_buffer buffer;
  auto executor = co_await asio::this_coro::executor;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    auto [ec, n] =
        co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    const auto& req = parser.get();
    const std::string target(req.target());
    http::response<http::string_body> res;
    res.version(11);
    res.keep_alive(req.keep_alive());
    if (req.method() == http::verb::get && target == "/stats") {
      res.result(200);
      res.set(http::field::content_type, "application/json");
      res.body() = stats_json() + "\n";
    } else {
      const auto path = target.substr(0, target.find('?'));
      const auto id = req.find("webhook-id");
      const int status = record(path, id == req.end() ? "" : std::string(id->value()));
      std::chrono::milliseconds wait(options.delay_ms);
      if (path.starts_with("/hang/")) {
        wait = options.hang_ms > 0
                   ? std::chrono::milliseconds(options.hang_ms)
                   : std::chrono::duration_cast<std::chrono::milliseconds>(kNeverAnswer);
      }
      if (wait.count() > 0) {
        asio::steady_timer timer(executor, wait);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      res.result(status);
      res.body() = status == 200 ? "ok\n" : "failing on purpose\n";
    }
    res.prepare_payload();
    auto [wec, w] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !res.keep_alive()) co_return;
  }
}

asio::awaitable<void> plain_session(tcp::socket socket) {
  co_await serve_requests(socket);
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> tls_session(tcp::socket socket, asio::ssl::context& ctx) {
  beast::ssl_stream<tcp::socket> stream(std::move(socket), ctx);
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                              asio::as_tuple(asio::use_awaitable));
  if (ec) co_return;
  counters.tls_handshakes.fetch_add(1, std::memory_order_relaxed);
  if (SSL_session_reused(stream.native_handle()) == 1) {
    counters.tls_resumed.fetch_add(1, std::memory_order_relaxed);
  }
  co_await serve_requests(stream);
  auto [sec] = co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
  (void)sec;
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, asio::ssl::context* ctx) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      continue;  // out of descriptors for a moment: the next accept may work
    }
    counters.connections.fetch_add(1, std::memory_order_relaxed);
    socket.set_option(tcp::no_delay(true));
    auto executor = socket.get_executor();
    if (ctx != nullptr) {
      asio::co_spawn(executor, tls_session(std::move(socket), *ctx), asio::detached);
    } else {
      asio::co_spawn(executor, plain_session(std::move(socket)), asio::detached);
    }
  }
}

int to_int(const char* v, const char* name) {
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (end == v || *end != '\0' || n < 0 || n > 86'400'000) {
    std::cerr << "hookgate_sink: " << name << " must be a number of 0 to 86400000\n";
    std::exit(2);
  }
  return static_cast<int>(n);
}

void parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::cerr << "hookgate_sink: " << a << " needs a value\n";
      std::exit(2);
    }
    const char* v = argv[++i];
    if (a == "--port") {
      options.port = static_cast<unsigned short>(to_int(v, "--port"));
    } else if (a == "--delay-ms") {
      options.delay_ms = to_int(v, "--delay-ms");
    } else if (a == "--hang-ms") {
      options.hang_ms = to_int(v, "--hang-ms");
    } else if (a == "--fail-first") {
      options.fail_first = to_int(v, "--fail-first");
    } else if (a == "--threads") {
      options.threads = std::max(1, to_int(v, "--threads"));
    } else if (a == "--cert") {
      options.cert = v;
    } else if (a == "--key") {
      options.key = v;
    } else if (a == "--log") {
      options.log = v;
    } else if (a == "--port-file") {
      options.port_file = v;
    } else {
      std::cerr << "hookgate_sink: unknown option " << a << "\n";
      std::exit(2);
    }
  }
  if (options.cert.empty() != options.key.empty()) {
    std::cerr << "hookgate_sink: --cert and --key go together\n";
    std::exit(2);
  }
}

void write_log() {
  if (options.log.empty()) return;
  std::ofstream out(options.log);
  const std::lock_guard lock(arrivals_mutex);
  // unix_ms mono_ms status path webhook-id (paths and ids carry no spaces)
  for (const auto& a : arrivals) {
    out << a.unix_ms << ' ' << a.mono_ms << ' ' << a.status << ' ' << a.path << ' '
        << (a.webhook_id.empty() ? "-" : a.webhook_id) << '\n';
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    parse(argc, argv);
    asio::io_context io(options.threads);
    std::optional<asio::ssl::context> ctx;
    if (!options.cert.empty()) {
      ctx.emplace(asio::ssl::context::tls_server);
      ctx->use_certificate_chain_file(options.cert);
      ctx->use_private_key_file(options.key, asio::ssl::context::pem);
      // Session resumption as a typical server offers it (tickets and the session cache), so
      // the benchmark sees whether the sender resumes.
      static const unsigned char session_context[] = "hookgate_sink";
      SSL_CTX_set_session_id_context(ctx->native_handle(), session_context,
                                     sizeof session_context - 1);
      SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_SERVER);
    }
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), options.port));
    acceptor.listen(4096);
    const auto port = acceptor.local_endpoint().port();
    if (!options.port_file.empty()) std::ofstream(options.port_file) << port << "\n";
    std::cout << "listening on 127.0.0.1:" << port << (ctx ? " (TLS)" : "") << std::endl;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const beast::error_code&, int) {
      beast::error_code ignored;
      acceptor.close(ignored);
      io.stop();
    });
    asio::co_spawn(io, accept_loop(acceptor, ctx ? &*ctx : nullptr), asio::detached);
    std::vector<std::jthread> threads;
    for (int i = 1; i < options.threads; ++i)
      threads.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : threads)
      t.join();
    write_log();
    std::cout << stats_json() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "hookgate_sink: " << e.what() << "\n";
    return 1;
  }
}
