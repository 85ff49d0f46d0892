// Nodes on one PostgreSQL store wake each other: an append or a requeue on one node reaches the
// RemoteListener of the others (LISTEN/NOTIFY) within a bounded wait, never the node's own, and
// a node whose listening connection was cut hears the others again once it is back.
#include "store/postgres/notify.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "postgres_backend.hpp"

namespace hookgate::store::testing {
namespace {

using namespace std::chrono_literals;
using PostgresWakeUps = PostgresSchemaTest;

// What one store's RemoteListener was told.
class Heard {
 public:
  RemoteListener listener() {
    return [this](const RemoteAppend& append) {
      const std::lock_guard lock(m_);
      heard_.push_back(append);
      cv_.notify_all();
    };
  }
  // Waits (bounded) until a notice matching match arrives; true when one did.
  template <class Match>
  bool wait_for(Match match, std::chrono::milliseconds bound = 10s) {
    std::unique_lock lock(m_);
    return cv_.wait_for(lock, bound, [&] {
      for (const auto& a : heard_) {
        if (match(a)) return true;
      }
      return false;
    });
  }
  std::vector<RemoteAppend> all() {
    const std::lock_guard lock(m_);
    return heard_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::vector<RemoteAppend> heard_;
};

TEST_F(PostgresWakeUps, AnAppendOnOneNodeWakesTheOtherAndNotItself) {
  auto a = node();
  auto b = node();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  Heard heard_a;
  Heard heard_b;
  a->on_remote_append(heard_a.listener());
  b->on_remote_append(heard_b.listener());

  auto routed = b->append(event("github", 1, "x", {"svc"}));
  ASSERT_TRUE(routed) << routed.error();
  EXPECT_TRUE(heard_a.wait_for([&](const RemoteAppend& n) {
    return n.seq == routed->seq && n.source == "github" && n.routed;
  })) << "a was not told of b's append";

  auto plain = b->append(event("pull only \x01 source", 2, "y"));
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_TRUE(heard_a.wait_for([&](const RemoteAppend& n) {
    return n.seq == plain->seq && n.source == "pull only \x01 source" && !n.routed;
  }));

  // a's own append reaches b; once b heard it, a had its own notice too, and skipped it.
  auto own = a->append(event("github", 3, "z", {"svc"}));
  ASSERT_TRUE(own) << own.error();
  EXPECT_TRUE(heard_b.wait_for([&](const RemoteAppend& n) { return n.seq == own->seq; }));
  auto again = b->append(event("github", 4, "w", {"svc"}));
  ASSERT_TRUE(again) << again.error();
  ASSERT_TRUE(heard_a.wait_for([&](const RemoteAppend& n) { return n.seq == again->seq; }));
  for (const auto& n : heard_a.all())
    EXPECT_NE(n.seq, own->seq) << "a was told of its own append";
  for (const auto& n : heard_b.all()) {
    EXPECT_NE(n.seq, routed->seq) << "b was told of its own append";
    EXPECT_NE(n.seq, again->seq) << "b was told of its own append";
  }
}

TEST_F(PostgresWakeUps, ARequeueOnOneNodeWakesTheOthers) {
  auto a = node();
  auto b = node();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto appended = b->append(event("s", 1, "x", {"svc"}));
  ASSERT_TRUE(appended) << appended.error();
  auto claimed = b->claim_due(10, 1, "w", 1000);
  ASSERT_TRUE(claimed) << claimed.error();
  ASSERT_EQ(claimed->size(), 1u);
  Finished gave_up;
  gave_up.attempt.delivery_id = (*claimed)[0].id;
  gave_up.attempt.status = 410;
  gave_up.next = Next::give_up;
  ASSERT_TRUE(b->finish(gave_up, "w"));

  Heard heard;
  a->on_remote_append(heard.listener());
  Requeue which;
  which.event_seq = appended->seq;
  auto moved = b->requeue(which, 20);
  ASSERT_TRUE(moved) << moved.error();
  ASSERT_EQ(*moved, 1);
  EXPECT_TRUE(heard.wait_for(
      [](const RemoteAppend& n) { return n.seq == 0 && n.source.empty() && n.routed; }));
}

TEST_F(PostgresWakeUps, ANodeWhoseListeningConnectionWasCutHearsTheOthersAgain) {
  auto a = node();
  auto b = node();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  Heard heard;
  a->on_remote_append(heard.listener());
  // The listening connections: the only ones waiting on a LISTEN'd channel... cut them all.
  auto conn = admin();
  auto cut = conn.exec(
      "SELECT count(pg_terminate_backend(pid))::int8 FROM pg_stat_activity "
      "WHERE application_name = $1 AND query LIKE 'LISTEN %'",
      postgres::Params().text(instance_->schema()));
  ASSERT_TRUE(cut) << cut.error();
  ASSERT_EQ(cut->int64(0, 0), 2) << "one listening connection per node";
  EXPECT_TRUE(heard.wait_for([](const RemoteAppend& n) { return n.seq == 0 && n.routed; }))
      << "told once it is back, since notices sent meanwhile are lost";
  // b's writer is unaffected; a listens again: b's next append reaches it.
  auto appended = b->append(event("s", 1, "x", {"svc"}));
  ASSERT_TRUE(appended) << appended.error();
  EXPECT_TRUE(heard.wait_for([&](const RemoteAppend& n) { return n.seq == appended->seq; }));
}

TEST(PostgresNotifyPayload, RoundTripsAndSkipsItsOwnNonce) {
  const auto payload = postgres::append_payload("00aa", 42, true, std::string("a b\0c", 5));
  EXPECT_EQ(payload, "00aa 42 1 6120620063");
  auto parsed = postgres::parse_payload(payload, "ffff");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->seq, 42);
  EXPECT_TRUE(parsed->routed);
  EXPECT_EQ(parsed->source, std::string("a b\0c", 5));
  EXPECT_FALSE(postgres::parse_payload(payload, "00aa")) << "own notice";
  for (const char* bad : {"", "n", "n x 1 ", "n 1 2 ", "n 1 1 abc", "n 1 1 zz", "n 1x 1 "})
    EXPECT_FALSE(postgres::parse_payload(bad, "own")) << bad;
  EXPECT_EQ(postgres::append_payload("n", 1, false, std::string(5000, 's')), "n 1 0 ")
      << "a source too long for a notice is left out";
}

}  // namespace
}  // namespace hookgate::store::testing
