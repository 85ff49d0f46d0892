// Store contract, retention: prune_events deletes finished events past the age with their
// deliveries and attempts, keeps every event with a pending delivery or an open de-duplication
// window, and looks at no more than its limit per call.
#include <string>
#include <vector>

#include "store_contract.hpp"

namespace hookgate::store::testing {
namespace {

class Retention {
 public:
  explicit Retention(Store& store) : store_(store) {}

  // Claims every due delivery at now_ms and finishes each with next.
  void finish_all(std::int64_t now_ms, Next next) {
    auto claimed = store_.claim_due(now_ms, 1000, "w", 60'000);
    ASSERT_TRUE(claimed) << claimed.error();
    for (const auto& d : *claimed) {
      Finished f;
      f.attempt.delivery_id = d.id;
      f.attempt.started_ms = now_ms;
      f.attempt.status = next == Next::delivered ? 200 : 500;
      f.next = next;
      auto done = store_.finish(f, "w");
      ASSERT_TRUE(done) << done.error();
    }
  }
  bool exists(std::int64_t seq) {
    auto found = store_.event(seq);
    EXPECT_TRUE(found) << found.error();
    return found && found->has_value();
  }

 private:
  Store& store_;
};

TEST_P(StoreContract, RetentionDeletesOldFinishedEventsAndKeepsPendingOnesAndOpenWindows) {
  Retention r(*store_);
  // Finished long ago: one delivered, one given up (with its attempt), one with no deliveries.
  const auto delivered = append_ok(event("s", 1000, "delivered", {"d"}));
  r.finish_all(1000, Next::delivered);
  const auto failed = append_ok(event("s", 1001, "failed", {"d"}));
  r.finish_all(1001, Next::give_up);
  auto failed_deliveries = store_->deliveries(failed);
  ASSERT_TRUE(failed_deliveries);
  ASSERT_EQ(failed_deliveries->size(), 1U);
  const auto failed_delivery = failed_deliveries->front().id;
  const auto undelivered = append_ok(event("s", 1002, "no destinations"));
  // As old, but still pending: retried later, never pruned before it is done.
  const auto pending = append_ok(event("s", 1003, "pending", {"d", "e"}));
  auto claimed = store_->claim_due(1003, 10, "w", 1'000'000);  // leased past the young one's claim
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 2U);
  Finished one;
  one.attempt.delivery_id = (*claimed)[0].id;
  one.next = Next::delivered;
  ASSERT_TRUE(store_->finish(one, "w"));  // one of its two deliveries is done, the other is not
  // As old and finished, but its de-duplication window is still open: deleting it would forget
  // the key and let a replay in.
  NewEvent keyed = event("s", 1004, "keyed");
  keyed.dedupe_key = "k1";
  keyed.dedupe_until_ms = 1'000'000;
  const auto guarded = append_ok(keyed);
  NewEvent expired = event("s", 1005, "window over");
  expired.dedupe_key = "k2";
  expired.dedupe_until_ms = 2000;
  const auto unguarded = append_ok(expired);
  // Young: kept whatever its state.
  const auto young = append_ok(event("s", 90'000, "young", {"d"}));
  r.finish_all(90'000, Next::delivered);

  auto pruned = store_->prune_events(50'000, 60'000, 0, 100);
  ASSERT_TRUE(pruned) << pruned.error();
  EXPECT_EQ(pruned->removed, 4);
  EXPECT_FALSE(pruned->more);
  EXPECT_FALSE(r.exists(delivered));
  EXPECT_FALSE(r.exists(failed));
  EXPECT_FALSE(r.exists(undelivered));
  EXPECT_FALSE(r.exists(unguarded));
  EXPECT_TRUE(r.exists(pending));
  EXPECT_TRUE(r.exists(guarded));
  EXPECT_TRUE(r.exists(young));
  // Deliveries and attempts went with their events.
  auto gone = store_->deliveries(failed);
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->empty());
  auto attempts = store_->attempts(failed_delivery);
  ASSERT_TRUE(attempts);
  EXPECT_TRUE(attempts->empty());
  auto kept = store_->deliveries(pending);
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->size(), 2U);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->events, 3);
  EXPECT_EQ(counts->pending, 1);
  // The open window still refuses a replay; the forgotten one's key is free again.
  NewEvent replay = event("s", 70'000, "replay");
  replay.dedupe_key = "k1";
  replay.dedupe_until_ms = 80'000;
  auto again = store_->append(replay);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->seq, guarded);

  // Once its last delivery is done, the pending event goes too.
  r.finish_all(1003 + 1'000'000, Next::give_up);
  pruned = store_->prune_events(50'000, 60'000, 0, 100);
  ASSERT_TRUE(pruned) << pruned.error();
  EXPECT_EQ(pruned->removed, 1);
  EXPECT_FALSE(r.exists(pending));
  // A pull cursor keeps working across the hole.
  auto rest = store_->events_after("s", 0, 10);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 2U);
  EXPECT_EQ((*rest)[0].seq, guarded);
  EXPECT_EQ((*rest)[1].seq, young);
}

TEST_P(StoreContract, RetentionLooksAtNoMoreThanItsLimitPerCall) {
  Retention r(*store_);
  std::vector<std::int64_t> old;
  old.reserve(7);
  for (int i = 0; i < 7; ++i)
    old.push_back(append_ok(event("s", 1000 + i, "old", {"d"})));
  r.finish_all(2000, Next::delivered);
  const auto young = append_ok(event("s", 90'000, "young"));

  auto first = store_->prune_events(50'000, 60'000, 0, 3);
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(first->removed, 3);
  EXPECT_TRUE(first->more);
  EXPECT_EQ(first->next_after, old[2]);
  EXPECT_TRUE(r.exists(old[3]));
  auto second = store_->prune_events(50'000, 60'000, first->next_after, 3);
  ASSERT_TRUE(second) << second.error();
  EXPECT_EQ(second->removed, 3);
  EXPECT_TRUE(second->more);
  auto third = store_->prune_events(50'000, 60'000, second->next_after, 3);
  ASSERT_TRUE(third) << third.error();
  EXPECT_EQ(third->removed, 1);
  EXPECT_FALSE(third->more);  // stopped at the young event
  for (const auto seq : old)
    EXPECT_FALSE(r.exists(seq));
  EXPECT_TRUE(r.exists(young));
}

}  // namespace
}  // namespace hookgate::store::testing
