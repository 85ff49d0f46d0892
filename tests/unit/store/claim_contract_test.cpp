// Store contract, the delivery engine's batched forms: claim() with per-destination room and the
// next due time, finish_many() and postpone_many() with a lease lost among many.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "store_contract.hpp"

namespace hookgate::store::testing {
namespace {

Finished delivered(const Delivery& d, std::int64_t started_ms) {
  Finished f;
  f.attempt.delivery_id = d.id;
  f.attempt.started_ms = started_ms;
  f.attempt.duration_ms = 7;
  f.attempt.status = 200;
  f.attempt.response = "ok";
  f.next = Next::delivered;
  return f;
}

ClaimRequest request(std::int64_t now_ms, std::size_t limit, std::string owner,
                     std::int64_t lease_ms = 30'000) {
  ClaimRequest r;
  r.now_ms = now_ms;
  r.limit = limit;
  r.owner = std::move(owner);
  r.lease_ms = lease_ms;
  return r;
}

std::map<std::string, int> per_destination(const std::vector<Delivery>& deliveries) {
  std::map<std::string, int> counts;
  for (const auto& d : deliveries)
    ++counts[d.destination];
  return counts;
}

TEST_P(StoreContract, ClaimSkipsADestinationWithoutRoomHoweverLargeItsBacklog) {
  // The hanging endpoint's backlog is the oldest due work, far larger than any claim window.
  for (int i = 0; i < 600; ++i)
    append_ok(event("s", 100 + i, "h", {"hang"}));
  for (int i = 0; i < 4; ++i) {
    for (const char* d : {"a", "b", "c"})
      append_ok(event("s", 1000 + i, "x", {d}));
  }
  auto r = request(5000, 12, "me");
  r.room["hang"] = 0;
  auto claimed = store_->claim(r);
  ASSERT_TRUE(claimed) << claimed.error();
  EXPECT_EQ(per_destination(claimed->deliveries),
            (std::map<std::string, int>{{"a", 4}, {"b", 4}, {"c", 4}}))
      << "every other destination's due work in one call";
  for (std::size_t i = 1; i < claimed->deliveries.size(); ++i) {
    EXPECT_LE(claimed->deliveries[i - 1].event.received_ms,
              claimed->deliveries[i].event.received_ms)
        << "oldest due first";
  }
  // The skipped backlog was not written: still unleased, so a claim with room takes it now.
  auto all = store_->claim(request(5000, 1000, "other"));
  ASSERT_TRUE(all) << all.error();
  EXPECT_EQ(per_destination(all->deliveries), (std::map<std::string, int>{{"hang", 600}}));
}

TEST_P(StoreContract, ClaimServesADestinationWithOneRowBesideOneWithALongBacklog) {
  // The long backlog is the oldest due work, far more than a claim reads; the one row is newest.
  for (int i = 0; i < 300; ++i)
    append_ok(event("s", 100 + i, "x", {"big"}));
  append_ok(event("s", 1000, "x", {"small"}));
  auto r = request(5000, 4, "me");
  r.default_room = 1;
  auto claimed = store_->claim(r);
  ASSERT_TRUE(claimed) << claimed.error();
  EXPECT_EQ(per_destination(claimed->deliveries),
            (std::map<std::string, int>{{"big", 1}, {"small", 1}}))
      << "each destination with due work takes its room in the same claim";
  EXPECT_FALSE(claimed->next_due_ms) << "both are at their room";
}

TEST_P(StoreContract, ClaimsVisitDestinationsWithDueWorkInTurn) {
  // a's rows are all older than b's, and b's older than c's: oldest-due-first alone would serve
  // a until its backlog is gone.
  for (const char* d : {"a", "b", "c"}) {
    for (int i = 0; i < 20; ++i)
      append_ok(event("s", 100 + i, "x", {d}));
  }
  std::vector<std::string> turns;
  for (int round = 0; round < 9; ++round) {
    auto r = request(5000, 1, "me");
    r.default_room = 1;
    auto claimed = store_->claim(r);
    ASSERT_TRUE(claimed) << claimed.error();
    ASSERT_EQ(claimed->deliveries.size(), 1u) << round;
    EXPECT_EQ(claimed->next_due_ms, 5000) << "more is due now";
    turns.push_back(claimed->deliveries[0].destination);
  }
  std::map<std::string, int> counts;
  for (const auto& turn : turns)
    ++counts[turn];
  EXPECT_EQ(counts, (std::map<std::string, int>{{"a", 3}, {"b", 3}, {"c", 3}}));
  for (std::size_t i = 1; i < turns.size(); ++i)
    EXPECT_NE(turns[i - 1], turns[i]) << "claim " << i << " served the same destination again";

  // A claim with room for all takes each destination's room, oldest due first in its answer.
  auto r = request(5000, 100, "me");
  r.default_room = 2;
  auto claimed = store_->claim(r);
  ASSERT_TRUE(claimed) << claimed.error();
  EXPECT_EQ(per_destination(claimed->deliveries),
            (std::map<std::string, int>{{"a", 2}, {"b", 2}, {"c", 2}}));
  for (std::size_t i = 1; i < claimed->deliveries.size(); ++i) {
    EXPECT_LE(claimed->deliveries[i - 1].event.received_ms,
              claimed->deliveries[i].event.received_ms);
  }
}

TEST_P(StoreContract, ClaimTakesNoMoreThanEachDestinationsRoom) {
  for (int i = 0; i < 5; ++i) {
    for (const char* d : {"a", "b", "c", "d"})
      append_ok(event("s", 1000 + i, "x", {d}));
  }
  auto r = request(5000, 100, "me");
  r.room["a"] = 1;
  r.room["b"] = 0;
  r.default_room = 2;
  auto claimed = store_->claim(r);
  ASSERT_TRUE(claimed) << claimed.error();
  EXPECT_EQ(per_destination(claimed->deliveries),
            (std::map<std::string, int>{{"a", 1}, {"c", 2}, {"d", 2}}));
  EXPECT_FALSE(claimed->next_due_ms)
      << "what is left waits for room, not for a time: " << claimed->next_due_ms.value_or(-1);

  // Default room 0: only the listed destinations with room are taken.
  auto only = request(5000, 100, "me");
  only.default_room = 0;
  only.room["d"] = 10;
  auto claimed_d = store_->claim(only);
  ASSERT_TRUE(claimed_d) << claimed_d.error();
  EXPECT_EQ(per_destination(claimed_d->deliveries), (std::map<std::string, int>{{"d", 3}}));

  // The limit cuts first: what it leaves is claimable now.
  auto capped = store_->claim(request(5000, 2, "me"));
  ASSERT_TRUE(capped) << capped.error();
  EXPECT_EQ(capped->deliveries.size(), 2u);
  EXPECT_EQ(capped->next_due_ms, 5000);
}

TEST_P(StoreContract, ClaimTellsWhenTheNextPendingDeliveryBecomesClaimable) {
  auto none = store_->claim(request(1000, 10, "me"));
  ASSERT_TRUE(none) << none.error();
  EXPECT_TRUE(none->deliveries.empty());
  EXPECT_FALSE(none->next_due_ms) << "nothing pending";

  // A retry due in the future.
  append_ok(event("s", 1000, "r", {"retry"}));
  auto first = store_->claim(request(1000, 10, "me"));
  ASSERT_TRUE(first) << first.error();
  ASSERT_EQ(first->deliveries.size(), 1u);
  EXPECT_FALSE(first->next_due_ms) << "the only pending delivery was claimed now";
  Finished retry = delivered(first->deliveries[0], 1000);
  retry.next = Next::retry;
  retry.attempt.status = 503;
  retry.retry_at_ms = 9000;
  ASSERT_TRUE(store_->finish_many({retry}, "me"));
  auto later = store_->claim(request(2000, 10, "me"));
  ASSERT_TRUE(later) << later.error();
  EXPECT_TRUE(later->deliveries.empty());
  EXPECT_EQ(later->next_due_ms, 9000);

  // Leased by another owner: claimable when its lease ends, which is before the retry.
  append_ok(event("s", 2000, "l", {"leased"}));
  auto theirs = store_->claim(request(2000, 1, "other", 3000));
  ASSERT_TRUE(theirs) << theirs.error();
  ASSERT_EQ(theirs->deliveries.size(), 1u);
  EXPECT_EQ(theirs->deliveries[0].destination, "leased");
  auto mine = store_->claim(request(2500, 10, "me"));
  ASSERT_TRUE(mine) << mine.error();
  EXPECT_TRUE(mine->deliveries.empty());
  EXPECT_EQ(mine->next_due_ms, 5000);

  // A destination without room does not count.
  auto no_room = request(2500, 10, "me");
  no_room.room["leased"] = 0;
  auto skipped = store_->claim(no_room);
  ASSERT_TRUE(skipped) << skipped.error();
  EXPECT_EQ(skipped->next_due_ms, 9000);
}

TEST_P(StoreContract, FinishManyRecordsEveryAttemptAndRefusesOnlyTheLostLease) {
  for (int i = 0; i < 6; ++i)
    append_ok(event("s", 1000 + i, "b", {"d"}));
  auto mine = store_->claim(request(2000, 6, "w1", 100));
  ASSERT_TRUE(mine) << mine.error();
  ASSERT_EQ(mine->deliveries.size(), 6u);
  // w1's leases expired; w2 takes the oldest one over.
  auto theirs = store_->claim(request(2200, 1, "w2", 10'000));
  ASSERT_TRUE(theirs) << theirs.error();
  ASSERT_EQ(theirs->deliveries.size(), 1u);
  ASSERT_EQ(theirs->deliveries[0].id, mine->deliveries[0].id);

  std::vector<Finished> results;
  for (const auto& d : mine->deliveries)
    results.push_back(delivered(d, 2100));
  results[2].next = Next::give_up;
  results[2].attempt.status = 410;
  results.push_back(delivered(mine->deliveries[3], 2100));  // the same delivery twice
  auto finished = store_->finish_many(results, "w1");
  ASSERT_TRUE(finished) << finished.error();
  EXPECT_EQ(*finished, (std::vector<bool>{false, true, true, true, true, true, false}));

  EXPECT_TRUE(store_->attempts(mine->deliveries[0].id)->empty()) << "the lost lease wrote nothing";
  for (std::size_t i = 1; i < 6; ++i) {
    auto attempts = store_->attempts(mine->deliveries[i].id);
    ASSERT_TRUE(attempts) << attempts.error();
    ASSERT_EQ(attempts->size(), 1u) << i;
    EXPECT_EQ((*attempts)[0].number, 1);
    EXPECT_EQ((*attempts)[0].status, i == 2 ? 410 : 200);
  }
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->delivered, 4);
  EXPECT_EQ(counts->failed, 1);
  EXPECT_EQ(counts->pending, 1);
  // The new holder's result counts, numbered by the store.
  auto counted = store_->finish_many({delivered(theirs->deliveries[0], 2300)}, "w2");
  ASSERT_TRUE(counted) << counted.error();
  EXPECT_EQ(*counted, std::vector<bool>{true});
  EXPECT_EQ(store_->attempts(mine->deliveries[0].id)->size(), 1u);
  EXPECT_TRUE(store_->finish_many({}, "w2"));
}

TEST_P(StoreContract, PostponeManyGivesClaimsBackAndRefusesLeasesNotHeld) {
  for (int i = 0; i < 3; ++i)
    append_ok(event("s", 1000 + i, "b", {"d"}));
  auto mine = store_->claim(request(2000, 3, "w1"));
  ASSERT_TRUE(mine) << mine.error();
  ASSERT_EQ(mine->deliveries.size(), 3u);
  auto postponed = store_->postpone_many({{mine->deliveries[0].id, 7000},
                                          {mine->deliveries[1].id, 8000},
                                          {mine->deliveries[2].id, 9000}},
                                         "w2");
  ASSERT_TRUE(postponed) << postponed.error();
  EXPECT_EQ(*postponed, (std::vector<bool>{false, false, false})) << "not w2's leases";

  postponed =
      store_->postpone_many({{mine->deliveries[0].id, 7000}, {mine->deliveries[2].id, 9000}}, "w1");
  ASSERT_TRUE(postponed) << postponed.error();
  EXPECT_EQ(*postponed, (std::vector<bool>{true, true}));
  auto states = store_->deliveries(mine->deliveries[2].event.seq);
  ASSERT_TRUE(states);
  ASSERT_EQ(states->size(), 1u);
  EXPECT_EQ((*states)[0].due_ms, 9000);
  EXPECT_EQ((*states)[0].attempts, 0) << "no attempt";
  auto next = store_->claim(request(7000, 10, "w3"));
  ASSERT_TRUE(next) << next.error();
  ASSERT_EQ(next->deliveries.size(), 1u);
  EXPECT_EQ(next->deliveries[0].id, mine->deliveries[0].id);
  EXPECT_EQ(next->next_due_ms, 9000) << "the other postponed one; the third is still w1's until "
                                        "32000";
}

}  // namespace
}  // namespace hookgate::store::testing
