// The Beast/Asio HTTP client: all of Boost.Beast's client code lives in this one translation
// unit. Each request runs on its own io_context on the calling thread, one step at a time; the
// steps share one deadline through beast::tcp_stream's timeout, which closes the socket when it
// passes, so no step can outlive the request.
#include "hookgate/net/http_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "net/http_client_rules.hpp"

namespace hookgate::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Lookups still running after their request gave up; each holds a thread until getaddrinfo
// returns, so their number is bounded.
constexpr std::size_t kMaxLingeringLookups = 64;
// Interim (1xx) responses skipped before the final one.
constexpr int kMaxInterimResponses = 8;

// One name lookup, shared by the request waiting for it and the thread doing it.
struct Lookup {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  beast::error_code ec;
  std::vector<tcp::endpoint> endpoints;
};

struct Lingering {
  std::shared_ptr<Lookup> lookup;
  std::thread thread;
};

using detail::check_request;
using detail::describe;
using detail::failure;
using detail::lower_first;
using detail::timeout_error;
using detail::to_ip;

// Starts one asynchronous operation and runs the request's io_context until it completes. The
// stream's expiry (set by the caller) bounds it: on expiry Beast closes the socket and the
// operation completes with beast::error::timeout.
template <class Start>
beast::error_code run(asio::io_context& ioc, Start start) {
  beast::error_code result = asio::error::operation_aborted;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

}  // namespace

struct HttpClient::Impl {
  HttpClientOptions options;
  std::unique_ptr<ssl::context> tls;

  mutable std::mutex lingering_m;
  mutable std::vector<Lingering> lingering;

  ~Impl() { reap(true); }

  // Joins the lookups that finished (all of them when wait).
  void reap(bool wait) const {
    std::vector<Lingering> finished;
    {
      const std::lock_guard lock(lingering_m);
      auto keep = lingering.begin();
      for (auto& l : lingering) {
        bool done = wait;
        if (!done) {
          const std::lock_guard inner(l.lookup->m);
          done = l.lookup->done;
        }
        if (done) {
          finished.push_back(std::move(l));
        } else {
          *keep++ = std::move(l);
        }
      }
      lingering.erase(keep, lingering.end());
    }
    for (auto& l : finished)
      l.thread.join();
  }

  Result<std::vector<tcp::endpoint>> resolve(const HttpUrl& url, Clock::time_point deadline,
                                             std::chrono::milliseconds timeout) const;
  Result<HttpClientResponse> exchange(const OutboundRequest& request, const HttpUrl& url,
                                      Clock::time_point start,
                                      std::chrono::milliseconds timeout) const;
  template <class Stream>
  Result<HttpClientResponse> talk(asio::io_context& ioc, Stream& stream,
                                  const OutboundRequest& request, const HttpUrl& url,
                                  Clock::time_point start, std::chrono::milliseconds timeout) const;
};

// The system resolver blocks and cannot be cancelled, so it runs on a thread of its own and the
// request waits for it only until the deadline.
Result<std::vector<tcp::endpoint>> HttpClient::Impl::resolve(
    const HttpUrl& url, Clock::time_point deadline, std::chrono::milliseconds timeout) const {
  reap(false);
  {
    const std::lock_guard lock(lingering_m);
    if (lingering.size() >= kMaxLingeringLookups) {
      return Error{"dns: " + url.host + ": too many earlier lookups still unanswered"};
    }
  }
  auto lookup = std::make_shared<Lookup>();
  std::thread thread;
  try {
    thread = std::thread([lookup, host = url.host, port = std::to_string(url.port)] {
      asio::io_context ioc(1);
      tcp::resolver resolver(ioc);
      beast::error_code ec;
      // No AI_ADDRCONFIG: a host with only loopback configured must still see every address.
      const auto results = resolver.resolve(host, port, tcp::resolver::numeric_service, ec);
      std::vector<tcp::endpoint> endpoints;
      if (!ec) {
        for (const auto& r : results)
          endpoints.push_back(r.endpoint());
      }
      const std::lock_guard lock(lookup->m);
      lookup->ec = ec;
      lookup->endpoints = std::move(endpoints);
      lookup->done = true;
      lookup->cv.notify_all();
    });
  } catch (const std::system_error& e) {
    return Error{"dns: " + url.host + ": cannot start a lookup: " + e.what()};
  }
  bool done = false;
  {
    std::unique_lock lock(lookup->m);
    done = lookup->cv.wait_until(lock, deadline, [&] { return lookup->done; });
  }
  if (!done) {
    const std::lock_guard lock(lingering_m);
    lingering.push_back(Lingering{lookup, std::move(thread)});
    return Error{timeout_error(timeout, "resolving " + url.host)};
  }
  thread.join();
  if (lookup->ec) return Error{"dns: " + url.host + ": " + lower_first(lookup->ec.message())};
  if (lookup->endpoints.empty()) return Error{"dns: " + url.host + ": no addresses"};
  return std::move(lookup->endpoints);
}

Result<HttpClientResponse> HttpClient::Impl::exchange(const OutboundRequest& request,
                                                      const HttpUrl& url, Clock::time_point start,
                                                      std::chrono::milliseconds timeout) const {
  const auto deadline = start + timeout;
  std::vector<tcp::endpoint> candidates;
  if (url.ip) {
    const auto& bytes = url.ip->v6_bytes();
    const asio::ip::address address =
        url.ip->is_v4() ? asio::ip::address(asio::ip::address_v4(url.ip->v4_value()))
                        : asio::ip::address(asio::ip::address_v6(bytes));
    candidates.emplace_back(address, url.port);
  } else {
    auto resolved = resolve(url, deadline, timeout);
    if (!resolved) return Error{resolved.error()};
    candidates = std::move(*resolved);
  }

  // Every address is judged before any is dialled; only those that pass are tried.
  std::vector<tcp::endpoint> allowed;
  std::string refused;
  for (const auto& ep : candidates) {
    if (std::find(allowed.begin(), allowed.end(), ep) != allowed.end()) continue;
    if (const auto why = options.policy.refusal(to_ip(ep.address()))) {
      if (refused.find(*why) == std::string::npos) refused += (refused.empty() ? "" : ", ") + *why;
      continue;
    }
    allowed.push_back(ep);
  }
  if (allowed.empty()) {
    return Error{std::string(kAddressRefused) + " " + url.host + ": " +
                 (url.ip ? refused : "resolves only to refused addresses (" + refused + ")")};
  }

  asio::io_context ioc(1);
  std::optional<beast::tcp_stream> connected;
  std::string failures;
  for (const auto& ep : allowed) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) break;
    const auto attempt_timeout = std::min<Clock::duration>(
        left, std::chrono::duration_cast<Clock::duration>(options.connect_timeout));
    beast::tcp_stream stream(ioc);
    stream.expires_after(attempt_timeout);
    const auto ec = run(ioc, [&](auto handler) { stream.async_connect(ep, std::move(handler)); });
    if (!ec) {
      // The address actually reached is judged again: the connect went to ep, and ep passed, but
      // nothing that reaches a socket goes unchecked.
      beast::error_code peer_ec;
      const auto peer = stream.socket().remote_endpoint(peer_ec);
      if (peer_ec) {
        failures += (failures.empty() ? "" : "; ") + lower_first(peer_ec.message()) + " (" +
                    describe(ep) + ")";
        continue;
      }
      if (const auto why = options.policy.refusal(to_ip(peer.address()))) {
        return Error{std::string(kAddressRefused) + " " + url.host + ": connected to " + *why};
      }
      connected.emplace(std::move(stream));
      break;
    }
    std::string what =
        ec == beast::error::timeout
            ? "timeout after " +
                  std::to_string(
                      std::chrono::duration_cast<std::chrono::milliseconds>(attempt_timeout)
                          .count()) +
                  " ms"
            : lower_first(ec.message());
    failures += (failures.empty() ? "" : "; ") + what + " (" + describe(ep) + ")";
  }
  if (!connected) {
    if (Clock::now() >= deadline) return Error{timeout_error(timeout, "connecting to " + url.host)};
    return Error{"connect: " + failures};
  }

  if (!url.https) {
    connected->expires_at(deadline);
    return talk(ioc, *connected, request, url, start, timeout);
  }

  beast::ssl_stream<beast::tcp_stream> stream(std::move(*connected), *tls);
  SSL* ssl_handle = stream.native_handle();
  detail::set_tls_peer_checks(ssl_handle, url);
  beast::get_lowest_layer(stream).expires_at(deadline);
  const auto ec = run(ioc, [&](auto handler) {
    stream.async_handshake(ssl::stream_base::client, std::move(handler));
  });
  if (ec) {
    if (ec == beast::error::timeout) return Error{timeout_error(timeout, "TLS handshake")};
    return Error{detail::handshake_failure(ssl_handle, ec)};
  }
  return talk(ioc, stream, request, url, start, timeout);
}

template <class Stream>
Result<HttpClientResponse> HttpClient::Impl::talk(asio::io_context& ioc, Stream& stream,
                                                  const OutboundRequest& request,
                                                  const HttpUrl& url, Clock::time_point start,
                                                  std::chrono::milliseconds timeout) const {
  HttpClientResponse out;
  out.connect_time = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  {
    beast::error_code ec;
    const auto peer = beast::get_lowest_layer(stream).socket().remote_endpoint(ec);
    if (!ec) out.peer = describe(peer);
  }

  http::request<http::string_body> req;
  req.version(11);
  req.method_string(request.method);
  req.target(url.target);
  req.set(http::field::host, url.authority());
  for (const auto& [name, value] : request.headers.items())
    req.insert(name, value);
  req.set(http::field::connection, "close");
  req.body() = request.body;
  req.prepare_payload();
  auto ec = run(ioc, [&](auto handler) { http::async_write(stream, req, std::move(handler)); });
  if (ec == beast::error::timeout) return Error{timeout_error(timeout, "sending the request")};
  if (ec) return Error{failure("write", ec)};

  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::buffer_body>> parser;
  for (int interim = 0;; ++interim) {
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
        options.max_response_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser->body_limit(boost::none);
    if (beast::iequals(request.method, "HEAD")) parser->skip(true);
    ec = run(ioc, [&](auto handler) {
      http::async_read_header(stream, buffer, *parser, std::move(handler));
    });
    if (ec == beast::error::timeout) {
      return Error{timeout_error(timeout, "waiting for the response")};
    }
    if (ec == http::error::header_limit) {
      return Error{"read: response headers larger than " +
                   std::to_string(options.max_response_header_bytes) + " bytes"};
    }
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == ssl::error::stream_truncated) {
      return Error{"read: connection closed before a response"};
    }
    if (ec) return Error{failure("read", ec)};
    const int status = static_cast<int>(parser->get().result_int());
    // Interim answers (100 Continue, 103 Early Hints) precede the real one; 101 would switch
    // protocols, which this client never asks for.
    if (status < 100 || status >= 200 || status == 101) break;
    if (interim == kMaxInterimResponses) return Error{"read: too many interim responses"};
  }

  const auto& header = parser->get();
  out.status = static_cast<int>(header.result_int());
  for (const auto& field : header)
    out.headers.add(std::string(field.name_string()), std::string(field.value()));

  // The body is kept up to the cap; reading stops there. A body that breaks off, or outlives
  // the deadline, still leaves the status: the server has answered.
  const std::size_t cap = options.max_response_body_bytes;
  std::array<char, 16384> chunk{};
  while (!parser->is_done()) {
    if (out.body.size() >= cap) {
      out.body_truncated = true;
      break;
    }
    parser->get().body().data = chunk.data();
    parser->get().body().size = chunk.size();
    ec = run(ioc,
             [&](auto handler) { http::async_read(stream, buffer, *parser, std::move(handler)); });
    const std::size_t n = chunk.size() - parser->get().body().size;
    const std::size_t keep = std::min(n, cap - out.body.size());
    out.body.append(chunk.data(), keep);
    if (keep < n) out.body_truncated = true;
    if (ec == http::error::need_buffer) continue;
    if (ec == ssl::error::stream_truncated && parser->need_eof()) {
      // The server closed without TLS close_notify; for a body delimited by the close, that is
      // its end, as browsers and curl take it.
      beast::error_code eof_ec;
      parser->put_eof(eof_ec);
      if (eof_ec) out.body_truncated = true;
      break;
    }
    if (ec) {
      out.body_truncated = true;
      break;
    }
  }
  beast::error_code ignored;
  beast::get_lowest_layer(stream).socket().close(ignored);
  out.total_time = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return out;
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

const HttpClientOptions& HttpClient::options() const {
  return impl_->options;
}

Result<HttpClient> HttpClient::create(HttpClientOptions options) {
  auto impl = std::make_unique<Impl>();
  auto ctx = detail::make_client_tls_context(options);
  if (!ctx) return Error{ctx.error()};
  impl->options = std::move(options);
  impl->tls = std::move(*ctx);
  return HttpClient(std::move(impl));
}

Result<HttpClientResponse> HttpClient::post(const OutboundRequest& request) const {
  const auto start = Clock::now();
  const auto timeout = request.timeout.value_or(impl_->options.timeout);
  if (timeout <= std::chrono::milliseconds::zero())
    return Error{"request: timeout must be positive"};
  auto url = parse_http_url(request.url);
  if (!url) return Error{"url: " + url.error()};
  if (const auto why = impl_->options.policy.refusal(*url)) {
    return Error{std::string(kAddressRefused) + " " + url->host + ": " + *why};
  }
  if (const auto bad = check_request(request)) return Error{*bad};
  return impl_->exchange(request, *url, start, timeout);
}

}  // namespace hookgate::net
