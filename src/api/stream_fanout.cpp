// Event streams' shared feeds, their catching up, and the bounds on how many are open.
#include "api/stream_fanout.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "api/worker_pool.hpp"

namespace hookgate::api {

namespace {

// Events one stream catching up reads at once: with 1 MiB bodies a page is a few MiB in a
// worker's hands for a moment, never kept.
constexpr std::size_t kPage = 16;
// Events a feed reads at once: its page is formatted once and shared by all its live streams.
constexpr std::size_t kFeedPage = 64;
// Store reads run here, never on a network thread.
constexpr std::size_t kWorkers = 2;
// A feed reads at most once per linger: under a stream of accepts each read takes the batch that
// came meanwhile, and each stream gets one write (one wake of its connection, one socket write)
// per batch instead of one per event. A first event after a quiet spell is read at once. The
// linger grows with the feed's live streams so that the writes of a feed stay near
// kFeedWritesPerSecond however many streams it has (a hundred streams: one read per 25 ms, each
// stream's write carrying five times as many events), within kLinger..kMaxLinger.
constexpr std::chrono::microseconds kLinger{5'000};
constexpr std::chrono::microseconds kMaxLinger{50'000};
constexpr std::size_t kFeedWritesPerSecond = 4'000;

}  // namespace

struct StreamFanout::Feed {
  std::string topic;
  StreamFormat format;
  // Every event of topic up to here was written to the live streams (or they had it already).
  std::int64_t cursor = 0;
  bool reading = false;  // a read job is queued or running
  bool again = false;    // woken while reading: read once more after
  bool parked = false;   // in Shared::parked, to be read at last_read + linger()
  std::chrono::steady_clock::time_point last_read{};
  std::map<std::uint64_t, std::shared_ptr<Stream>> live;
  std::size_t members = 0;  // live or not

  // Under Shared::m: the least time between two reads, for the streams live now.
  std::chrono::microseconds linger() const {
    const std::chrono::microseconds spread(live.size() * 1'000'000 / kFeedWritesPerSecond);
    return std::clamp(spread, kLinger, kMaxLinger);
  }
};

struct StreamFanout::Shared : std::enable_shared_from_this<StreamFanout::Shared> {
  store::Store& store;
  const config::Streams limits;
  mutable std::mutex m;        // guards everything below and every stream's and feed's state
  WorkerPool* pool = nullptr;  // null once the owner is gone
  bool stopping = false;
  std::uint64_t next_id = 0;
  std::map<std::string, std::shared_ptr<Feed>, std::less<>> feeds;
  std::map<std::uint64_t, std::shared_ptr<Stream>> all;
  std::map<std::string, std::size_t, std::less<>> per_peer;
  std::int64_t remote_head = 0;  // the highest seq other nodes announced
  std::atomic<std::uint64_t> reads{0};
  // Feeds woken within their linger of their last read; the pacer thread reads them then.
  std::vector<std::shared_ptr<Feed>> parked;
  std::condition_variable pacer_wake;
  bool pacer_stop = false;

  Shared(store::Store& s, const config::Streams& l) : store(s), limits(l) {}

  bool post(std::function<void()> job) {
    const std::lock_guard lock(m);
    return pool != nullptr && pool->try_post(std::move(job));
  }

  // Under m: whether feed must be read now (it has live streams and no read under way); a
  // read under way reads once more instead.
  bool wake(const std::shared_ptr<Feed>& feed) {
    if (feed->live.empty() || feed->parked) return false;
    if (feed->reading) {
      feed->again = true;
      return false;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - feed->last_read < feed->linger()) {
      park(feed);
      return false;
    }
    feed->reading = true;
    feed->last_read = now;
    return true;
  }
  void park(const std::shared_ptr<Feed>& feed) {
    feed->parked = true;
    parked.push_back(feed);
    pacer_wake.notify_one();
  }
  // The pacer thread: starts the parked feeds' reads when their time has come.
  void pace();
  // Without m: queues the read that wake() asked for.
  void start_read(const std::shared_ptr<Feed>& feed);
  // On a worker: the feed's reads until it has caught up with the store.
  void read_feed(const std::shared_ptr<Feed>& feed);
  // Ends the live streams of feed (a store failure): they resume with their cursors.
  void cut_live(const std::shared_ptr<Feed>& feed);
};

class StreamFanout::Stream : public net::StreamSink,
                             public std::enable_shared_from_this<StreamFanout::Stream> {
 public:
  Stream(std::shared_ptr<Shared> shared, std::shared_ptr<Feed> feed, Subscription s,
         std::uint64_t id)
      : shared_(std::move(shared)),
        feed_(std::move(feed)),
        peer_(std::move(s.peer)),
        ready_(std::move(s.ready)),
        filter_(std::move(s.filter)),
        expires_(s.expires),
        id_(id),
        cursor_(s.after) {}

  void on_open(std::shared_ptr<net::StreamWriter> writer) override {
    bool close = false;
    {
      const std::lock_guard lock(shared_->m);
      if (closed_) return;
      writer_ = writer;
      close = close_on_open_;
    }
    writer->write(std::move(ready_));
    if (close) return writer->close();
    schedule();
  }

  void on_drained() override {
    {
      const std::lock_guard lock(shared_->m);
      if (!waiting_drain_) return;
      waiting_drain_ = false;
    }
    schedule();
  }

  void on_closed() override {
    const std::lock_guard lock(shared_->m);
    if (closed_) return;
    closed_ = true;
    live_ = false;
    writer_.reset();
    feed_->live.erase(id_);
    if (--feed_->members == 0) {
      const auto it = shared_->feeds.find(feed_->topic);
      if (it != shared_->feeds.end() && it->second == feed_) shared_->feeds.erase(it);
    }
    shared_->all.erase(id_);
    const auto p = shared_->per_peer.find(peer_);
    if (p != shared_->per_peer.end() && --p->second == 0) shared_->per_peer.erase(p);
  }

  void end() {
    std::shared_ptr<net::StreamWriter> writer;
    {
      const std::lock_guard lock(shared_->m);
      close_on_open_ = true;
      writer = writer_;
    }
    if (writer) writer->close();
  }

  // Under shared_->m, by the feed: writes the events this stream wants and has not had. False
  // when the stream is over (closed, or cut off by its bound): the feed drops it.
  bool deliver(const std::vector<store::Event>& events,
               const std::vector<std::shared_ptr<const std::string>>& formatted,
               const std::shared_ptr<const std::string>& joined,
               std::chrono::steady_clock::time_point now) {
    if (!writer_) return false;
    if (now >= expires_) {
      live_ = false;
      writer_->close();  // nothing more under this authorisation: the client comes back
      return false;
    }
    // The common case, a stream that wants the whole batch: one write, one wake of its
    // connection, however many events the batch holds, of the batch's one buffer.
    if (!filter_ && !events.empty() && events.front().seq > cursor_) {
      if (!writer_->write_shared(joined)) {
        live_ = false;
        return false;
      }
      cursor_ = events.back().seq;
      return true;
    }
    for (std::size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      if (e.seq <= cursor_) continue;
      if (!filter_ || filter_(e)) {
        if (!writer_->write_shared(formatted[i])) {
          live_ = false;
          return false;
        }
      }
      cursor_ = e.seq;
    }
    return true;
  }

  // Under shared_->m: the writer of a live stream, for ending it.
  std::shared_ptr<net::StreamWriter> writer() const { return writer_; }
  void leave_live() { live_ = false; }

 private:
  // At most one catch-up job per stream at a time; a live stream reads through its feed.
  void schedule() {
    {
      const std::lock_guard lock(shared_->m);
      if (closed_ || !writer_ || live_ || fetching_) return;
      fetching_ = true;
    }
    auto self = shared_from_this();
    const bool posted = shared_->post([self] {
      try {
        self->catch_up();
      } catch (const std::exception&) {
        self->fail();
      }
    });
    if (!posted) fail();  // shutting down or saturated: the client resumes later
  }

  void fail() {
    std::shared_ptr<net::StreamWriter> writer;
    {
      const std::lock_guard lock(shared_->m);
      fetching_ = false;
      writer = writer_;
    }
    if (writer) writer->close();
  }

  // On a worker: pages from the store until this stream has reached its feed (then it joins
  // it), or until the consumer must take what was written before more is read.
  void catch_up() {
    const auto low_water = shared_->limits.buffer_bytes / 2;
    for (;;) {
      std::shared_ptr<net::StreamWriter> writer;
      std::int64_t cursor = 0;
      std::int64_t feed_cursor = 0;
      {
        const std::lock_guard lock(shared_->m);
        if (closed_ || !writer_) {
          fetching_ = false;
          return;
        }
        writer = writer_;
        cursor = cursor_;
        feed_cursor = feed_->cursor;
      }
      if (std::chrono::steady_clock::now() >= expires_) return fail();  // ends it cleanly
      ++shared_->reads;
      auto events = shared_->store.events_after(feed_->topic, cursor, kPage);
      // A store failure ends the stream; the client comes back with its cursor.
      if (!events) return fail();
      bool paced = false;
      for (const auto& e : *events) {
        // The consumer sets the pace: a page is not written past the low-water mark, the rest
        // is read again once it has drained.
        if (writer->queued() >= low_water) {
          paced = true;
          break;
        }
        if ((!filter_ || filter_(e)) && !writer->write(feed_->format(e))) {
          const std::lock_guard lock(shared_->m);
          fetching_ = false;
          return;
        }
        cursor = e.seq;
      }
      std::unique_lock lock(shared_->m);
      cursor_ = cursor;
      if (closed_) {
        fetching_ = false;
        return;
      }
      if (paced || events->size() == kPage) {
        // Checked under the lock on_drained takes, so a drain is never missed in between.
        if (writer->queued() >= low_water) {
          waiting_drain_ = true;
          fetching_ = false;
          return;
        }
        continue;
      }
      // A short page: the store had nothing more for this stream when it was read, and that
      // read came after the feed's up to feed_cursor, so it saw all of those too.
      cursor_ = std::max(cursor_, feed_cursor);
      if (cursor_ < feed_->cursor) continue;  // the feed moved on meanwhile: read up to it
      // Joining. A feed with no live stream skips its reads, so its position is this one's;
      // with live streams it keeps its own, and this stream skips what it has had.
      if (feed_->live.empty() && !feed_->reading) feed_->cursor = cursor_;
      live_ = true;
      fetching_ = false;
      feed_->live.emplace(id_, shared_from_this());
      // An event that became visible after this stream's last read may have been announced
      // while the feed had no live stream to read for: the feed reads once now.
      const bool read = shared_->wake(feed_);
      lock.unlock();
      if (read) shared_->start_read(feed_);
      return;
    }
  }

  const std::shared_ptr<Shared> shared_;
  const std::shared_ptr<Feed> feed_;
  const std::string peer_;
  std::string ready_;
  const StreamFilter filter_;
  const std::chrono::steady_clock::time_point expires_;
  const std::uint64_t id_;
  // Guarded by shared_->m.
  std::shared_ptr<net::StreamWriter> writer_;
  std::int64_t cursor_;
  bool live_ = false;
  bool fetching_ = false;
  bool waiting_drain_ = false;
  bool close_on_open_ = false;
  bool closed_ = false;
};

void StreamFanout::Shared::read_feed(const std::shared_ptr<Feed>& feed) {
  for (;;) {
    std::int64_t cursor = 0;
    {
      const std::lock_guard lock(m);
      // No live stream: nothing to read for. A stream joining later brings its own position.
      if (feed->live.empty()) {
        feed->reading = false;
        feed->again = false;
        return;
      }
      cursor = feed->cursor;
      feed->again = false;
    }
    ++reads;
    auto events = store.events_after(feed->topic, cursor, kFeedPage);
    if (!events) return cut_live(feed);
    // Formatted once, outside the lock, into buffers every stream sends as they are: each
    // event's own (for streams with a filter) and the batch's.
    std::vector<std::shared_ptr<const std::string>> formatted;
    formatted.reserve(events->size());
    std::size_t size = 0;
    for (const auto& e : *events) {
      formatted.push_back(std::make_shared<const std::string>(feed->format(e)));
      size += formatted.back()->size();
    }
    auto batch = std::make_shared<std::string>();
    batch->reserve(size);
    for (const auto& f : formatted)
      *batch += *f;
    const std::shared_ptr<const std::string> joined = std::move(batch);
    const auto now = std::chrono::steady_clock::now();
    const std::lock_guard lock(m);
    for (auto it = feed->live.begin(); it != feed->live.end();) {
      if (it->second->deliver(*events, formatted, joined, now)) {
        ++it;
      } else {
        it = feed->live.erase(it);  // over: its on_closed forgets the rest
      }
    }
    if (!events->empty()) feed->cursor = std::max(feed->cursor, events->back().seq);
    if (events->size() == kFeedPage) continue;  // a backlog: read on at once
    feed->reading = false;
    if (feed->again) {
      // Woken meanwhile: read again once the linger is up, with whatever came by then.
      feed->again = false;
      if (!feed->parked) park(feed);
    }
    return;
  }
}

void StreamFanout::Shared::pace() {
  std::unique_lock lock(m);
  for (;;) {
    if (pacer_stop) return;
    if (parked.empty()) {
      pacer_wake.wait(lock);
      continue;
    }
    auto due = parked.front()->last_read + parked.front()->linger();
    for (const auto& f : parked)
      due = std::min(due, f->last_read + f->linger());
    if (std::chrono::steady_clock::now() < due) {
      pacer_wake.wait_until(lock, due);
      continue;
    }
    const auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Feed>> ready;
    for (auto it = parked.begin(); it != parked.end();) {
      auto& f = *it;
      if (now - f->last_read < f->linger()) {
        ++it;
        continue;
      }
      f->parked = false;
      if (!f->live.empty() && !f->reading) {
        f->reading = true;
        f->last_read = now;
        ready.push_back(f);
      } else if (f->reading) {
        f->again = true;
      }
      it = parked.erase(it);
    }
    lock.unlock();
    for (const auto& f : ready)
      start_read(f);
    lock.lock();
  }
}

void StreamFanout::Shared::start_read(const std::shared_ptr<Feed>& feed) {
  const std::weak_ptr<Shared> weak = weak_from_this();
  const bool posted = post([weak, feed] {
    const auto shared = weak.lock();
    if (!shared) return;
    try {
      shared->read_feed(feed);
    } catch (const std::exception&) {
      shared->cut_live(feed);
    }
  });
  // Saturated or stopping: the feed's streams end and resume with their cursors rather than
  // miss events.
  if (!posted) cut_live(feed);
}

void StreamFanout::Shared::cut_live(const std::shared_ptr<Feed>& feed) {
  std::vector<std::shared_ptr<net::StreamWriter>> writers;
  {
    const std::lock_guard lock(m);
    for (const auto& [id, stream] : feed->live) {
      stream->leave_live();
      if (auto w = stream->writer()) writers.push_back(std::move(w));
    }
    feed->live.clear();
    feed->reading = false;
    feed->again = false;
  }
  for (const auto& w : writers)
    w->close();
}

StreamFanout::StreamFanout(store::Store& store, const config::Streams& limits)
    : shared_(std::make_shared<Shared>(store, limits)),
      // Owned here, not by Shared: a worker dropping the last reference to a stream must never
      // be the one destroying (and joining) its own pool. One job per stream and one per feed
      // at most.
      pool_(std::make_unique<WorkerPool>(kWorkers, 2 * limits.max_streams + 16)) {
  {
    const std::lock_guard lock(shared_->m);
    shared_->pool = pool_.get();
  }
  pacer_ = std::thread([shared = shared_] {
    try {
      shared->pace();
    } catch (const std::exception&) {
      // Out of memory: parked feeds are not read; their streams' clients time out and resume.
    }
  });
}

StreamFanout::~StreamFanout() {
  stop();
  {
    const std::lock_guard lock(shared_->m);
    shared_->pacer_stop = true;
    shared_->pacer_wake.notify_all();
  }
  pacer_.join();
  {
    const std::lock_guard lock(shared_->m);
    shared_->pool = nullptr;
  }
  pool_.reset();  // finishes the reads in progress, then joins
}

std::int64_t StreamFanout::head() const {
  const auto durable = shared_->store.durable_seq();
  const std::lock_guard lock(shared_->m);
  return std::max(durable, shared_->remote_head);
}

std::shared_ptr<net::StreamSink> StreamFanout::subscribe(Subscription subscription) {
  const std::lock_guard lock(shared_->m);
  const auto& limits = shared_->limits;
  const auto per_peer = shared_->per_peer.find(subscription.peer);
  const auto from_peer = per_peer == shared_->per_peer.end() ? 0 : per_peer->second;
  if (shared_->stopping || shared_->all.size() >= limits.max_streams ||
      from_peer >= limits.max_streams_per_ip) {
    return nullptr;
  }
  auto& feed = shared_->feeds[subscription.topic];
  if (!feed) {
    feed = std::make_shared<Feed>();
    feed->topic = subscription.topic;
    feed->format = subscription.format;
    feed->cursor = subscription.after;
  }
  ++feed->members;
  const auto id = shared_->next_id++;
  ++shared_->per_peer[subscription.peer];
  auto stream = std::make_shared<Stream>(shared_, feed, std::move(subscription), id);
  shared_->all.emplace(id, stream);
  return stream;
}

void StreamFanout::notify(const std::string& topic, std::int64_t seq) {
  std::vector<std::shared_ptr<Feed>> woken;
  {
    const std::lock_guard lock(shared_->m);
    shared_->remote_head = std::max(shared_->remote_head, seq);
    if (topic.empty()) {
      for (const auto& [name, feed] : shared_->feeds) {
        if (shared_->wake(feed)) woken.push_back(feed);
      }
    } else if (const auto it = shared_->feeds.find(topic); it != shared_->feeds.end()) {
      if (shared_->wake(it->second)) woken.push_back(it->second);
    }
  }
  for (const auto& feed : woken)
    shared_->start_read(feed);
}

void StreamFanout::stop() {
  std::vector<std::shared_ptr<Stream>> all;
  {
    const std::lock_guard lock(shared_->m);
    shared_->stopping = true;
    for (const auto& [id, stream] : shared_->all)
      all.push_back(stream);
  }
  for (const auto& s : all)
    s->end();
}

std::size_t StreamFanout::open_count() const {
  const std::lock_guard lock(shared_->m);
  return shared_->all.size();
}

std::uint64_t StreamFanout::store_reads() const {
  return shared_->reads.load();
}

net::HttpResponse StreamFanout::response(const config::Streams& limits,
                                         std::shared_ptr<net::StreamSink> sink) {
  net::HttpResponse r;
  r.headers.add("Content-Type", "text/event-stream");
  r.headers.add("Cache-Control", "no-cache");
  // Proxies that buffer responses (nginx) would hold the events back.
  r.headers.add("X-Accel-Buffering", "no");
  r.stream = std::move(sink);
  r.stream_options.max_queued_bytes = limits.buffer_bytes;
  r.stream_options.write_timeout = limits.write_timeout;
  r.stream_options.heartbeat = limits.ping_interval;
  r.stream_options.heartbeat_bytes = ": ping\n\n";
  return r;
}

}  // namespace hookgate::api
