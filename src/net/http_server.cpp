// The Beast/Asio HTTP server. All of Boost.Beast's server code lives in this one translation unit
// to keep builds fast. One Session per connection, for plain TCP and TLS alike (a template over
// the stream type); a connection reads one request at a time, so pipelining is bounded to one.
#include "hookgate/net/http_server.hpp"

#include <openssl/evp.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "hookgate/net/request_head.hpp"
#include "net/stream_outbox.hpp"

namespace hookgate::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// Counts open connections, in all and per peer address, for the connection bounds and for
// draining at stop. Touched once per connection opened and closed, never per request.
struct ConnectionGauge {
  std::atomic<std::size_t> open{0};
  std::mutex m;
  std::condition_variable idle;
  std::mutex peers_m;
  // Per client: an IPv4 address or an IPv6 /64 (IpAddress::client_key), so one IPv6 client
  // cannot take every connection by using a fresh address of its prefix for each.
  std::unordered_map<std::string, std::size_t> per_peer;

  static std::string key(const IpAddress& a) { return a.client_key(); }
  // False when the peer already holds `limit` connections.
  bool admit_peer(const IpAddress& peer, std::size_t limit) {
    const std::lock_guard lock(peers_m);
    const auto [it, fresh] = per_peer.try_emplace(key(peer), 0);
    if (it->second >= limit) {
      if (fresh) per_peer.erase(it);
      return false;
    }
    ++it->second;
    return true;
  }
  void release_peer(const IpAddress& peer) {
    const std::lock_guard lock(peers_m);
    const auto it = per_peer.find(key(peer));
    if (it != per_peer.end() && --it->second == 0) per_peer.erase(it);
  }
  void release() {
    if (open.fetch_sub(1) == 1) {
      const std::lock_guard lock(m);
      idle.notify_all();
    }
  }
};

HttpResponse plain(int status, std::string_view reason) {
  HttpResponse r;
  r.status = status;
  r.headers.add("Content-Type", "text/plain; charset=utf-8");
  r.body = std::string(reason) + "\n";
  return r;
}

// A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; they are IPv4 peers everywhere
// after this (allowlists, proxies, per-IP bounds, logs).
IpAddress to_ip(const tcp::endpoint& ep) {
  const auto a = ep.address();
  if (a.is_v4()) return IpAddress::v4(a.to_v4().to_uint());
  return IpAddress::v6(a.to_v6().to_bytes()).unmapped();
}

// The TLS session id context of a listener: a digest of what it accepts.
std::array<unsigned char, 32> session_context(const config::Listener& l) {
  const std::string identity = "hookgate listener\n" + l.address + "\n" + std::to_string(l.port) +
                               "\n" + l.tls_certificate + "\n" + l.client_ca + "\n" +
                               (l.require_client_certificate ? "required" : "optional");
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  EVP_Digest(identity.data(), identity.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

// How long accepting waits when the process is out of descriptors or memory.
constexpr std::chrono::milliseconds kAcceptPause{100};

constexpr std::size_t kReadReserve = 8 << 10;
// Beyond the head, the read buffer holds at most one read of body bytes or one chunk-size line:
// a chunk line longer than this fails the request instead of growing the buffer.
constexpr std::size_t kBodyReadRoom = 64 << 10;

// Chunk extensions carry nothing we use; bounded so a chunk-size line cannot be a payload.
struct ChunkExtensionBound {
  static constexpr std::size_t kMax = 256;
  void operator()(std::uint64_t, beast::string_view extensions, beast::error_code& ec) const {
    if (extensions.size() > kMax) ec = http::error::bad_chunk_extension;
  }
};

// An absolute-form target (RequestHeadCheck accepted its form) as its authority and its
// origin-form: "http://h:1/p?q" is "h:1" and "/p?q"; an empty path is "/".
std::pair<std::string, std::string> split_absolute(std::string_view target) {
  const auto start = target.find("://") + 3;
  const auto end = std::min(target.find_first_of("/?", start), target.size());
  std::string origin(target.substr(end));
  if (origin.empty() || origin.front() == '?') origin.insert(0, "/");
  return {std::string(target.substr(start, end - start)), std::move(origin)};
}

// How a response's body is delimited on the wire.
enum class Framing { length, chunked_stream, close_stream };

// HTTP/1.1 response head and body into one buffer, written with one call: Beast's serializer
// costs more than the rest of a small answer. Status 1xx, 204 and 304 carry no body and no
// Content-Length (RFC 9110, 8.6). A stream's head only: its body follows in chunks, or until
// the close for an HTTP/1.0 client. The answer to a HEAD request has the head a GET would get,
// Content-Length included, and never a body: body bytes after it would be read by the client
// (or a proxy in front) as the start of the next response on the connection (RFC 9110, 9.3.2).
// Refuses (false) a header with CR, LF or NUL in it.
bool serialize(const HttpResponse& res, bool keep_alive, std::string& out,
               Framing framing = Framing::length, bool head_request = false) {
  const auto status = static_cast<unsigned>(res.status);
  const bool bodyless = (status >= 100 && status < 200) || status == 204 || status == 304 ||
                        framing != Framing::length;
  out.clear();
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  const auto reason = http::obsolete_reason(static_cast<http::status>(status));
  out.append(reason.data(), reason.size());
  out += "\r\nServer: hookgate\r\n";
  for (const auto& [name, value] : res.headers.items()) {
    if (name.empty() || name.find_first_of(std::string_view("\r\n\0:", 4)) != std::string::npos ||
        value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return false;
    }
    if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Connection") ||
        beast::iequals(name, "Server") || beast::iequals(name, "Transfer-Encoding")) {
      continue;  // framing and identity are this function's
    }
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  if (!bodyless) {
    out += "Content-Length: ";
    out += std::to_string(res.body.size());
    out += "\r\n";
  }
  if (framing == Framing::chunked_stream) out += "Transfer-Encoding: chunked\r\n";
  if (!keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!bodyless && !head_request) out += res.body;
  return true;
}

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(Stream stream, const config::Limits& limits, HttpHandler& handler, ConnectionGauge& gauge,
          const IpAddress& peer, bool tls, bool require_client_cert)
      : stream_(std::move(stream)),
        limits_(limits),
        handler_(handler),
        gauge_(gauge),
        tls_(tls),
        require_client_cert_(require_client_cert),
        peer_(peer),
        buffer_(limits.max_header_bytes + kBodyReadRoom) {
    // Beast reads max(512, free capacity) bytes at a time: with room reserved, a typical webhook
    // (headers and a body of a few KiB) arrives in one read instead of three or more.
    buffer_.reserve(kReadReserve);
  }
  ~Session() {
    // The server stopped with the stream still open (its loop's handlers were destroyed): the
    // handler is still owed its end.
    if (sink_ && !stream_over_) sink_->on_closed();
    gauge_.release_peer(peer_);
    gauge_.release();
  }

  void run() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(limits_.header_timeout);
      stream_.async_handshake(
          ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
            if (ec) return self->close();
            // Read from the session, so a resumed session answers with the certificate and
            // verification of the handshake that created it; resumption never skips the check.
            self->client_cert_ =
                SSL_get0_peer_certificate(self->stream_.native_handle()) != nullptr &&
                SSL_get_verify_result(self->stream_.native_handle()) == X509_V_OK;
            if (self->require_client_cert_ && !self->client_cert_) return self->close();
            self->read_header(true);
          });
    } else {
      read_header(true);
    }
  }

 private:
  // Every request's head is checked on its raw bytes (RequestHeadCheck) before Beast parses
  // it, so framing that a lenient parser would read one way and a proxy another is refused, and
  // the connection closed, before anything after it can be taken for a request.
  void read_header(bool first) {
    head_request_ = false;
    head_.emplace(limits_.max_header_bytes);
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(limits_.max_header_bytes));
    // The real limit depends on the route and is set once the header is known.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    parser_->on_chunk_header(chunk_extensions_);
    // A kept-alive connection waits up to the idle timeout for the next request; from its first
    // byte on, the head must be complete within the header timeout, like the first request's.
    head_started_ = first || buffer_.size() > 0;
    beast::get_lowest_layer(stream_).expires_after(head_started_ ? limits_.header_timeout
                                                                 : limits_.idle_timeout);
    scan_head();
  }

  void scan_head() {
    const auto data = buffer_.data();
    const std::string_view bytes(static_cast<const char*>(data.data()), data.size());
    switch (head_->scan(bytes)) {
      case RequestHeadCheck::State::complete:
        return on_head(bytes.substr(0, head_->head_size()));
      case RequestHeadCheck::State::refused:
        return reply(plain(head_->status(), head_->reason()), false);
      case RequestHeadCheck::State::need_more:
        break;
    }
    // The head is shorter than max_header_bytes here, so the buffer (bounded above that) has
    // room; reading more than the head is fine, the rest is the body.
    const auto room = std::min(std::max<std::size_t>(512, buffer_.capacity() - buffer_.size()),
                               buffer_.max_size() - buffer_.size());
    stream_.async_read_some(buffer_.prepare(room), [self = this->shared_from_this()](
                                                       beast::error_code ec, std::size_t n) {
      self->buffer_.commit(n);
      if (ec) return self->close();
      if (!self->head_started_) {
        self->head_started_ = true;
        beast::get_lowest_layer(self->stream_).expires_after(self->limits_.header_timeout);
      }
      self->scan_head();
    });
  }

  void on_head(std::string_view head) {
    beast::error_code ec;
    const auto used = parser_->put(asio::buffer(head.data(), head.size()), ec);
    if (ec == http::error::header_limit)
      return reply(plain(431, "request headers too large"), false);
    if (ec || used != head.size() || !parser_->is_header_done())
      return reply(plain(400, "malformed request"), false);
    buffer_.consume(used);
    head_request_ = parser_->get().method() == http::verb::head;
    // Beast must have framed the body exactly as the check did; a disagreement is refused.
    const auto length = parser_->content_length();
    const bool agreed = [&] {
      switch (head_->framing()) {
        case BodyFraming::none:
          return !parser_->chunked() && !length;
        case BodyFraming::length:
          return !parser_->chunked() && length == head_->content_length();
        case BodyFraming::chunked:
          return parser_->chunked() && !length;
      }
      return false;
    }();
    if (!agreed) return reply(plain(400, "malformed request framing"), false);

    const auto& header = parser_->get();
    std::string_view path = header.target();
    std::string origin;
    if (head_->absolute_form()) {
      origin = split_absolute(path).second;
      path = origin;
    }
    const auto limit = handler_.body_limit(std::string_view(header.method_string()),
                                           path.substr(0, path.find('?')));
    if (length && *length > limit) return reply(plain(413, "body too large"), false);
    parser_->body_limit(limit);
    // One deadline for the whole body, however it trickles in.
    beast::get_lowest_layer(stream_).expires_after(limits_.body_timeout);
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      // Clients that wait for 100 Continue (curl does) would otherwise stall for a second.
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(
          stream_, *cont,
          [self = this->shared_from_this(), cont](beast::error_code wec, std::size_t) {
            if (wec) return self->close();
            self->read_body();
          });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_body(ec);
                     });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) return reply(plain(413, "body too large"), false);
    if (ec == beast::error::timeout) return reply(plain(408, "request timeout"), false);
    if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
        ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::operation_aborted) {
      return close();
    }
    // Malformed chunked framing (size, extensions, line endings, trailers) or a body that does
    // not fit the read buffer: refused, and nothing after it on the connection is read.
    if (ec) return reply(plain(400, "malformed request body"), false);
    auto message = parser_->release();
    keep_alive_ = message.keep_alive();
    http11_ = message.version() >= 11;
    HttpRequest req;
    req.method = std::string(message.method_string());
    req.target = std::string(message.target());
    // An absolute-form target's authority is the request's host, whatever Host says (RFC 9112
    // 3.2.2): handlers see one origin-form target and one Host, never two hosts to choose from.
    std::string host;
    if (head_->absolute_form()) std::tie(host, req.target) = split_absolute(req.target);
    req.path = req.target.substr(0, req.target.find('?'));
    // Only the header section: Beast appends trailer fields after it, and those were never
    // checked and must not pass for headers (RFC 9110 6.5.1).
    std::size_t fields = head_->field_count();
    for (const auto& field : message) {
      if (fields-- == 0) break;
      if (!host.empty() && beast::iequals(field.name_string(), "Host")) continue;
      req.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    if (!host.empty()) req.headers.add("Host", std::move(host));
    req.body = std::move(message.body());
    req.peer = peer_;
    req.tls = tls_;
    req.client_certificate = client_cert_;
    // The handler may answer from any thread: hop back onto this connection's strand.
    beast::get_lowest_layer(stream_).expires_never();
    handler_.handle(std::move(req), [self = this->shared_from_this()](HttpResponse res) {
      asio::post(self->stream_.get_executor(), [self, res = std::move(res)]() mutable {
        if (res.stream && self->head_request_) return self->reply_head_of_stream(res);
        if (res.stream) return self->start_stream(std::move(res));
        self->reply(std::move(res), self->keep_alive_);
      });
    });
  }

  void reply(const HttpResponse& res, bool keep_alive) {
    if (!serialize(res, keep_alive, wire_, Framing::length, head_request_)) {
      // A handler put a line break in a header: never let it split the response.
      serialize(plain(500, "internal error"), false, wire_);
      keep_alive = false;
    }
    beast::get_lowest_layer(stream_).expires_after(limits_.body_timeout);
    asio::async_write(
        stream_, asio::buffer(wire_),
        [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) return self->close();
          self->read_header(false);
        });
  }

  // A streaming response: the head, then whatever the handler writes, until either side ends
  // it. From the head on, nothing is read but the peer's close; the header, body and idle
  // timeouts no longer apply, the write timeout does (per slice of the queue).
  void start_stream(HttpResponse res) {
    sink_ = std::move(res.stream);
    stream_options_ = std::move(res.stream_options);
    // Nothing more is read from a stream's client: the request's buffers are given back, so an
    // idle stream costs little more than its socket.
    parser_.reset();
    head_.reset();
    buffer_.clear();
    buffer_.shrink_to_fit();
    const auto framing = http11_ ? Framing::chunked_stream : Framing::close_stream;
    if (!serialize(res, false, wire_, framing)) {
      serialize(plain(500, "internal error"), false, wire_);
      stream_over_ = true;
      sink_->on_closed();
      return reply_written();
    }
    std::weak_ptr<Session> weak = this->shared_from_this();
    auto executor = stream_.get_executor();
    outbox_ = std::make_shared<StreamOutbox>(
        stream_options_.max_queued_bytes, framing == Framing::chunked_stream,
        [weak, executor] {
          asio::post(executor, [weak] {
            if (auto self = weak.lock()) self->flush();
          });
        },
        [weak, executor] {
          asio::post(executor, [weak] {
            if (auto self = weak.lock()) self->end_stream(false);
          });
        });
    beast::get_lowest_layer(stream_).expires_after(stream_options_.write_timeout);
    asio::async_write(stream_, asio::buffer(wire_),
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->end_stream(false);
                        // Reads never time out from here; writes set their own deadline.
                        beast::get_lowest_layer(self->stream_).expires_never();
                        self->watch_peer();
                        self->beat();
                        self->sink_->on_open(self->outbox_);
                        self->flush();
                      });
  }

  // HEAD of a stream: the head a GET would get, and the stream is never opened (its sink is told
  // it closed, as when the head cannot be framed). The connection closes: a stream's head has no
  // length, so nothing could follow it on the connection.
  void reply_head_of_stream(const HttpResponse& res) {
    const auto framing = http11_ ? Framing::chunked_stream : Framing::close_stream;
    if (!serialize(res, false, wire_, framing))
      serialize(plain(500, "internal error"), false, wire_);
    res.stream->on_closed();
    reply_written();
  }

  // An answer that is not a stream after all (the head could not be framed): written, closed.
  void reply_written() {
    beast::get_lowest_layer(stream_).expires_after(limits_.body_timeout);
    asio::async_write(
        stream_, asio::buffer(wire_),
        [self = this->shared_from_this()](beast::error_code, std::size_t) { self->close(); });
  }

  // A stream's client sends nothing after its request: any byte or the end of its side ends
  // the stream (so a vanished client does not hold it until the next write fails).
  void watch_peer() {
    stream_.async_read_some(asio::buffer(peek_),
                            [self = this->shared_from_this()](beast::error_code, std::size_t) {
                              self->end_stream(false);
                            });
  }

  void beat() {
    if (stream_options_.heartbeat.count() <= 0 || stream_over_) return;
    if (!heartbeat_) heartbeat_.emplace(stream_.get_executor());
    heartbeat_->expires_after(stream_options_.heartbeat);
    heartbeat_->async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (ec || self->stream_over_) return;
      if (self->outbox_->idle()) self->outbox_->write(self->stream_options_.heartbeat_bytes);
      self->beat();
    });
  }

  void flush() {
    static constexpr std::size_t kSlice = 64 << 10;
    if (writing_ || stream_over_) return;
    bool finish = false;
    if (!outbox_->take(segments_, kSlice, finish)) return sink_->on_drained();
    // One gathering write from the queued buffers themselves: a batch shared by many streams
    // goes to each socket without a copy into this connection.
    gather_.clear();
    for (const auto& s : segments_)
      gather_.emplace_back(s.data(), s.size);
    writing_ = true;
    beast::get_lowest_layer(stream_).expires_after(stream_options_.write_timeout);
    asio::async_write(
        stream_, gather_,
        [self = this->shared_from_this(), finish](beast::error_code ec, std::size_t n) {
          self->writing_ = false;
          self->segments_.clear();  // lets go of the batches written, as the queue did
          self->outbox_->sent(n);
          if (ec || finish) return self->end_stream(!ec);
          self->flush();
        });
  }

  // Once per stream: the handler is told, and the connection closes (after the last chunk
  // cleanly; otherwise at once, which also cancels what is pending on it).
  void end_stream(bool clean) {
    if (stream_over_) return;
    stream_over_ = true;
    if (outbox_) outbox_->end();
    if (heartbeat_) heartbeat_->cancel();
    sink_->on_closed();
    // The last chunk (or the close, for HTTP/1.0) tells the client the body is complete; the
    // client sends nothing on a stream, so closing at once loses nothing it could read.
    beast::error_code ec;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    if (clean) socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }

  void close() {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ignored;
        beast::get_lowest_layer(self->stream_)
            .socket()
            .shutdown(tcp::socket::shutdown_both, ignored);
      });
    } else {
      beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ec);
      linger();
    }
  }

  // After an early answer (413 before the body, 400) the client may still be sending. Closing
  // with unread data makes the kernel send a reset, which can destroy the answer before the
  // client reads it; so read and discard for a bounded time and size first.
  void linger() {
    static constexpr std::size_t kMaxDrainBytes = 4 << 20;
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
    auto chunk = std::make_shared<std::array<char, 16384>>();
    beast::get_lowest_layer(stream_).async_read_some(
        asio::buffer(*chunk),
        [self = this->shared_from_this(), chunk](beast::error_code ec, std::size_t n) {
          self->drained_ += n;
          if (ec || self->drained_ > kMaxDrainBytes) return;
          self->linger();
        });
  }

  Stream stream_;
  const config::Limits& limits_;
  HttpHandler& handler_;
  ConnectionGauge& gauge_;
  bool tls_;
  bool require_client_cert_;
  bool client_cert_ = false;
  bool keep_alive_ = false;
  bool http11_ = true;
  bool head_request_ = false;
  std::size_t drained_ = 0;
  bool head_started_ = false;  // a byte of the current request has arrived
  ChunkExtensionBound chunk_extensions_;
  IpAddress peer_;    // read once at accept: it cannot change for a connection
  std::string wire_;  // the response being written; one at a time per connection
  beast::flat_buffer buffer_;
  std::optional<RequestHeadCheck> head_;
  std::optional<http::request_parser<http::string_body>> parser_;
  // A streaming response's state, touched on this connection's thread only.
  std::shared_ptr<StreamSink> sink_;
  StreamOptions stream_options_;
  std::shared_ptr<StreamOutbox> outbox_;
  std::vector<StreamOutbox::Segment> segments_;  // what the write under way sends
  std::vector<asio::const_buffer> gather_;       // the same, as the socket takes it
  std::optional<asio::steady_timer> heartbeat_;
  std::array<char, 16> peek_{};
  bool writing_ = false;
  bool stream_over_ = false;
};

}  // namespace

struct HttpServer::Impl {
  // Declaration order is destruction order reversed: sessions die with contexts, and they use the
  // gauge, limits and TLS contexts, so those are declared before it.
  std::vector<config::Listener> listeners;
  config::Limits limits;
  HttpHandler& handler;
  std::size_t thread_count;
  ConnectionGauge gauge;
  std::vector<std::unique_ptr<ssl::context>> tls;  // one per listener, null for plain
  // One io_context per thread, each run by that thread alone, as event loops per core: a
  // connection lives on one of them, so its handlers never need a strand and the threads never
  // contend for one scheduler. Acceptors live on the first; connections are dealt round robin.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::size_t next_context = 0;  // touched only by accept handlers, which run on contexts[0]
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::unique_ptr<asio::steady_timer>> accept_pauses;  // one per acceptor
  std::vector<std::thread> threads;
  std::atomic<bool> accepting{false};
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;

  Impl(std::vector<config::Listener> l, config::Limits lim, HttpHandler& h, std::size_t n)
      : listeners(std::move(l)),
        limits(lim),
        handler(h),
        thread_count(std::max<std::size_t>(n, 1)) {
    for (std::size_t i = 0; i < thread_count; ++i)
      contexts.push_back(std::make_unique<asio::io_context>(1));
  }

  asio::io_context& next() {
    auto& ctx = *contexts[next_context];
    next_context = (next_context + 1) % contexts.size();
    return ctx;
  }

  // Over either bound (all connections, or this peer's): refused at once rather than queued
  // without limit, so one client cannot hold every connection.
  void admit(std::size_t index, tcp::socket socket) {
    beast::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) return;  // already gone
    const auto peer = to_ip(endpoint);
    if (gauge.open.fetch_add(1) >= limits.max_connections) {
      gauge.release();
      socket.close(ec);
      return;
    }
    if (!gauge.admit_peer(peer, limits.max_connections_per_ip)) {
      gauge.release();
      socket.close(ec);
      return;
    }
    if (tls[index]) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls[index]),
          limits, handler, gauge, peer, true, listeners[index].require_client_certificate)
          ->run();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), limits,
                                                   handler, gauge, peer, false, false)
          ->run();
    }
  }

  void accept(std::size_t index) {
    acceptors[index]->async_accept(next(), [this, index](beast::error_code ec, tcp::socket socket) {
      if (!accepting) return;
      if (!ec) admit(index, std::move(socket));
      if (out_of_resources(ec)) return pause_accepting(index);
      accept(index);
    });
  }

  // Out of descriptors or kernel memory, accept fails at once for as long as a connection waits
  // in the backlog: accepting again straight away would spin this loop (which also serves
  // connections) at full speed until one closes. The backlog waits a moment instead.
  static bool out_of_resources(const beast::error_code& ec) {
    return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
           ec == asio::error::no_memory ||
           ec == beast::error_code(ENFILE, boost::system::system_category());
  }
  void pause_accepting(std::size_t index) {
    auto& timer = *accept_pauses[index];
    timer.expires_after(kAcceptPause);
    timer.async_wait([this, index](beast::error_code ec) {
      if (ec || !accepting) return;
      accept(index);
    });
  }

  // Every connection is a descriptor, and the store, the outbound connections and the files the
  // gateway opens need theirs: connections may take at most half of what the process may open,
  // so a flood of them cannot leave the rest of the gateway without. Returns the bound kept.
  std::size_t bound_connections_by_descriptors() {
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
      const auto room = std::max<std::size_t>(1, static_cast<std::size_t>(files.rlim_cur) / 2);
      limits.max_connections = std::min(limits.max_connections, room);
    }
    return limits.max_connections;
  }
};

HttpServer::HttpServer(std::vector<config::Listener> listeners, config::Limits limits,
                       HttpHandler& handler, std::size_t threads)
    : impl_(std::make_unique<Impl>(std::move(listeners), limits, handler, threads)) {}

HttpServer::~HttpServer() {
  stop(std::chrono::milliseconds(0));
}

Result<bool> HttpServer::start() {
  auto& im = *impl_;
  for (const auto& l : im.listeners) {
    if (l.tls_certificate.empty()) {
      im.tls.push_back(nullptr);
      continue;
    }
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    beast::error_code ec;
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    ctx->use_certificate_chain_file(l.tls_certificate, ec);
    if (ec) return Error{"cannot load certificate " + l.tls_certificate + ": " + ec.message()};
    ctx->use_private_key_file(l.tls_private_key, ssl::context::pem, ec);
    if (ec) return Error{"cannot load private key " + l.tls_private_key + ": " + ec.message()};
    // Sessions are cached (TLS 1.2) and ticketed (TLS 1.3) per context; OpenSSL refuses to
    // resume a session with a verified peer unless the context names itself (alert 80 without
    // it). The name is this listener's identity, so a session never crosses listeners.
    const auto sid = session_context(l);
    SSL_CTX_set_session_id_context(ctx->native_handle(), sid.data(),
                                   static_cast<unsigned int>(sid.size()));
    if (!l.client_ca.empty()) {
      ctx->load_verify_file(l.client_ca, ec);
      if (ec) return Error{"cannot load client CA " + l.client_ca + ": " + ec.message()};
      ctx->set_verify_mode(
          ssl::verify_peer |
          (l.require_client_certificate ? ssl::verify_fail_if_no_peer_cert : ssl::verify_none));
    }
    im.tls.push_back(std::move(ctx));
  }
  for (const auto& l : im.listeners) {
    beast::error_code ec;
    const auto address = asio::ip::make_address(l.address, ec);
    if (ec) return Error{"cannot listen on " + l.address + ": not an IP address"};
    auto acceptor = std::make_unique<tcp::acceptor>(*im.contexts.front());
    const tcp::endpoint ep(address, l.port);
    acceptor->open(ep.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(ep, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      im.acceptors.clear();
      im.accept_pauses.clear();
      return Error{"cannot listen on " + l.address + ":" + std::to_string(l.port) + ": " +
                   ec.message()};
    }
    im.acceptors.push_back(std::move(acceptor));
    im.accept_pauses.push_back(std::make_unique<asio::steady_timer>(*im.contexts.front()));
  }
  im.bound_connections_by_descriptors();
  im.accepting = true;
  for (auto& ctx : im.contexts)
    im.work.emplace_back(ctx->get_executor());
  for (std::size_t i = 0; i < im.acceptors.size(); ++i)
    im.accept(i);
  for (auto& ctx : im.contexts) {
    im.threads.emplace_back([&ctx = *ctx] { ctx.run(); });
  }
  return true;
}

std::size_t HttpServer::max_connections() const {
  return impl_->limits.max_connections;
}

std::vector<std::uint16_t> HttpServer::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& a : impl_->acceptors) {
    beast::error_code ec;
    out.push_back(a->local_endpoint(ec).port());
  }
  return out;
}

void HttpServer::stop(std::chrono::milliseconds drain) {
  auto& im = *impl_;
  if (im.threads.empty()) return;
  im.accepting = false;
  asio::post(*im.contexts.front(), [&im] {
    for (auto& a : im.acceptors) {
      beast::error_code ec;
      a->close(ec);
    }
  });
  {
    std::unique_lock lock(im.gauge.m);
    im.gauge.idle.wait_for(lock, drain, [&] { return im.gauge.open.load() == 0; });
  }
  im.work.clear();
  for (auto& ctx : im.contexts)
    ctx->stop();
  for (auto& t : im.threads)
    t.join();
  im.threads.clear();
}

}  // namespace hookgate::net
