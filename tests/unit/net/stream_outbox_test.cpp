// The streaming outbox: chunk framing, the bound that cuts a slow consumer, the clean end, and
// shared buffers: bytes queued on many outboxes are sent from the one buffer, never copied.
#include "net/stream_outbox.hpp"

#include <gtest/gtest.h>

#include <array>
#include <charconv>

namespace hookgate::net {
namespace {

struct Probe {
  int wakes = 0;
  int cuts = 0;
};

std::shared_ptr<StreamOutbox> outbox(Probe& p, std::size_t bound, bool chunked = true) {
  return std::make_shared<StreamOutbox>(
      bound, chunked, [&p] { ++p.wakes; }, [&p] { ++p.cuts; });
}

// What a connection would put on the wire for one take().
std::string bytes_of(const std::vector<StreamOutbox::Segment>& segments) {
  std::string out;
  for (const auto& s : segments)
    out.append(s.data(), s.size);
  return out;
}

// One take(), as bytes; empty when nothing waits.
std::string take(StreamOutbox& o, std::size_t max, bool& finish) {
  std::vector<StreamOutbox::Segment> segments;
  if (!o.take(segments, max, finish)) return {};
  return bytes_of(segments);
}

TEST(StreamOutbox, FramesChunksAndEndsWithTheLastChunk) {
  Probe p;
  auto o = outbox(p, 1024);
  EXPECT_TRUE(o->write("hello"));
  EXPECT_TRUE(o->write(""));  // nothing, and never the last chunk
  EXPECT_TRUE(o->write(std::string(26, 'z')));
  EXPECT_EQ(p.wakes, 1);  // one flush until the connection takes the bytes
  bool finish = false;
  const auto out = take(*o, 1 << 16, finish);
  EXPECT_EQ(out, "5\r\nhello\r\n1a\r\n" + std::string(26, 'z') + "\r\n");
  EXPECT_FALSE(finish);
  o->sent(out.size());
  EXPECT_EQ(o->queued(), 0U);
  std::vector<StreamOutbox::Segment> none;
  EXPECT_FALSE(o->take(none, 1 << 16, finish));
  EXPECT_TRUE(o->idle());
  o->close();
  EXPECT_EQ(p.wakes, 2);
  EXPECT_FALSE(o->write("late"));
  EXPECT_EQ(take(*o, 1 << 16, finish), "0\r\n\r\n");
  EXPECT_TRUE(finish);
}

TEST(StreamOutbox, CloseDelimitedStreamsAreNotFramed) {
  Probe p;
  auto o = outbox(p, 1024, false);
  o->write("data: 1\n\n");
  o->close();
  bool finish = false;
  EXPECT_EQ(take(*o, 1 << 16, finish), "data: 1\n\n");
  EXPECT_TRUE(finish);
}

TEST(StreamOutbox, AWriteAtTheBoundCutsTheStreamAndFreesNothingMore) {
  Probe p;
  auto o = outbox(p, 100);
  EXPECT_TRUE(o->write(std::string(150, 'a')));  // accepted below the bound: one write over
  EXPECT_GE(o->queued(), 150U);
  EXPECT_FALSE(o->write("b"));
  EXPECT_EQ(p.cuts, 1);
  EXPECT_FALSE(o->write("c"));
  EXPECT_EQ(p.cuts, 1);
  o->end();
  EXPECT_EQ(o->queued(), 0U);
  EXPECT_TRUE(o->ended());
}

TEST(StreamOutbox, TakesInSlicesSoEachWriteIsBounded) {
  Probe p;
  auto o = outbox(p, 1 << 20);
  o->write(std::string(1000, 'x'));
  o->write(std::string(10, 'y'));
  bool finish = false;
  std::string all;
  for (;;) {
    const auto out = take(*o, 64, finish);
    if (out.empty()) break;
    EXPECT_LE(out.size(), 64U);
    all += out;
    o->sent(out.size());
  }
  EXPECT_EQ(all, "3e8\r\n" + std::string(1000, 'x') + "\r\na\r\n" + std::string(10, 'y') + "\r\n");
  EXPECT_EQ(o->queued(), 0U);
}

TEST(StreamOutbox, ATakeHandsOverABoundedNumberOfPiecesForOneGatheringWrite) {
  Probe p;
  auto o = outbox(p, 1 << 20);
  std::string expected;
  for (int i = 0; i < 200; ++i) {
    const auto message = "data: " + std::to_string(i) + "\n\n";
    o->write(message);
    std::array<char, 8> size{};
    const auto end = std::to_chars(size.data(), size.data() + size.size(), message.size(), 16).ptr;
    expected += std::string(size.data(), end) + "\r\n" + message + "\r\n";
  }
  bool finish = false;
  std::vector<StreamOutbox::Segment> segments;
  std::size_t takes = 0;
  std::string all;
  while (o->take(segments, 1 << 16, finish)) {
    ++takes;
    EXPECT_LE(segments.size(), StreamOutbox::kMaxSegments);
    const auto out = bytes_of(segments);
    all += out;
    o->sent(out.size());
  }
  EXPECT_GT(takes, 1U);  // 200 messages are more pieces than one write takes
  EXPECT_EQ(all, expected);
  EXPECT_EQ(o->queued(), 0U);
}

TEST(StreamOutbox, SharedBytesAreSentFromTheOneBufferByEveryStream) {
  Probe p;
  const auto batch = std::make_shared<const std::string>(std::string(3000, 'e'));
  std::vector<std::shared_ptr<StreamOutbox>> outboxes;
  for (int i = 0; i < 100; ++i)
    outboxes.push_back(outbox(p, 1 << 20, i % 2 == 0));
  for (const auto& o : outboxes)
    ASSERT_TRUE(o->write_shared(batch));
  // Queued by reference: one buffer, a reference per stream, no copy.
  EXPECT_EQ(batch.use_count(), 101);
  for (std::size_t i = 0; i < outboxes.size(); ++i) {
    auto& o = *outboxes[i];
    EXPECT_EQ(o.queued(), i % 2 == 0 ? 3000U + 5 + 2 : 3000U);  // "bb8\r\n" ... "\r\n"
    std::vector<StreamOutbox::Segment> segments;
    bool finish = false;
    ASSERT_TRUE(o.take(segments, 1 << 16, finish));
    // The bytes the connection writes are the batch's own.
    std::size_t from_batch = 0;
    for (const auto& s : segments) {
      if (s.bytes) {
        EXPECT_EQ(s.bytes.get(), batch.get());
        EXPECT_EQ(s.data(), batch->data() + s.offset);
        from_batch += s.size;
      }
    }
    EXPECT_EQ(from_batch, 3000U);
    EXPECT_EQ(bytes_of(segments), i % 2 == 0 ? "bb8\r\n" + *batch + "\r\n" : *batch);
    o.sent(bytes_of(segments).size());
  }
  // Taken pieces hold the batch only while the connection writes them (here: until dropped).
  EXPECT_EQ(batch.use_count(), 1);
}

TEST(StreamOutbox, TheBoundHoldsWithSharedBuffersAndAnEndedStreamLetsThemGo) {
  Probe p;
  const auto batch = std::make_shared<const std::string>(std::string(600, 'b'));
  auto slow = outbox(p, 1000);
  auto fast = outbox(p, 1000);
  // The slow consumer takes nothing: one write over its bound is accepted, the next cuts it.
  EXPECT_TRUE(slow->write_shared(batch));
  EXPECT_TRUE(slow->write_shared(batch));
  EXPECT_GE(slow->queued(), 1200U);
  EXPECT_FALSE(slow->write_shared(batch));
  EXPECT_EQ(p.cuts, 1);
  EXPECT_FALSE(slow->write_shared(batch));
  EXPECT_EQ(p.cuts, 1);
  // The fast one drains as it goes and is never cut, whatever the slow one does.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(fast->write_shared(batch));
    bool finish = false;
    fast->sent(take(*fast, 1 << 16, finish).size());
  }
  EXPECT_EQ(fast->queued(), 0U);
  EXPECT_EQ(p.cuts, 1);
  // The cut stream's connection ends it: its references go, the batch lives only as long as
  // someone still sends it.
  EXPECT_EQ(batch.use_count(), 3);
  slow->end();
  EXPECT_EQ(batch.use_count(), 1);
  EXPECT_EQ(slow->queued(), 0U);
}

}  // namespace
}  // namespace hookgate::net
