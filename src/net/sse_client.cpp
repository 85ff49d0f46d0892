// The Beast/Asio text/event-stream client: Boost.Beast's streaming-read code for `listen` and
// `tail` lives in this one translation unit. Each stream owns an io_context run on the calling
// thread one operation at a time; beast::tcp_stream's expiry bounds every operation (it closes
// the socket when it passes).
#include "hookgate/net/sse_client.hpp"

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <limits>

#include "hookgate/net/http_url.hpp"
#include "net/http_client_rules.hpp"

namespace hookgate::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

template <class Start>
beast::error_code run(asio::io_context& ioc, Start start) {
  beast::error_code result = asio::error::operation_aborted;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

bool is_closed(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == ssl::error::stream_truncated || ec == asio::error::connection_reset;
}

std::string seconds_text(std::chrono::milliseconds ms) {
  return std::to_string(ms.count() / 1000) + "." + std::to_string((ms.count() % 1000) / 100) + " s";
}

}  // namespace

struct SseStream::Impl {
  SseClientOptions options;
  asio::io_context ioc{1};
  std::unique_ptr<ssl::context> tls_context;
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::buffer_body>> parser;
  SseParser sse;
  std::deque<SseMessage> pending;
  bool ended = false;

  explicit Impl(const SseClientOptions& o) : options(o), sse(o.max_message_bytes) {}

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  template <class F>
  beast::error_code with_stream(F f) {
    if (tls) return run(ioc, [&](auto handler) { f(*tls, std::move(handler)); });
    return run(ioc, [&](auto handler) { f(*plain, std::move(handler)); });
  }

  // Reads some of the body into chunk; returns the bytes read and the error of the read.
  std::pair<std::size_t, beast::error_code> read_body(std::array<char, 16384>& chunk) {
    parser->get().body().data = chunk.data();
    parser->get().body().size = chunk.size();
    const auto ec = with_stream([&](auto& s, auto handler) {
      http::async_read_some(s, buffer, *parser, std::move(handler));
    });
    return {chunk.size() - parser->get().body().size, ec};
  }

  void close() {
    beast::error_code ignored;
    if (plain || tls) lowest().socket().close(ignored);
  }
};

SseStream::SseStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SseStream::~SseStream() {
  if (impl_) impl_->close();
}

SseStream::Opened SseStream::open(const SseClientOptions& options, const std::string& url_text,
                                  const schemes::HeaderList& headers) {
  Opened out;
  auto fail = [&out](std::string error) -> Opened {
    out.refusal.error = std::move(error);
    return std::move(out);
  };
  auto url = parse_http_url(url_text);
  if (!url) return fail("url: " + url.error());
  OutboundRequest check;
  check.method = "GET";
  check.headers = headers;
  if (const auto bad = detail::check_request(check)) return fail(*bad);

  auto impl = std::make_unique<Impl>(options);
  const auto deadline = Clock::now() + options.open_timeout;
  const auto timed_out = [&](const std::string& step) {
    return detail::timeout_error(options.open_timeout, step);
  };

  std::vector<tcp::endpoint> endpoints;
  if (url->ip) {
    endpoints.emplace_back(detail::to_asio(*url->ip), url->port);
  } else {
    // The system resolver cannot be interrupted: its own timeout (resolv.conf) bounds a lookup
    // that outlives this deadline.
    tcp::resolver resolver(impl->ioc);
    asio::steady_timer timer(impl->ioc);
    timer.expires_at(deadline);
    bool timer_fired = false;
    beast::error_code ec = asio::error::operation_aborted;
    resolver.async_resolve(url->host, std::to_string(url->port), tcp::resolver::numeric_service,
                           [&](beast::error_code e, const tcp::resolver::results_type& results) {
                             ec = e;
                             for (const auto& r : results)
                               endpoints.push_back(r.endpoint());
                             timer.cancel();
                           });
    timer.async_wait([&](beast::error_code e) {
      if (!e) {
        timer_fired = true;
        resolver.cancel();
      }
    });
    impl->ioc.restart();
    impl->ioc.run();
    if (timer_fired) return fail(timed_out("resolving " + url->host));
    if (ec) return fail("dns: " + url->host + ": " + detail::lower_first(ec.message()));
    if (endpoints.empty()) return fail("dns: " + url->host + ": no addresses");
  }

  impl->plain.emplace(impl->ioc);
  impl->plain->expires_at(deadline);
  auto ec = run(impl->ioc,
                [&](auto handler) { impl->plain->async_connect(endpoints, std::move(handler)); });
  if (ec == beast::error::timeout) return fail(timed_out("connecting to " + url->host));
  if (ec) return fail("connect: " + url->host + ": " + detail::lower_first(ec.message()));

  if (url->https) {
    HttpClientOptions tls_options;
    tls_options.ca_file = options.ca_file;
    auto ctx = detail::make_client_tls_context(tls_options);
    if (!ctx) return fail("tls: " + ctx.error());
    impl->tls_context = std::move(*ctx);
    impl->tls.emplace(std::move(*impl->plain), *impl->tls_context);
    impl->plain.reset();
    SSL* handle = impl->tls->native_handle();
    detail::set_tls_peer_checks(handle, *url);
    beast::get_lowest_layer(*impl->tls).expires_at(deadline);
    ec = run(impl->ioc, [&](auto handler) {
      impl->tls->async_handshake(ssl::stream_base::client, std::move(handler));
    });
    if (ec == beast::error::timeout) return fail(timed_out("TLS handshake"));
    if (ec) return fail(detail::handshake_failure(handle, ec));
  }

  http::request<http::empty_body> req;
  req.version(11);
  req.method(http::verb::get);
  req.target(url->target);
  req.set(http::field::host, url->authority());
  req.set(http::field::accept, "text/event-stream");
  req.set(http::field::cache_control, "no-cache");
  for (const auto& [name, value] : headers.items())
    req.insert(name, value);
  impl->lowest().expires_at(deadline);
  ec = impl->with_stream(
      [&](auto& s, auto handler) { http::async_write(s, req, std::move(handler)); });
  if (ec == beast::error::timeout) return fail(timed_out("sending the request"));
  if (ec) return fail(detail::failure("write", ec));

  impl->parser.emplace();
  impl->parser->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  impl->parser->body_limit(boost::none);
  ec = impl->with_stream([&](auto& s, auto handler) {
    http::async_read_header(s, impl->buffer, *impl->parser, std::move(handler));
  });
  if (ec == beast::error::timeout) return fail(timed_out("waiting for the response"));
  if (ec == http::error::header_limit) return fail("read: response headers too large");
  if (is_closed(ec)) return fail("read: connection closed before a response");
  if (ec) return fail(detail::failure("read", ec));

  const auto& head = impl->parser->get();
  const int status = static_cast<int>(head.result_int());
  out.refusal.status = status;
  if (status != 200) {
    // The refusal's body names the reason (the gateway's error code): keep an excerpt.
    std::array<char, 16384> chunk{};
    while (!impl->parser->is_done() && out.refusal.body.size() < options.max_error_body_bytes) {
      const auto [n, read_ec] = impl->read_body(chunk);
      out.refusal.body.append(chunk.data(),
                              std::min(n, options.max_error_body_bytes - out.refusal.body.size()));
      if (read_ec && read_ec != http::error::need_buffer) break;
    }
    out.refusal.error = "HTTP " + std::to_string(status);
    return out;
  }
  const auto type = head[http::field::content_type];
  if (!beast::iequals(type.substr(0, std::min<std::size_t>(type.size(), 17)),
                      "text/event-stream")) {
    return fail("not an event stream (Content-Type is not text/event-stream)");
  }
  out.refusal.status = 0;
  out.stream = std::unique_ptr<SseStream>(new SseStream(std::move(impl)));
  return out;
}

Result<std::optional<SseMessage>> SseStream::next() {
  auto& s = *impl_;
  std::array<char, 16384> chunk{};
  while (s.pending.empty()) {
    if (s.ended || s.parser->is_done()) {
      s.ended = true;
      return std::optional<SseMessage>();
    }
    s.lowest().expires_after(s.options.idle_timeout);
    auto [n, ec] = s.read_body(chunk);
    std::vector<SseMessage> out;
    if (auto bad = s.sse.feed(std::string_view(chunk.data(), n), out)) {
      s.close();
      return Error{"stream: " + *bad};
    }
    for (auto& m : out)
      s.pending.push_back(std::move(m));
    if (!ec || ec == http::error::need_buffer) continue;
    if (ec == beast::error::timeout) {
      s.close();
      return Error{"stream: nothing received for " + seconds_text(s.options.idle_timeout)};
    }
    if (is_closed(ec) && s.parser->need_eof()) {
      s.ended = true;  // a body delimited by the close (HTTP/1.0): the close is its end
      break;
    }
    s.close();
    if (is_closed(ec)) return Error{"stream: the connection closed mid-stream"};
    return Error{detail::failure("stream", ec)};
  }
  if (s.pending.empty()) return std::optional<SseMessage>();
  auto m = std::move(s.pending.front());
  s.pending.pop_front();
  return std::optional<SseMessage>(std::move(m));
}

}  // namespace hookgate::net
