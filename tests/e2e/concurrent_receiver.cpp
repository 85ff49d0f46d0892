// The receiver's sessions: read a request, ask the handler, answer (now, after a timer, or when
// released), then read the next request on the same connection while it is kept alive.
#include "concurrent_receiver.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <thread>

namespace hookgate::e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

class Session;

}  // namespace

struct ConcurrentReceiver::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  Handler handler;
  mutable std::mutex m;
  std::vector<Hit> hits;
  std::vector<std::shared_ptr<Session>> held;
  std::size_t connections = 0;
  std::thread thread;

  void accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ConcurrentReceiver::Impl& owner)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), owner_(owner) {}

  void read() {
    request_ = {};
    http::async_read(socket_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       if (!ec) self->received();
                     });
  }

  // On the loop thread.
  void answer(int status) {
    response_ = {};
    response_.version(11);
    response_.result(static_cast<unsigned>(status));
    response_.keep_alive(request_.keep_alive());
    response_.set(http::field::content_type, "text/plain");
    response_.body() = "ok";
    response_.prepare_payload();
    http::async_write(socket_, response_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        if (self->response_.keep_alive()) {
                          self->read();
                        } else {
                          beast::error_code ignored;
                          self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                        }
                      });
  }

 private:
  void received() {
    Hit hit{std::string(request_.target()), request_.body(), std::chrono::steady_clock::now()};
    Reply reply;
    try {
      reply = owner_.handler(hit);
    } catch (...) {
      reply.status = 500;
    }
    {
      const std::lock_guard lock(owner_.m);
      owner_.hits.push_back(std::move(hit));
      if (reply.hold) {
        owner_.held.push_back(shared_from_this());
        return;
      }
    }
    if (reply.delay.count() > 0) {
      timer_.expires_after(reply.delay);
      timer_.async_wait([self = shared_from_this(), status = reply.status](beast::error_code ec) {
        if (!ec) self->answer(status);
      });
      return;
    }
    answer(reply.status);
  }

  tcp::socket socket_;
  asio::steady_timer timer_;
  ConcurrentReceiver::Impl& owner_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

}  // namespace

void ConcurrentReceiver::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;
    {
      const std::lock_guard lock(m);
      ++connections;
    }
    std::make_shared<Session>(std::move(socket), *this)->read();
    accept();
  });
}

ConcurrentReceiver::ConcurrentReceiver(Handler handler) : impl_(std::make_shared<Impl>()) {
  impl_->handler = std::move(handler);
  const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(at.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(at);
  impl_->acceptor.listen(4096);
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

ConcurrentReceiver::~ConcurrentReceiver() {
  impl_->io.stop();
  impl_->thread.join();
  const std::lock_guard lock(impl_->m);
  impl_->held.clear();
}

int ConcurrentReceiver::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::vector<Hit> ConcurrentReceiver::hits() const {
  const std::lock_guard lock(impl_->m);
  return impl_->hits;
}

std::size_t ConcurrentReceiver::held() const {
  const std::lock_guard lock(impl_->m);
  return impl_->held.size();
}

std::size_t ConcurrentReceiver::connections() const {
  const std::lock_guard lock(impl_->m);
  return impl_->connections;
}

void ConcurrentReceiver::release_held(int status) {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    const std::lock_guard lock(impl_->m);
    sessions.swap(impl_->held);
  }
  asio::post(impl_->io, [sessions = std::move(sessions), status] {
    for (const auto& s : sessions)
      s->answer(status);
  });
}

}  // namespace hookgate::e2e
