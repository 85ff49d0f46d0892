// The asynchronous, pooled HTTP/1.1 client (HttpPool). Each request is one C++20 coroutine on
// its own strand of a shared io_context run by PoolOptions::threads threads; while it waits for a
// server it is a suspended frame, not a blocked thread. Connections are kept per origin and handed
// from request to request; a connection is only ever used by the request that holds it, and that
// request's strand runs every operation on it and the deadline that closes it.
//
// Every step of a request is bounded by one deadline: a timer on the request's strand that, when
// it fires, marks the request timed out and closes whatever socket the request is waiting on (or
// wakes it when it waits for a lookup or a free connection). Each step checks the mark before it
// starts, so nothing starts after the deadline.
#include "hookgate/net/http_pool.hpp"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "net/http_client_rules.hpp"

namespace hookgate::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

using detail::check_request;
using detail::describe;
using detail::failure;
using detail::lower_first;
using detail::timeout_error;
using detail::to_asio;
using detail::to_ip;

constexpr std::string_view kCancelled = "cancelled: the pool is shutting down";
// Interim (1xx) responses skipped before the final one.
constexpr int kMaxInterimResponses = 8;
// Lookups waiting for a resolver thread; beyond this a new connection fails at once.
constexpr std::size_t kMaxQueuedLookups = 1 << 16;
// Origins whose TLS session is kept for resumption.
constexpr std::size_t kMaxSessions = 2048;
// The most response body bytes read in one step (the body kept is capped separately).
constexpr std::size_t kReadChunk = 16 << 10;
// Bytes the read buffer may hold beyond the header limit (one read's worth).
constexpr std::size_t kReadSlack = 8 << 10;
// A server announcing "Keep-Alive: timeout=N" is left this much sooner, so it never closes a
// connection just as a request goes out on it.
constexpr std::chrono::milliseconds kKeepAliveMargin{500};
// How long the destructor waits for a system lookup to return before leaving its thread to
// finish alone (getaddrinfo cannot be interrupted).
constexpr std::chrono::seconds kResolverJoinWait{2};

using Endpoints = std::vector<tcp::endpoint>;

// "timeout=N" of a Keep-Alive header value ("timeout=5, max=100").
std::optional<std::chrono::seconds> keep_alive_timeout(std::string_view value) {
  for (std::size_t at = 0; at < value.size();) {
    auto end = value.find(',', at);
    if (end == std::string_view::npos) end = value.size();
    auto item = value.substr(at, end - at);
    at = end + 1;
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    constexpr std::string_view kKey = "timeout=";
    if (item.size() <= kKey.size() || !schemes::iequals(item.substr(0, kKey.size()), kKey)) {
      continue;
    }
    std::int64_t seconds = 0;
    for (const char c : item.substr(kKey.size())) {
      if (c < '0' || c > '9') break;
      seconds = std::min<std::int64_t>(seconds * 10 + (c - '0'), 1'000'000);
    }
    return std::chrono::seconds(seconds);
  }
  return std::nullopt;
}

// An idle connection is still usable when the peer has neither closed it nor sent anything
// (an HTTP server has nothing to say between requests; bytes there mean a close or garbage).
bool still_silent(tcp::socket& socket) {
  char byte = 0;
  const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// One connection: TCP, or TLS over TCP. Counted in PoolStats::open while it exists.
struct Conn {
  Conn(tcp::socket socket, std::atomic<std::uint64_t>& open, std::size_t buffer_limit)
      : plain(std::move(socket)), buffer(buffer_limit), open_(open) {
    open_.fetch_add(1);
  }
  ~Conn() {
    beast::error_code ignored;
    socket().close(ignored);
    open_.fetch_sub(1);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }

  std::optional<tcp::socket> plain;  // empty once TLS wraps it
  std::optional<ssl::stream<tcp::socket>> tls;
  beast::flat_buffer buffer;  // bytes read past a response: none on a reusable connection
  std::string peer;
  std::size_t requests = 0;
  Clock::duration idle_limit{};  // how long it may stay idle after its last response
  Clock::time_point idle_until;
  const SSL_SESSION* stored_session = nullptr;  // the session last given to the cache

 private:
  std::atomic<std::uint64_t>& open_;
};

// One request from send() to done.
struct Request : std::enable_shared_from_this<Request> {
  explicit Request(const asio::any_io_executor& strand) : deadline_timer(strand), wake(strand) {}

  // Closes the socket the request waits on and wakes it from any other wait; it then sees
  // timed_out or cancelled and ends.
  void interrupt() {
    if (busy != nullptr) {
      beast::error_code ignored;
      busy->close(ignored);
    }
    wake.cancel();
  }

  OutboundRequest input;
  HttpPool::Done done;
  HttpUrl url;
  std::string key;  // the origin: scheme, host, port
  http::request<http::string_body> message;
  Clock::time_point start;
  Clock::time_point deadline;
  std::chrono::milliseconds timeout{0};
  asio::steady_timer deadline_timer;
  // Wakes waits that are not socket operations (a lookup, a free connection) and times the
  // connect to each address.
  asio::steady_timer wake;
  tcp::socket* busy = nullptr;  // the socket an operation of this request is pending on
  bool timed_out = false;
  bool cancelled = false;
  bool finished = false;
  std::uint64_t step = 0;  // numbers connect attempts, so a late timer cannot close a later one
  bool step_expired = false;
  std::optional<Result<Endpoints>> lookup;
  // Handed over by a request that released them while this one waited (under the pool mutex).
  std::shared_ptr<Conn> handed_conn;
  bool handed_slot = false;
};

// Clears Request::busy when an operation's scope ends, however it ends.
struct BusyScope {
  BusyScope(Request& r, tcp::socket& s) : r_(r) { r_.busy = &s; }
  ~BusyScope() { r_.busy = nullptr; }
  BusyScope(const BusyScope&) = delete;
  BusyScope& operator=(const BusyScope&) = delete;

 private:
  Request& r_;
};

// The resolver threads. The system resolver blocks and cannot be interrupted: it runs here,
// off the loops, on a few threads so one slow lookup does not hold up the others. Shared with
// the threads, which may outlive the pool by one lookup at shutdown; completions are handed to
// the pool only while it is running (checked under the mutex the pool's shutdown takes).
struct Lookups {
  struct Job {
    std::string host;
    std::uint16_t port = 0;
    std::shared_ptr<std::atomic<bool>> abandoned;
    std::function<void(Result<Endpoints>)> done;
  };

  std::function<Result<std::vector<IpAddress>>(const std::string& host)> custom;
  std::mutex m;
  std::condition_variable cv;
  std::deque<Job> queue;
  bool stopping = false;
  std::size_t running = 0;

  void work() {
    try {
      asio::io_context ioc(1);
      tcp::resolver resolver(ioc);
      for (;;) {
        Job job;
        {
          std::unique_lock lock(m);
          cv.wait(lock, [&] { return stopping || !queue.empty(); });
          if (stopping) break;
          job = std::move(queue.front());
          queue.pop_front();
        }
        if (job.abandoned->load()) continue;
        auto found = resolve(resolver, job);
        const std::lock_guard lock(m);
        if (!stopping && !job.abandoned->load()) job.done(std::move(found));
      }
    } catch (...) {
      // A thread that cannot go on ends; the requests waiting for it end at their deadline.
    }
    const std::lock_guard lock(m);
    --running;
    cv.notify_all();
  }

  Result<Endpoints> resolve(tcp::resolver& resolver, const Job& job) const {
    Endpoints out;
    if (custom) {
      Result<std::vector<IpAddress>> addresses = Error{"no answer"};
      try {
        addresses = custom(job.host);
      } catch (const std::exception& e) {
        addresses = Error{e.what()};
      }
      if (!addresses) return Error{"dns: " + job.host + ": " + addresses.error()};
      for (const auto& ip : *addresses)
        out.emplace_back(to_asio(ip), job.port);
    } else {
      beast::error_code ec;
      // No AI_ADDRCONFIG: a host with only loopback configured must still see every address.
      const auto results =
          resolver.resolve(job.host, std::to_string(job.port), tcp::resolver::numeric_service, ec);
      if (ec) return Error{"dns: " + job.host + ": " + lower_first(ec.message())};
      for (const auto& r : results)
        out.push_back(r.endpoint());
    }
    if (out.empty()) return Error{"dns: " + job.host + ": no addresses"};
    return out;
  }
};

// TLS sessions per origin, least recently stored evicted first. Used under the pool mutex.
class SessionCache {
 public:
  SessionCache() = default;
  SessionCache(const SessionCache&) = delete;
  SessionCache& operator=(const SessionCache&) = delete;
  ~SessionCache() { clear(); }

  SSL_SESSION* find(const std::string& key) const {
    const auto it = index_.find(key);
    return it == index_.end() ? nullptr : it->second->second;
  }
  // Takes the reference the caller holds on session.
  void put(const std::string& key, SSL_SESSION* session) {
    if (const auto it = index_.find(key); it != index_.end()) {
      SSL_SESSION_free(it->second->second);
      order_.erase(it->second);
      index_.erase(it);
    }
    order_.emplace_back(key, session);
    index_[key] = std::prev(order_.end());
    if (order_.size() > kMaxSessions) {
      SSL_SESSION_free(order_.front().second);
      index_.erase(order_.front().first);
      order_.pop_front();
    }
  }
  void clear() {
    for (auto& [key, session] : order_)
      SSL_SESSION_free(session);
    order_.clear();
    index_.clear();
  }

 private:
  std::list<std::pair<std::string, SSL_SESSION*>> order_;
  std::unordered_map<std::string, std::list<std::pair<std::string, SSL_SESSION*>>::iterator> index_;
};

}  // namespace

struct HttpPool::Impl {
  // Connections and slots of one origin.
  struct Origin {
    std::size_t open = 0;  // connections open or being opened: what max_per_origin caps
    std::vector<std::shared_ptr<Conn>> idle;  // most recently used last
    std::deque<std::shared_ptr<Request>> waiters;
  };

  // A connection, or the right to open one (conn null), of one origin. Going out of scope
  // without release() closes the connection and frees the slot.
  class Lease {
   public:
    Lease(Impl* pool, std::string key, std::shared_ptr<Conn> c)
        : conn(std::move(c)), pool_(pool), key_(std::move(key)) {}
    Lease(Lease&& other) noexcept
        : conn(std::move(other.conn)),
          pool_(std::exchange(other.pool_, nullptr)),
          key_(std::move(other.key_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { release(false); }
    void release(bool reusable) {
      if (auto* owner = std::exchange(pool_, nullptr))
        owner->release(key_, std::move(conn), reusable);
    }
    std::shared_ptr<Conn> conn;

   private:
    Impl* pool_;
    std::string key_;
  };

  Impl(HttpClientOptions client, PoolOptions settings, std::unique_ptr<ssl::context> context)
      : options(std::move(client)), pool(std::move(settings)), tls(std::move(context)) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() = default;

  void start();
  void shutdown();
  void arm_sweeper();
  void sweep();
  bool usable(Conn& c) const;
  std::shared_ptr<Conn> pop_idle(Origin& o);
  void release(const std::string& key, std::shared_ptr<Conn> conn, bool reusable) noexcept;
  void remember_session(const std::string& key, Conn& c);
  void finish(const std::shared_ptr<Request>& r, Result<HttpClientResponse> result);

  asio::awaitable<void> run(std::shared_ptr<Request> r);
  asio::awaitable<Result<HttpClientResponse>> attempt(Request& r);
  asio::awaitable<Result<Lease>> acquire(Request& r, bool fresh);
  asio::awaitable<Result<Endpoints>> lookup(Request& r);
  asio::awaitable<Result<bool>> connect(Request& r, Lease& lease);
  asio::awaitable<Result<HttpClientResponse>> exchange(Request& r, Lease& lease, bool reused,
                                                       bool& retry);
  template <class Stream>
  asio::awaitable<Result<HttpClientResponse>> talk(Request& r, Stream& stream, Conn& c, bool reused,
                                                   bool& reusable, bool& retry);

  const HttpClientOptions options;
  const PoolOptions pool;
  std::unique_ptr<ssl::context> tls;

  struct Counters {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> opened{0};
    std::atomic<std::uint64_t> reused{0};
    std::atomic<std::uint64_t> handshakes{0};
    std::atomic<std::uint64_t> resumed{0};
    std::atomic<std::uint64_t> open{0};
    std::atomic<std::uint64_t> idle{0};
  } counters;

  // Declared before everything holding I/O objects, so it is destroyed after them.
  asio::io_context ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  asio::steady_timer sweeper{asio::make_strand(ioc)};

  std::shared_ptr<Lookups> lookups = std::make_shared<Lookups>();
  std::vector<std::thread> lookup_threads;

  std::mutex m;
  std::condition_variable settled;  // live became empty
  std::unordered_map<std::string, Origin> origins;
  std::size_t idle_total = 0;
  bool stopping = false;
  SessionCache sessions;
  std::unordered_set<std::shared_ptr<Request>> live;
};

void HttpPool::Impl::start() {
  lookups->custom = pool.resolve;
  work.emplace(ioc.get_executor());
  for (std::size_t i = 0; i < pool.resolver_threads; ++i) {
    {
      const std::lock_guard lock(lookups->m);
      ++lookups->running;
    }
    try {
      lookup_threads.emplace_back([l = lookups] { l->work(); });
    } catch (...) {
      const std::lock_guard lock(lookups->m);
      --lookups->running;
      throw;
    }
  }
  for (std::size_t i = 0; i < pool.threads; ++i) {
    threads.emplace_back([this] {
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (...) {
          // Handlers catch their own exceptions; should one escape, the loop keeps serving.
        }
      }
    });
  }
  arm_sweeper();
}

void HttpPool::Impl::shutdown() {
  std::vector<std::shared_ptr<Conn>> idle;
  std::vector<std::shared_ptr<Request>> running;
  {
    const std::lock_guard lock(m);
    stopping = true;
    for (auto& [key, o] : origins) {
      o.open -= o.idle.size();
      counters.idle.fetch_sub(o.idle.size());
      for (auto& c : o.idle)
        idle.push_back(std::move(c));
      o.idle.clear();
    }
    idle_total = 0;
    running.assign(live.begin(), live.end());
  }
  {
    // From here no lookup result reaches the loops.
    const std::lock_guard lock(lookups->m);
    lookups->stopping = true;
    lookups->queue.clear();
  }
  lookups->cv.notify_all();
  idle.clear();
  for (const auto& r : running) {
    asio::post(r->wake.get_executor(), [r] {
      r->cancelled = true;
      r->interrupt();
    });
  }
  running.clear();
  asio::post(sweeper.get_executor(), [this] { sweeper.cancel(); });
  {
    std::unique_lock lock(m);
    settled.wait(lock, [&] { return live.empty(); });
  }
  {
    std::unique_lock lock(lookups->m);
    // A stub resolver is the caller's code: it must not run after the destructor returns. The
    // system resolver's thread may be left to finish its lookup alone.
    if (pool.resolve) {
      lock.unlock();
      for (auto& t : lookup_threads)
        t.join();
    } else {
      const bool all =
          lookups->cv.wait_for(lock, kResolverJoinWait, [&] { return lookups->running == 0; });
      lock.unlock();
      for (auto& t : lookup_threads) {
        if (all) {
          t.join();
        } else {
          t.detach();
        }
      }
    }
  }
  lookup_threads.clear();
  work.reset();
  ioc.stop();
  for (auto& t : threads)
    t.join();
  threads.clear();
  const std::lock_guard lock(m);
  origins.clear();
  sessions.clear();
}

void HttpPool::Impl::arm_sweeper() {
  // Often enough that an idle connection outlives its limit by a fraction of it at most; the
  // check at checkout is what keeps an expired one from being used.
  const auto period = std::clamp<Clock::duration>(
      pool.idle_timeout / 4, std::chrono::milliseconds(25), std::chrono::seconds(1));
  sweeper.expires_after(period);
  sweeper.async_wait([this](const beast::error_code& ec) {
    if (ec) return;
    try {
      sweep();
    } catch (...) {
      // The next sweep tries again.
    }
    const std::lock_guard lock(m);
    if (!stopping) arm_sweeper();
  });
}

// Closes the idle connections that outlived their limit or that the server closed.
void HttpPool::Impl::sweep() {
  std::vector<std::shared_ptr<Conn>> stale;
  {
    const std::lock_guard lock(m);
    for (auto it = origins.begin(); it != origins.end();) {
      auto& o = it->second;
      std::vector<std::shared_ptr<Conn>> keep;
      for (auto& c : o.idle) {
        if (usable(*c)) {
          keep.push_back(std::move(c));
        } else {
          stale.push_back(std::move(c));
          --o.open;
          --idle_total;
          counters.idle.fetch_sub(1);
        }
      }
      o.idle = std::move(keep);
      if (o.open == 0 && o.waiters.empty()) {
        it = origins.erase(it);
      } else {
        ++it;
      }
    }
  }
}

bool HttpPool::Impl::usable(Conn& c) const {
  return Clock::now() < c.idle_until && still_silent(c.socket());
}

// Takes the most recently used idle connection off o (still counted in o.open).
std::shared_ptr<Conn> HttpPool::Impl::pop_idle(Origin& o) {
  auto c = std::move(o.idle.back());
  o.idle.pop_back();
  --idle_total;
  counters.idle.fetch_sub(1);
  return c;
}

// A request is done with a connection (reusable: it may serve another) or with a slot it could
// not turn into a connection. A waiting request of the origin gets it, or it goes idle, or it is
// closed and the slot freed.
void HttpPool::Impl::release(const std::string& key, std::shared_ptr<Conn> conn,
                             bool reusable) noexcept {
  std::shared_ptr<Request> next;
  std::shared_ptr<Conn> drop;
  try {
    const std::lock_guard lock(m);
    const auto it = origins.find(key);
    if (it == origins.end()) {
      drop = std::move(conn);
    } else {
      auto& o = it->second;
      const bool keep = conn && reusable && !stopping;
      if (keep && !o.waiters.empty()) {
        next = std::move(o.waiters.front());
        o.waiters.pop_front();
        next->handed_conn = std::move(conn);
      } else if (keep && o.idle.size() < pool.max_idle_per_origin &&
                 idle_total < pool.max_idle_total) {
        conn->idle_until = Clock::now() + conn->idle_limit;
        conn->buffer.shrink_to_fit();
        o.idle.push_back(std::move(conn));
        ++idle_total;
        counters.idle.fetch_add(1);
      } else {
        drop = std::move(conn);
        if (!stopping && !o.waiters.empty()) {
          // The slot passes to the first waiter, which opens a connection in it.
          next = std::move(o.waiters.front());
          o.waiters.pop_front();
          next->handed_slot = true;
        } else {
          --o.open;
        }
      }
      if (o.open == 0 && o.idle.empty() && o.waiters.empty()) origins.erase(it);
    }
  } catch (...) {
    drop = std::move(conn);
  }
  drop.reset();
  if (next) {
    try {
      asio::post(next->wake.get_executor(), [next] { next->wake.cancel(); });
    } catch (...) {
      // The waiter still ends at its deadline.
    }
  }
}

// TLS 1.3 session tickets arrive after the handshake, so the session worth keeping is the one
// the connection holds after a response; a later connection to the origin resumes it.
void HttpPool::Impl::remember_session(const std::string& key, Conn& c) {
  SSL* handle = c.tls->native_handle();
  SSL_SESSION* session = SSL_get0_session(handle);
  if (session == nullptr || session == c.stored_session || SSL_SESSION_is_resumable(session) != 1) {
    return;
  }
  c.stored_session = session;
  // A copy: OpenSSL marks a connection's own session unresumable when the connection ends
  // without close_notify, which is how the pool ends them.
  SSL_SESSION* copy = SSL_SESSION_dup(session);
  if (copy == nullptr) return;
  const std::lock_guard lock(m);
  sessions.put(key, copy);
}

void HttpPool::Impl::finish(const std::shared_ptr<Request>& r, Result<HttpClientResponse> result) {
  r->finished = true;
  r->deadline_timer.cancel();
  if (!result && r->cancelled) result = Error{std::string(kCancelled)};
  {
    auto done = std::move(r->done);
    r->done = nullptr;
    try {
      if (done) done(std::move(result));
    } catch (...) {
      // The caller's callback threw; nothing the pool can do for it.
    }
  }
  // Only an exception inside a wait can leave the request queued or holding what a releasing
  // request handed it; give that back so the origin's slots stay counted right.
  std::shared_ptr<Conn> handed;
  bool slot = false;
  {
    const std::lock_guard lock(m);
    if (const auto it = origins.find(r->key); it != origins.end()) {
      auto& waiters = it->second.waiters;
      waiters.erase(std::remove(waiters.begin(), waiters.end(), r), waiters.end());
    }
    handed = std::move(r->handed_conn);
    slot = std::exchange(r->handed_slot, false);
  }
  if (handed || slot) release(r->key, std::move(handed), false);
  {
    const std::lock_guard lock(m);
    live.erase(r);
  }
  settled.notify_all();
}

asio::awaitable<void> HttpPool::Impl::run(std::shared_ptr<Request> r) {
  Result<HttpClientResponse> result = Error{std::string(kCancelled)};
  try {
    result = co_await attempt(*r);
  } catch (const std::exception& e) {
    result = Error{std::string("internal: ") + e.what()};
  } catch (...) {
    result = Error{"internal: unexpected exception"};
  }
  finish(r, std::move(result));
}

asio::awaitable<Result<HttpClientResponse>> HttpPool::Impl::attempt(Request& r) {
  r.timeout = r.input.timeout.value_or(options.timeout);
  if (r.timeout <= std::chrono::milliseconds::zero()) {
    co_return Error{"request: timeout must be positive"};
  }
  auto url = parse_http_url(r.input.url);
  if (!url) co_return Error{"url: " + url.error()};
  if (const auto why = options.policy.refusal(*url)) {
    co_return Error{std::string(kAddressRefused) + " " + url->host + ": " + *why};
  }
  if (const auto bad = check_request(r.input)) co_return Error{*bad};
  r.url = std::move(*url);
  r.key = std::string(r.url.https ? "https://" : "http://") + r.url.host + ":" +
          std::to_string(r.url.port);

  auto& msg = r.message;
  msg.version(11);
  msg.method_string(r.input.method);
  msg.target(r.url.target);
  msg.set(http::field::host, r.url.authority());
  for (const auto& [name, value] : r.input.headers.items())
    msg.insert(name, value);
  msg.body() = std::move(r.input.body);
  msg.prepare_payload();
  r.input = OutboundRequest{};

  r.deadline = r.start + r.timeout;
  r.deadline_timer.expires_at(r.deadline);
  r.deadline_timer.async_wait([self = r.shared_from_this()](const beast::error_code& ec) {
    if (ec || self->finished) return;
    self->timed_out = true;
    self->interrupt();
  });

  // A request that failed on a reused connection before any byte of a response came back (the
  // server closed it while idle) goes once more, on a connection of its own.
  bool fresh = false;
  for (int round = 0;; ++round) {
    auto lease = co_await acquire(r, fresh);
    if (!lease) co_return Error{lease.error()};
    const bool reused = lease->conn != nullptr;
    if (!reused) {
      auto opened = co_await connect(r, *lease);
      if (!opened) co_return Error{opened.error()};
    }
    bool retry = false;
    auto out = co_await exchange(r, *lease, reused, retry);
    if (retry && round == 0 && !r.timed_out && !r.cancelled) {
      fresh = true;
      continue;
    }
    co_return std::move(out);
  }
}

// An idle connection of the origin, or a slot to open one, or a place in the origin's queue
// until a request releases one (only under max_per_origin). fresh: no idle connection.
asio::awaitable<Result<HttpPool::Impl::Lease>> HttpPool::Impl::acquire(Request& r, bool fresh) {
  std::vector<std::shared_ptr<Conn>> stale;
  std::shared_ptr<Conn> conn;
  bool granted = false;
  {
    const std::lock_guard lock(m);
    if (stopping) co_return Error{std::string(kCancelled)};
    auto& o = origins[r.key];
    while (!fresh && !conn && !o.idle.empty()) {
      auto c = pop_idle(o);
      if (usable(*c)) {
        conn = std::move(c);
      } else {
        stale.push_back(std::move(c));
        --o.open;
      }
    }
    if (conn) {
      granted = true;
    } else if (pool.max_per_origin == 0 || o.open < pool.max_per_origin) {
      ++o.open;
      granted = true;
    } else if (fresh && !o.idle.empty()) {
      // At the cap, a fresh connection takes the place of an idle one.
      stale.push_back(pop_idle(o));
      granted = true;
    } else {
      o.waiters.push_back(r.shared_from_this());
    }
  }
  stale.clear();

  while (!granted) {
    {
      const std::lock_guard lock(m);
      if (r.handed_conn || r.handed_slot) {
        conn = std::move(r.handed_conn);
        r.handed_slot = false;
        granted = true;
        break;
      }
      if (r.timed_out || r.cancelled || stopping) {
        auto& waiters = origins[r.key].waiters;
        waiters.erase(std::remove(waiters.begin(), waiters.end(), r.shared_from_this()),
                      waiters.end());
        if (r.timed_out && !r.cancelled) {
          co_return Error{timeout_error(r.timeout, "waiting for a free connection")};
        }
        co_return Error{std::string(kCancelled)};
      }
    }
    r.wake.expires_at(Clock::time_point::max());
    beast::error_code ec;
    co_await r.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  Lease lease(this, r.key, std::move(conn));
  if (fresh) lease.conn.reset();  // closes a handed-over idle connection; its slot stays
  if (r.cancelled || r.timed_out) {
    lease.release(lease.conn != nullptr);
    if (r.cancelled) co_return Error{std::string(kCancelled)};
    co_return Error{timeout_error(r.timeout, "waiting for a free connection")};
  }
  co_return std::move(lease);
}

asio::awaitable<Result<Endpoints>> HttpPool::Impl::lookup(Request& r) {
  r.lookup.reset();
  auto abandoned = std::make_shared<std::atomic<bool>>(false);
  {
    const std::lock_guard lock(lookups->m);
    if (lookups->stopping) co_return Error{std::string(kCancelled)};
    if (lookups->queue.size() >= kMaxQueuedLookups) {
      co_return Error{"dns: " + r.url.host + ": too many lookups waiting"};
    }
    // Weak: a job may outlive the pool on a lingering resolver thread.
    std::weak_ptr<Request> weak = r.shared_from_this();
    lookups->queue.push_back(Lookups::Job{
        r.url.host, r.url.port, abandoned, [weak](Result<Endpoints> found) {
          auto self = weak.lock();
          if (!self) return;
          asio::post(self->wake.get_executor(), [self, found = std::move(found)]() mutable {
            self->lookup.emplace(std::move(found));
            self->wake.cancel();
          });
        }});
  }
  lookups->cv.notify_one();
  for (;;) {
    if (r.lookup) {
      auto found = std::move(*r.lookup);
      r.lookup.reset();
      co_return std::move(found);
    }
    if (r.cancelled || r.timed_out) {
      abandoned->store(true);
      if (r.cancelled) co_return Error{std::string(kCancelled)};
      co_return Error{timeout_error(r.timeout, "resolving " + r.url.host)};
    }
    r.wake.expires_at(Clock::time_point::max());
    beast::error_code ec;
    co_await r.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// Opens a connection in the lease's slot, exactly as HttpClient does: resolve, judge every
// address, dial only those allowed (each within connect_timeout), judge the peer reached, then
// the TLS handshake (resuming the origin's session when there is one).
asio::awaitable<Result<bool>> HttpPool::Impl::connect(Request& r, Lease& lease) {
  const auto& url = r.url;
  Endpoints candidates;
  if (url.ip) {
    candidates.emplace_back(to_asio(*url.ip), url.port);
  } else {
    auto found = co_await lookup(r);
    if (!found) co_return Error{found.error()};
    candidates = std::move(*found);
  }

  Endpoints allowed;
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
    co_return Error{std::string(kAddressRefused) + " " + url.host + ": " +
                    (url.ip ? refused : "resolves only to refused addresses (" + refused + ")")};
  }

  std::optional<tcp::socket> connected;
  tcp::endpoint peer;
  std::string failures;
  for (const auto& ep : allowed) {
    if (r.cancelled || r.timed_out) break;
    const auto left = r.deadline - Clock::now();
    if (left <= Clock::duration::zero()) break;
    const auto attempt_timeout = std::min<Clock::duration>(
        left, std::chrono::duration_cast<Clock::duration>(options.connect_timeout));
    tcp::socket socket(ioc);
    const auto step = ++r.step;
    r.step_expired = false;
    r.wake.expires_after(attempt_timeout);
    r.wake.async_wait([self = r.shared_from_this(), step](const beast::error_code& ec) {
      if (ec || self->step != step) return;
      self->step_expired = true;
      if (self->busy != nullptr) {
        beast::error_code ignored;
        self->busy->close(ignored);
      }
    });
    beast::error_code ec;
    {
      const BusyScope busy(r, socket);
      co_await socket.async_connect(ep, asio::redirect_error(asio::use_awaitable, ec));
    }
    ++r.step;
    r.wake.cancel();
    if (r.cancelled || r.timed_out) break;
    if (!ec && !r.step_expired) {
      // The address actually reached is judged again: the connect went to ep, and ep passed, but
      // nothing that reaches a socket goes unchecked.
      beast::error_code peer_ec;
      peer = socket.remote_endpoint(peer_ec);
      if (peer_ec) {
        failures += (failures.empty() ? "" : "; ") + lower_first(peer_ec.message()) + " (" +
                    describe(ep) + ")";
        continue;
      }
      if (const auto why = options.policy.refusal(to_ip(peer.address()))) {
        co_return Error{std::string(kAddressRefused) + " " + url.host + ": connected to " + *why};
      }
      connected.emplace(std::move(socket));
      break;
    }
    std::string what =
        r.step_expired ? "timeout after " +
                             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                attempt_timeout)
                                                .count()) +
                             " ms"
                       : lower_first(ec.message());
    failures += (failures.empty() ? "" : "; ") + what + " (" + describe(ep) + ")";
  }
  if (r.cancelled) co_return Error{std::string(kCancelled)};
  if (!connected) {
    if (r.timed_out || Clock::now() >= r.deadline) {
      co_return Error{timeout_error(r.timeout, "connecting to " + url.host)};
    }
    co_return Error{"connect: " + failures};
  }
  counters.opened.fetch_add(1);
  const std::size_t buffer_limit = options.max_response_header_bytes + kReadSlack;
  lease.conn = std::make_shared<Conn>(std::move(*connected), counters.open, buffer_limit);
  auto& c = *lease.conn;
  c.peer = describe(peer);
  if (!url.https) co_return true;

  c.tls.emplace(std::move(*c.plain), *tls);
  c.plain.reset();
  SSL* handle = c.tls->native_handle();
  detail::set_tls_peer_checks(handle, url);
  {
    const std::lock_guard lock(m);
    if (SSL_SESSION* session = sessions.find(r.key)) SSL_set_session(handle, session);
  }
  if (r.cancelled) co_return Error{std::string(kCancelled)};
  if (r.timed_out) co_return Error{timeout_error(r.timeout, "TLS handshake")};
  beast::error_code ec;
  {
    const BusyScope busy(r, c.socket());
    co_await c.tls->async_handshake(ssl::stream_base::client,
                                    asio::redirect_error(asio::use_awaitable, ec));
  }
  if (r.cancelled) co_return Error{std::string(kCancelled)};
  if (r.timed_out) co_return Error{timeout_error(r.timeout, "TLS handshake")};
  if (ec) co_return Error{detail::handshake_failure(handle, ec)};
  counters.handshakes.fetch_add(1);
  if (SSL_session_reused(handle) == 1) counters.resumed.fetch_add(1);
  co_return true;
}

asio::awaitable<Result<HttpClientResponse>> HttpPool::Impl::exchange(Request& r, Lease& lease,
                                                                     bool reused, bool& retry) {
  Conn& c = *lease.conn;
  ++c.requests;
  if (reused) counters.reused.fetch_add(1);
  // The connection's last request says so, and the server closes it after answering.
  const bool last =
      pool.max_requests_per_connection != 0 && c.requests >= pool.max_requests_per_connection;
  if (last) {
    r.message.set(http::field::connection, "close");
  } else {
    r.message.erase(http::field::connection);
  }
  bool reusable = false;
  Result<HttpClientResponse> out = Error{std::string(kCancelled)};
  if (c.tls) {
    out = co_await talk(r, *c.tls, c, reused, reusable, retry);
    remember_session(r.key, c);
    // Records OpenSSL read but did not hand over would be read as the next response's start.
    if (SSL_pending(c.tls->native_handle()) > 0) reusable = false;
  } else {
    out = co_await talk(r, *c.plain, c, reused, reusable, retry);
  }
  lease.release(reusable && !last);
  co_return std::move(out);
}

template <class Stream>
asio::awaitable<Result<HttpClientResponse>> HttpPool::Impl::talk(Request& r, Stream& stream,
                                                                 Conn& c, bool reused,
                                                                 bool& reusable, bool& retry) {
  HttpClientResponse out;
  out.connect_time = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - r.start);
  out.peer = c.peer;
  if (r.cancelled) co_return Error{std::string(kCancelled)};
  if (r.timed_out) co_return Error{timeout_error(r.timeout, "sending the request")};
  const BusyScope busy(r, c.socket());

  beast::error_code ec;
  co_await http::async_write(stream, r.message, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    if (r.cancelled) co_return Error{std::string(kCancelled)};
    if (r.timed_out) co_return Error{timeout_error(r.timeout, "sending the request")};
    retry = reused;
    co_return Error{failure("write", ec)};
  }

  std::optional<http::response_parser<http::buffer_body>> parser;
  for (int interim = 0;; ++interim) {
    parser.emplace();
    parser->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
        options.max_response_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser->body_limit(boost::none);
    if (beast::iequals(r.message.method_string(), "HEAD")) parser->skip(true);
    if (r.cancelled) co_return Error{std::string(kCancelled)};
    if (r.timed_out) co_return Error{timeout_error(r.timeout, "waiting for the response")};
    co_await http::async_read_header(stream, c.buffer, *parser,
                                     asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (r.cancelled) co_return Error{std::string(kCancelled)};
      if (r.timed_out) co_return Error{timeout_error(r.timeout, "waiting for the response")};
      if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
        co_return Error{"read: response headers larger than " +
                        std::to_string(options.max_response_header_bytes) + " bytes"};
      }
      retry = reused && interim == 0 && !parser->got_some() && c.buffer.size() == 0;
      if (ec == http::error::end_of_stream || ec == asio::error::eof ||
          ec == ssl::error::stream_truncated) {
        co_return Error{"read: connection closed before a response"};
      }
      co_return Error{failure("read", ec)};
    }
    const int status = static_cast<int>(parser->get().result_int());
    // Interim answers (100 Continue, 103 Early Hints) precede the real one; 101 would switch
    // protocols, which this client never asks for.
    if (status < 100 || status >= 200 || status == 101) break;
    if (interim == kMaxInterimResponses) co_return Error{"read: too many interim responses"};
  }

  const auto& header = parser->get();
  out.status = static_cast<int>(header.result_int());
  for (const auto& field : header)
    out.headers.add(std::string(field.name_string()), std::string(field.value()));

  // The body is kept up to the cap, read straight into the response; reading stops there and
  // the connection is closed. A body that breaks off, or outlives the deadline, still leaves the
  // status: the server has answered.
  const std::size_t cap = options.max_response_body_bytes;
  bool clean = true;
  while (!parser->is_done()) {
    if (out.body.size() >= cap || r.timed_out || r.cancelled) {
      out.body_truncated = true;
      clean = false;
      break;
    }
    const std::size_t old = out.body.size();
    std::size_t room = std::min(cap - old, kReadChunk);
    if (const auto left = parser->content_length_remaining()) {
      room = static_cast<std::size_t>(
          std::min<std::uint64_t>(room, std::max<std::uint64_t>(*left, 1)));
    }
    out.body.resize(old + room);
    parser->get().body().data = out.body.data() + old;
    parser->get().body().size = room;
    co_await http::async_read(stream, c.buffer, *parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    out.body.resize(old + room - parser->get().body().size);
    if (ec == http::error::need_buffer) continue;
    if (ec == ssl::error::stream_truncated && parser->need_eof()) {
      // The server closed without TLS close_notify; for a body delimited by the close, that is
      // its end, as browsers and curl take it.
      beast::error_code eof_ec;
      parser->put_eof(eof_ec);
      if (eof_ec) out.body_truncated = true;
      clean = false;
      break;
    }
    if (ec) {
      out.body_truncated = true;
      clean = false;
      break;
    }
  }
  if (out.body.capacity() > out.body.size() + kReadChunk / 4) out.body.shrink_to_fit();

  // Kept alive only when the exchange ended exactly at the response's end on an HTTP/1.1
  // connection the server keeps open.
  reusable = clean && parser->is_done() && !r.timed_out && !r.cancelled && header.version() == 11 &&
             header.keep_alive() && !parser->need_eof() && c.buffer.size() == 0 &&
             out.status != 101;
  if (reusable) {
    c.idle_limit = std::chrono::duration_cast<Clock::duration>(pool.idle_timeout);
    const auto keep_alive = header[http::field::keep_alive];
    if (!keep_alive.empty()) {
      if (const auto server = keep_alive_timeout(keep_alive)) {
        const auto limit = std::chrono::duration_cast<Clock::duration>(*server - kKeepAliveMargin);
        c.idle_limit = std::min(c.idle_limit, limit);
        if (c.idle_limit <= Clock::duration::zero()) reusable = false;
      }
    }
  }
  out.total_time = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - r.start);
  co_return std::move(out);
}

HttpPool::HttpPool(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpPool::~HttpPool() {
  if (impl_) impl_->shutdown();
}

Result<std::unique_ptr<HttpPool>> HttpPool::create(HttpClientOptions client, PoolOptions pool) {
  if (pool.threads == 0) return Error{"pool: threads must be at least 1"};
  if (pool.resolver_threads == 0) return Error{"pool: resolver_threads must be at least 1"};
  if (pool.idle_timeout <= std::chrono::milliseconds::zero()) {
    return Error{"pool: idle_timeout must be positive"};
  }
  auto ctx = detail::make_client_tls_context(client);
  if (!ctx) return Error{ctx.error()};
  // Idle TLS connections give their read and write buffers back.
  SSL_CTX_set_mode((*ctx)->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  auto impl = std::make_shared<Impl>(std::move(client), std::move(pool), std::move(*ctx));
  try {
    impl->start();
  } catch (const std::exception& e) {
    impl->shutdown();
    return Error{std::string("pool: cannot start its threads: ") + e.what()};
  }
  return std::unique_ptr<HttpPool>(new HttpPool(std::move(impl)));
}

void HttpPool::send(OutboundRequest request, Done done) {
  auto& impl = *impl_;
  impl.counters.requests.fetch_add(1);
  auto strand = asio::make_strand(impl.ioc);
  auto r = std::make_shared<Request>(strand);
  r->start = Clock::now();
  r->input = std::move(request);
  r->done = std::move(done);
  {
    const std::lock_guard lock(impl.m);
    impl.live.insert(r);
  }
  asio::co_spawn(strand, impl.run(r), [](const std::exception_ptr&) {});
}

PoolStats HttpPool::stats() const {
  const auto& c = impl_->counters;
  PoolStats s;
  s.requests = c.requests.load();
  s.connections_opened = c.opened.load();
  s.reused = c.reused.load();
  s.tls_handshakes = c.handshakes.load();
  s.tls_resumed = c.resumed.load();
  s.open = c.open.load();
  s.idle = c.idle.load();
  return s;
}

const HttpClientOptions& HttpPool::options() const {
  return impl_->options;
}

}  // namespace hookgate::net
