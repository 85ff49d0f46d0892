// The streaming outbox: chunk framing, the bound that cuts a slow consumer, the clean end.
#include "net/stream_outbox.hpp"

#include <gtest/gtest.h>

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

TEST(StreamOutbox, FramesChunksAndEndsWithTheLastChunk) {
  Probe p;
  auto o = outbox(p, 1024);
  EXPECT_TRUE(o->write("hello"));
  EXPECT_TRUE(o->write(""));  // nothing, and never the last chunk
  EXPECT_TRUE(o->write(std::string(26, 'z')));
  EXPECT_EQ(p.wakes, 1);  // one flush until the connection takes the bytes
  std::string out;
  bool finish = false;
  ASSERT_TRUE(o->take(out, 1 << 16, finish));
  EXPECT_EQ(out, "5\r\nhello\r\n1a\r\n" + std::string(26, 'z') + "\r\n");
  EXPECT_FALSE(finish);
  o->sent(out.size());
  EXPECT_EQ(o->queued(), 0U);
  EXPECT_FALSE(o->take(out, 1 << 16, finish));
  EXPECT_TRUE(o->idle());
  o->close();
  EXPECT_EQ(p.wakes, 2);
  EXPECT_FALSE(o->write("late"));
  ASSERT_TRUE(o->take(out, 1 << 16, finish));
  EXPECT_EQ(out, "0\r\n\r\n");
  EXPECT_TRUE(finish);
}

TEST(StreamOutbox, CloseDelimitedStreamsAreNotFramed) {
  Probe p;
  auto o = outbox(p, 1024, false);
  o->write("data: 1\n\n");
  o->close();
  std::string out;
  bool finish = false;
  ASSERT_TRUE(o->take(out, 1 << 16, finish));
  EXPECT_EQ(out, "data: 1\n\n");
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
  std::string out;
  bool finish = false;
  std::size_t total = 0;
  while (o->take(out, 64, finish)) {
    EXPECT_LE(out.size(), 64U);
    total += out.size();
    o->sent(out.size());
  }
  EXPECT_EQ(total, 1000U + 3 + 2 + 2);  // "3e8\r\n" ... "\r\n"
  EXPECT_EQ(o->queued(), 0U);
}

}  // namespace
}  // namespace hookgate::net
