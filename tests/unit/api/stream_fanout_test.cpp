// StreamFanout on a real store (SQLite, and PostgreSQL when one is configured) with recording
// writers in place of connections: every live stream of a source gets every event in order from
// one shared read per wake-up, a stream joining mid-way gets exactly what follows its cursor, a
// stream resuming from the start catches up and then follows, and a consumer that lets its
// bound fill is dropped without holding up the others.
#include "api/stream_fanout.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "../store/postgres/postgres_backend.hpp"
#include "../store/sqlite/sqlite_backend.hpp"

namespace hookgate::api {
namespace {

using namespace std::chrono_literals;
using store::testing::StoreContract;

// A connection's outbox as a stream sees it: bounded, and recording what it was given (and the
// buffer it came in, when shared). It never calls back into the stream (the real outbox hands
// everything to the network thread).
class RecordingWriter : public net::StreamWriter {
 public:
  explicit RecordingWriter(std::size_t max_bytes) : max_(max_bytes) {}
  bool write(std::string bytes) override {
    return record(std::make_shared<const std::string>(std::move(bytes)), false);
  }
  bool write_shared(std::shared_ptr<const std::string> bytes) override {
    return record(std::move(bytes), true);
  }
  bool record(std::shared_ptr<const std::string> bytes, bool shared) {
    const std::lock_guard lock(m_);
    if (ended_) {
      ++refused_;
      return false;
    }
    if (queued_ >= max_) {
      ended_ = true;  // cut off, as StreamOutbox does
      ++refused_;
      return false;
    }
    queued_ += bytes->size();
    written_.push_back(*bytes);
    // Kept, so a buffer's address is never reused by a later one while the test looks.
    if (shared) shared_.push_back(std::move(bytes));
    return true;
  }
  std::size_t queued() const override {
    const std::lock_guard lock(m_);
    return queued_;
  }
  void close() override {
    const std::lock_guard lock(m_);
    ended_ = true;
  }
  // The consumer read everything.
  void drain() {
    const std::lock_guard lock(m_);
    queued_ = 0;
  }
  std::vector<std::string> written() const {
    const std::lock_guard lock(m_);
    return written_;
  }
  // The buffers given by reference (the feed's batches), in order.
  std::vector<std::shared_ptr<const std::string>> shared() const {
    const std::lock_guard lock(m_);
    return shared_;
  }
  bool ended() const {
    const std::lock_guard lock(m_);
    return ended_;
  }
  int refused() const {
    const std::lock_guard lock(m_);
    return refused_;
  }

 private:
  const std::size_t max_;
  mutable std::mutex m_;
  std::vector<std::string> written_;
  std::vector<std::shared_ptr<const std::string>> shared_;
  std::size_t queued_ = 0;
  bool ended_ = false;
  int refused_ = 0;
};

// Each event as "<seq>;": a write may carry a batch of them.
std::string format(const store::Event& e) {
  return std::to_string(e.seq) + ";";
}

// The seqs a writer got after its ready message.
std::vector<std::int64_t> seqs(const RecordingWriter& w) {
  std::vector<std::int64_t> out;
  const auto written = w.written();
  for (std::size_t i = 1; i < written.size(); ++i) {
    std::size_t at = 0;
    while (at < written[i].size()) {
      const auto end = written[i].find(';', at);
      out.push_back(std::stoll(written[i].substr(at, end - at)));
      at = end + 1;
    }
  }
  return out;
}

bool eventually(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

class StreamFanoutTest : public StoreContract {
 protected:
  struct Open {
    std::shared_ptr<net::StreamSink> sink;
    std::shared_ptr<RecordingWriter> writer;
  };

  Open open(StreamFanout& fanout, std::int64_t after, std::size_t max_bytes = 1 << 20,
            const std::string& topic = "github") {
    Subscription s;
    s.topic = topic;
    s.peer = "127.0.0.1";
    s.after = after;
    s.ready = "ready";
    s.format = format;
    Open o{fanout.subscribe(std::move(s)), std::make_shared<RecordingWriter>(max_bytes)};
    EXPECT_NE(o.sink, nullptr);
    if (o.sink) o.sink->on_open(o.writer);
    return o;
  }

  std::int64_t accept(StreamFanout& fanout, const std::string& topic = "github") {
    const auto seq = append_ok(store::testing::event(topic, 1000));
    fanout.notify(topic, seq);
    return seq;
  }

  static config::Streams limits() {
    config::Streams l;
    l.max_streams = 300;
    l.max_streams_per_ip = 300;
    return l;
  }
};

TEST_P(StreamFanoutTest, EveryLiveStreamGetsEveryEventInOrderFromOneReadPerWake) {
  StreamFanout fanout(*store_, limits());
  constexpr int kStreams = 100;
  constexpr int kEvents = 40;
  std::vector<Open> streams;
  const auto head = fanout.head();
  for (int i = 0; i < kStreams; ++i)
    streams.push_back(open(fanout, head));
  // Another source's stream: its events never reach these, nor do its wake-ups read for them.
  auto other = open(fanout, head, 1 << 20, "other");
  const auto first = accept(fanout);
  ASSERT_TRUE(eventually([&] {
    for (const auto& s : streams) {
      if (seqs(*s.writer).size() != 1) return false;
    }
    return true;
  }));
  const auto reads_before = fanout.store_reads();
  std::vector<std::int64_t> expected{first};
  for (int i = 0; i < kEvents; ++i)
    expected.push_back(accept(fanout));
  ASSERT_TRUE(eventually([&] {
    for (const auto& s : streams) {
      if (seqs(*s.writer).size() != expected.size()) return false;
    }
    return true;
  }));
  for (const auto& s : streams)
    EXPECT_EQ(seqs(*s.writer), expected);
  EXPECT_TRUE(seqs(*other.writer).empty());
  // One read per wake-up at most (fewer when they coalesce), plus the streams that were still
  // joining when the first event came, never one per stream per event (kStreams * kEvents).
  EXPECT_LE(fanout.store_reads() - reads_before, std::uint64_t{2 * kEvents + kStreams});
  EXPECT_EQ(fanout.open_count(), std::size_t{kStreams + 1});
  for (auto& s : streams)
    s.sink->on_closed();
  other.sink->on_closed();
  EXPECT_EQ(fanout.open_count(), 0U);
}

TEST_P(StreamFanoutTest, EachBatchIsOneBufferWrittenToEveryLiveStreamWithoutACopy) {
  StreamFanout fanout(*store_, limits());
  constexpr int kStreams = 50;
  constexpr int kEvents = 30;
  std::vector<Open> streams;
  const auto head = fanout.head();
  for (int i = 0; i < kStreams; ++i)
    streams.push_back(open(fanout, head));
  std::vector<std::int64_t> expected;
  for (int i = 0; i < kEvents; ++i) {
    expected.push_back(accept(fanout));
    // Every stream has what came so far before the next: most of the writes are the feed's.
    ASSERT_TRUE(eventually([&] {
      for (const auto& s : streams) {
        if (seqs(*s.writer).size() != expected.size()) return false;
      }
      return true;
    }));
  }
  // A batch's bytes exist once: every stream that got a batch from the feed got the same
  // buffer (a stream still catching up reads and writes its own, never by reference).
  std::map<std::string, std::set<const std::string*>> buffers_of;  // batch bytes -> buffers
  std::map<const std::string*, int> streams_of;                    // buffer -> streams
  for (const auto& s : streams) {
    EXPECT_EQ(seqs(*s.writer), expected);
    for (const auto& b : s.writer->shared()) {
      buffers_of[*b].insert(b.get());
      ++streams_of[b.get()];
    }
  }
  ASSERT_FALSE(buffers_of.empty());
  for (const auto& [bytes, buffers] : buffers_of)
    EXPECT_EQ(buffers.size(), 1U) << bytes;
  int widest = 0;
  for (const auto& [buffer, n] : streams_of)
    widest = std::max(widest, n);
  EXPECT_GE(widest, kStreams / 2);
  // At most one buffer per store read, however many streams it went to.
  EXPECT_LE(streams_of.size(), fanout.store_reads());
  for (auto& s : streams)
    s.sink->on_closed();
}

TEST_P(StreamFanoutTest, JoinersMidWayResumersAndALaggardThatIsCutOff) {
  auto l = limits();
  l.buffer_bytes = 256;  // a stream catching up waits for its consumer past 128 bytes
  StreamFanout fanout(*store_, l);
  std::vector<std::int64_t> all;
  for (int i = 0; i < 20; ++i)
    all.push_back(accept(fanout));  // before any stream: the backlog
  auto early = open(fanout, fanout.head());
  // Never drains: room for a few events, then cut off by its bound.
  auto laggard = open(fanout, fanout.head(), 8);
  std::vector<std::int64_t> live;
  for (int i = 0; i < 15; ++i) {
    live.push_back(accept(fanout));
    // Each stream must be live before the next event, or it would have read it itself.
    if (i == 0) {
      ASSERT_TRUE(eventually([&] { return seqs(*early.writer).size() == 1; }));
    }
  }
  // Joins mid-way, at the head; and one resuming from the very start while events still come.
  auto midway = open(fanout, fanout.head());
  auto resumer = open(fanout, 0, 256);
  std::vector<std::int64_t> later;
  for (int i = 0; i < 15; ++i) {
    later.push_back(accept(fanout));
    if (i == 0) {
      ASSERT_TRUE(eventually([&] { return !seqs(*midway.writer).empty(); }));
    }
    // The resumer's consumer reads as it goes (its bound of 256 bytes is a few events).
    resumer.writer->drain();
    resumer.sink->on_drained();
  }
  std::vector<std::int64_t> everything = all;
  everything.insert(everything.end(), live.begin(), live.end());
  everything.insert(everything.end(), later.begin(), later.end());
  std::vector<std::int64_t> since_early = live;
  since_early.insert(since_early.end(), later.begin(), later.end());
  ASSERT_TRUE(eventually([&] {
    resumer.writer->drain();
    resumer.sink->on_drained();
    return seqs(*early.writer).size() == since_early.size() &&
           seqs(*resumer.writer).size() == everything.size() &&
           seqs(*midway.writer).size() == later.size();
  }));
  EXPECT_EQ(seqs(*early.writer), since_early);
  EXPECT_EQ(seqs(*resumer.writer), everything);
  // The mid-way joiner gets exactly what came after the head it was opened at.
  EXPECT_EQ(seqs(*midway.writer), later);
  // The laggard got an in-order prefix, was cut off once, and was not written to after.
  EXPECT_TRUE(laggard.writer->ended());
  EXPECT_EQ(laggard.writer->refused(), 1);
  const auto got = seqs(*laggard.writer);
  EXPECT_LT(got.size(), since_early.size());
  EXPECT_EQ(
      got, std::vector<std::int64_t>(
               since_early.begin(), since_early.begin() + static_cast<std::ptrdiff_t>(got.size())));
  for (auto* s : {&early, &laggard, &midway, &resumer})
    s->sink->on_closed();
}

TEST_P(StreamFanoutTest, AStreamPastItsAuthorisationGetsNothingMoreAndEnds) {
  StreamFanout fanout(*store_, limits());
  accept(fanout);
  auto current = open(fanout, 0);
  Subscription s;
  s.topic = "github";
  s.peer = "127.0.0.1";
  s.ready = "ready";
  s.format = format;
  s.expires = std::chrono::steady_clock::now() - 1s;
  auto sink = fanout.subscribe(std::move(s));
  ASSERT_NE(sink, nullptr);
  auto writer = std::make_shared<RecordingWriter>(1 << 20);
  sink->on_open(writer);
  accept(fanout);
  ASSERT_TRUE(eventually([&] { return seqs(*current.writer).size() == 2 && writer->ended(); }));
  EXPECT_TRUE(seqs(*writer).empty());
  current.sink->on_closed();
  sink->on_closed();
}

TEST_P(StreamFanoutTest, StreamsAreBoundedAndStopEndsThemAll) {
  auto l = limits();
  l.max_streams = 3;
  l.max_streams_per_ip = 2;
  StreamFanout fanout(*store_, l);
  auto a = open(fanout, 0);
  auto b = open(fanout, 0);
  Subscription s;
  s.topic = "github";
  s.peer = "127.0.0.1";
  s.format = format;
  EXPECT_EQ(fanout.subscribe(s), nullptr);  // a third from one address
  s.peer = "127.0.0.2";
  auto c = fanout.subscribe(s);
  ASSERT_NE(c, nullptr);
  s.peer = "127.0.0.3";
  EXPECT_EQ(fanout.subscribe(s), nullptr);  // a fourth on the node
  fanout.stop();
  EXPECT_TRUE(a.writer->ended());
  EXPECT_TRUE(b.writer->ended());
  for (auto* o : {&a, &b})
    o->sink->on_closed();
  c->on_closed();
  EXPECT_EQ(fanout.open_count(), 0U);
}

INSTANTIATE_TEST_SUITE_P(Backends, StreamFanoutTest,
                         ::testing::Values(store::testing::sqlite_backend(),
                                           store::testing::postgres_backend()),
                         [](const auto& p) { return p.param.name; });

}  // namespace
}  // namespace hookgate::api
