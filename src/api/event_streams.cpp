// Event streams: authorisation, admission bounds, and each stream's catch-up and live loop.
#include "api/event_streams.hpp"

#include <map>
#include <mutex>

#include "api/stream_cursor.hpp"
#include "api/stream_envelope.hpp"
#include "api/worker_pool.hpp"
#include "hookgate/crypto/compare.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace {

// Events read from the store at once for one stream: with 1 MiB bodies a page is a few MiB in
// a worker's hands for a moment, never kept.
constexpr std::size_t kPage = 16;
// Store reads run here, never on a network thread; each stream has at most one job queued.
constexpr std::size_t kWorkers = 2;

net::HttpResponse text(int status, std::string_view body) {
  net::HttpResponse r;
  r.status = status;
  r.headers.add("Content-Type", "text/plain; charset=utf-8");
  r.body = std::string(body) + "\n";
  return r;
}

std::string peer_key(const std::optional<net::IpAddress>& peer) {
  return peer ? peer->to_string() : std::string();
}

}  // namespace

struct EventStreams::Shared {
  const config::Config& config;
  store::Store& store;
  std::mutex m;
  WorkerPool* pool = nullptr;  // null once the owner is gone
  bool stopping = false;
  std::uint64_t next_id = 0;
  std::map<std::string, std::map<std::uint64_t, std::shared_ptr<Stream>>, std::less<>> streams;
  std::map<std::string, std::size_t, std::less<>> per_peer;
  std::size_t count = 0;
  std::int64_t remote_head = 0;  // the highest seq other nodes announced

  Shared(const config::Config& c, store::Store& s) : config(c), store(s) {}

  bool post(std::function<void()> job) {
    const std::lock_guard lock(m);
    return pool != nullptr && pool->try_post(std::move(job));
  }
  void forget(const std::string& source, std::uint64_t id, const std::string& peer) {
    const std::lock_guard lock(m);
    const auto it = streams.find(source);
    if (it == streams.end() || it->second.erase(id) == 0) return;
    if (it->second.empty()) streams.erase(it);
    --count;
    const auto p = per_peer.find(peer);
    if (p != per_peer.end() && --p->second == 0) per_peer.erase(p);
  }
};

class EventStreams::Stream : public net::StreamSink,
                             public std::enable_shared_from_this<EventStreams::Stream> {
 public:
  Stream(std::shared_ptr<Shared> shared, std::string source, std::string peer, std::uint64_t id,
         std::int64_t after)
      : shared_(std::move(shared)),
        source_(std::move(source)),
        peer_(std::move(peer)),
        id_(id),
        cursor_(after) {}

  void on_open(std::shared_ptr<net::StreamWriter> writer) override {
    bool close = false;
    {
      const std::lock_guard lock(m_);
      if (closed_) return;
      writer_ = writer;
      close = close_on_open_;
    }
    writer->write(sse_ready(source_, cursor_, shared_->config.streams.retry.count()));
    if (close) return writer->close();
    schedule();
  }

  void on_drained() override {
    {
      const std::lock_guard lock(m_);
      if (!waiting_drain_) return;
      waiting_drain_ = false;
    }
    schedule();
  }

  void on_closed() override {
    {
      const std::lock_guard lock(m_);
      if (closed_) return;
      closed_ = true;
      writer_.reset();
    }
    shared_->forget(source_, id_, peer_);
  }

  // A new event may be there.
  void wake() {
    {
      const std::lock_guard lock(m_);
      if (closed_ || !writer_ || waiting_drain_) return;  // the drain reads on anyway
    }
    schedule();
  }

  void end() {
    std::shared_ptr<net::StreamWriter> writer;
    {
      const std::lock_guard lock(m_);
      close_on_open_ = true;
      writer = writer_;
    }
    if (writer) writer->close();
  }

 private:
  // At most one read of the store per stream at a time; a wake-up during one reads again after.
  void schedule() {
    {
      const std::lock_guard lock(m_);
      if (closed_ || !writer_) return;
      if (fetching_) {
        again_ = true;
        return;
      }
      fetching_ = true;
      again_ = false;
    }
    auto self = shared_from_this();
    const bool posted = shared_->post([self] {
      try {
        self->pump();
      } catch (const std::exception&) {
        self->fail();
      }
    });
    if (!posted) fail();  // shutting down: nothing can read for this stream any more
  }

  void fail() {
    std::shared_ptr<net::StreamWriter> writer;
    {
      const std::lock_guard lock(m_);
      fetching_ = false;
      writer = writer_;
    }
    if (writer) writer->close();
  }

  // On a worker: pages from the store until caught up, or until the consumer must take what
  // was written before more is read.
  void pump() {
    const auto low_water = shared_->config.streams.buffer_bytes / 2;
    for (;;) {
      std::shared_ptr<net::StreamWriter> writer;
      std::int64_t cursor = 0;
      bool live = false;
      {
        const std::lock_guard lock(m_);
        if (closed_ || !writer_) {
          fetching_ = false;
          return;
        }
        writer = writer_;
        cursor = cursor_;
        live = live_;
        again_ = false;
      }
      auto events = shared_->store.events_after(source_, cursor, kPage);
      // A store failure ends the stream; the client comes back with Last-Event-ID.
      if (!events) return fail();
      bool paced = false;
      for (const auto& e : *events) {
        // Catching up, the consumer sets the pace: a page is not written past the low-water
        // mark, the rest is read again once it has drained. Live, everything is written, and a
        // consumer that cannot keep up overflows its bound and is cut off.
        if (!live && writer->queued() >= low_water) {
          paced = true;
          break;
        }
        if (!writer->write(sse_event(e))) {
          const std::lock_guard lock(m_);
          fetching_ = false;
          return;
        }
        cursor = e.seq;
      }
      const std::lock_guard lock(m_);
      cursor_ = cursor;
      if (closed_) {
        fetching_ = false;
        return;
      }
      if (paced || events->size() == kPage) {
        live_ = false;
        // Checked under the lock on_drained takes, so a drain is never missed in between.
        if (writer->queued() >= low_water) {
          waiting_drain_ = true;
          fetching_ = false;
          return;
        }
        continue;
      }
      live_ = true;
      if (!again_) {
        fetching_ = false;
        return;
      }
    }
  }

  const std::shared_ptr<Shared> shared_;
  const std::string source_;
  const std::string peer_;
  const std::uint64_t id_;
  std::mutex m_;
  std::shared_ptr<net::StreamWriter> writer_;
  std::int64_t cursor_;
  bool live_ = false;
  bool fetching_ = false;
  bool again_ = false;
  bool waiting_drain_ = false;
  bool close_on_open_ = false;
  bool closed_ = false;
};

EventStreams::EventStreams(const config::Config& config, store::Store& store)
    : shared_(std::make_shared<Shared>(config, store)),
      // Owned here, not by Shared: a worker dropping the last reference to a stream must never
      // be the one destroying (and joining) its own pool.
      pool_(std::make_unique<WorkerPool>(kWorkers, config.streams.max_streams + 16)) {
  const std::lock_guard lock(shared_->m);
  shared_->pool = pool_.get();
}

EventStreams::~EventStreams() {
  stop();
  {
    const std::lock_guard lock(shared_->m);
    shared_->pool = nullptr;
  }
  pool_.reset();  // finishes the reads in progress, then joins
}

void EventStreams::stop() {
  std::vector<std::shared_ptr<Stream>> all;
  {
    const std::lock_guard lock(shared_->m);
    shared_->stopping = true;
    for (const auto& [source, streams] : shared_->streams) {
      for (const auto& [id, stream] : streams)
        all.push_back(stream);
    }
  }
  for (const auto& s : all)
    s->end();
}

std::size_t EventStreams::open_count() const {
  const std::lock_guard lock(shared_->m);
  return shared_->count;
}

std::string EventStreams::loggable_path(std::string_view path) {
  if (!path.starts_with(kStreamPrefix)) return std::string(path);
  const auto slash = path.find('/', kStreamPrefix.size());
  if (slash == std::string_view::npos) return std::string(path);
  return std::string(path.substr(0, slash + 1)) + "***";
}

void EventStreams::notify(const std::string& source, std::int64_t seq) {
  std::vector<std::shared_ptr<Stream>> woken;
  {
    const std::lock_guard lock(shared_->m);
    shared_->remote_head = std::max(shared_->remote_head, seq);
    for (const auto& [name, streams] : shared_->streams) {
      if (!source.empty() && name != source) continue;
      for (const auto& [id, stream] : streams)
        woken.push_back(stream);
    }
  }
  for (const auto& s : woken)
    s->wake();
}

net::HttpResponse EventStreams::open(const net::HttpRequest& request, std::string& source_name,
                                     std::string& verdict) {
  const auto& config = shared_->config;
  // /stream/<source> or /stream/<source>/<capability>
  const std::string_view rest = std::string_view(request.path).substr(kStreamPrefix.size());
  const auto slash = rest.find('/');
  const auto name = rest.substr(0, slash);
  const auto capability =
      slash == std::string_view::npos ? std::optional<std::string_view>() : rest.substr(slash + 1);
  const config::Source* source = nullptr;
  for (const auto& s : config.sources) {
    if (s.name == name) source = &s;
  }
  const bool readable = source != nullptr && (capability ? source->stream_capability.has_value()
                                                         : source->pull_token.has_value());
  // A wrong capability is an unknown path: the path is the credential, and a 404 tells a guesser
  // nothing about which part was wrong.
  if (!readable ||
      (capability && !crypto::constant_time_equal(*capability, source->stream_capability->value))) {
    verdict = "unknown_path";
    return text(404, "unknown_path");
  }
  source_name = source->name;
  if (request.method != "GET") {
    verdict = "method_not_allowed";
    auto r = text(405, "method_not_allowed");
    r.headers.add("Allow", "GET");
    return r;
  }
  if (!capability) {
    const auto auth = request.headers.get("Authorization");
    const std::string expected = "Bearer " + source->pull_token->value;
    if (!auth || !crypto::constant_time_equal(*auth, expected)) {
      verdict = "unauthorized";
      auto r = text(401, "unauthorized");
      r.headers.add("WWW-Authenticate", "Bearer");
      return r;
    }
  }
  const auto after_param = schemes::url_query_param(request.target, "after");
  const auto cursor =
      stream_cursor(request.headers.get("Last-Event-ID"),
                    after_param ? std::optional<std::string_view>(*after_param) : std::nullopt);
  if (!cursor) {
    verdict = cursor.error();
    return text(400, cursor.error());
  }
  const std::string peer = peer_key(request.peer);
  std::shared_ptr<Stream> stream;
  {
    const std::lock_guard lock(shared_->m);
    const auto per_peer = shared_->per_peer.find(peer);
    const auto from_peer = per_peer == shared_->per_peer.end() ? 0 : per_peer->second;
    if (shared_->stopping || shared_->count >= config.streams.max_streams ||
        from_peer >= config.streams.max_streams_per_ip) {
      verdict = "too_many_streams";
      auto r = text(503, "too_many_streams");
      r.headers.add("Retry-After", "5");
      return r;
    }
    // Without a cursor the stream starts at the head: what is accepted from now on. Other
    // nodes' appends do not move this node's durable seq; their notifications do move
    // remote_head.
    const auto after =
        cursor->after.value_or(std::max(shared_->store.durable_seq(), shared_->remote_head));
    const auto id = shared_->next_id++;
    stream = std::make_shared<Stream>(shared_, source->name, peer, id, after);
    shared_->streams[source->name].emplace(id, stream);
    ++shared_->count;
    ++shared_->per_peer[peer];
  }
  verdict = "stream";
  net::HttpResponse r;
  r.headers.add("Content-Type", "text/event-stream");
  r.headers.add("Cache-Control", "no-cache");
  // Proxies that buffer responses (nginx) would hold the events back.
  r.headers.add("X-Accel-Buffering", "no");
  r.stream = stream;
  r.stream_options.max_queued_bytes = config.streams.buffer_bytes;
  r.stream_options.write_timeout = config.streams.write_timeout;
  r.stream_options.heartbeat = config.streams.ping_interval;
  r.stream_options.heartbeat_bytes = ": ping\n\n";
  return r;
}

}  // namespace hookgate::api
