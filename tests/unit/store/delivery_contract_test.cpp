// Store contract, the delivery queue: claiming due work under leases, finishing it (delivered,
// retry, give up), refusing a claimer whose lease was taken over, attempts and counts.
#include <algorithm>
#include <string>

#include "store_contract.hpp"

namespace hookgate::store::testing {
namespace {

Finished outcome(const Delivery& d, Next next, int status, std::int64_t started_ms,
                 std::int64_t retry_at_ms = 0) {
  Finished f;
  f.attempt.delivery_id = d.id;
  f.attempt.number = d.attempts + 1;
  f.attempt.started_ms = started_ms;
  f.attempt.duration_ms = 12;
  f.attempt.status = status;
  f.attempt.error = status == 200 ? "" : "HTTP " + std::to_string(status);
  f.attempt.response = "answer " + std::to_string(status);
  f.next = next;
  f.retry_at_ms = retry_at_ms;
  return f;
}

TEST_P(StoreContract, ClaimReturnsOnlyDueWorkOldestFirstWithItsEvent) {
  const auto late = append_ok(event("s", 3000, "late", {"d"}));
  const auto early = append_ok(event("s", 1000, "early", {"d"}));
  const auto middle = append_ok(event("s", 2000, "middle", {"d", "e"}));

  auto nothing = store_->claim_due(999, 10, "w1", 500);
  ASSERT_TRUE(nothing) << nothing.error();
  EXPECT_TRUE(nothing->empty());

  auto claimed = store_->claim_due(2000, 10, "w1", 60'000);
  ASSERT_TRUE(claimed) << claimed.error();
  ASSERT_EQ(claimed->size(), 3u);
  EXPECT_EQ((*claimed)[0].event.seq, early);
  EXPECT_EQ((*claimed)[0].event.body, "early");
  EXPECT_EQ((*claimed)[0].event.source, "s");
  EXPECT_EQ((*claimed)[0].event.received_ms, 1000);
  EXPECT_EQ((*claimed)[0].destination, "d");
  EXPECT_EQ((*claimed)[0].attempts, 0);
  EXPECT_EQ((*claimed)[0].lease_until_ms, 62'000);
  EXPECT_EQ((*claimed)[1].event.seq, middle);
  EXPECT_EQ((*claimed)[2].event.seq, middle);
  std::vector<std::string> destinations{(*claimed)[1].destination, (*claimed)[2].destination};
  std::sort(destinations.begin(), destinations.end());
  EXPECT_EQ(destinations, (std::vector<std::string>{"d", "e"}));

  auto rest = store_->claim_due(3000, 10, "w1", 60'000);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].event.seq, late);
}

TEST_P(StoreContract, ClaimRespectsLimit) {
  for (int i = 0; i < 5; ++i)
    append_ok(event("s", 100 + i, "b", {"d"}));
  auto first = store_->claim_due(1000, 2, "w", 500);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[0].event.received_ms, 100);
  EXPECT_EQ((*first)[1].event.received_ms, 101);
  auto second = store_->claim_due(1000, 2, "w", 500);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*second)[0].event.received_ms, 102);
  auto zero = store_->claim_due(1000, 0, "w", 500);
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->empty());
  auto last = store_->claim_due(1000, 10, "w", 500);
  ASSERT_TRUE(last);
  EXPECT_EQ(last->size(), 1u);
}

TEST_P(StoreContract, LeasedWorkIsClaimableAgainOnlyAfterTheLeaseExpires) {
  append_ok(event("s", 1000, "b", {"d"}));
  auto first = store_->claim_due(1000, 10, "w1", 30'000);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 1u);

  auto during = store_->claim_due(30'999, 10, "w2", 30'000);
  ASSERT_TRUE(during);
  EXPECT_TRUE(during->empty());

  auto after = store_->claim_due(31'000, 10, "w2", 30'000);
  ASSERT_TRUE(after) << after.error();
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].id, (*first)[0].id);
  EXPECT_EQ((*after)[0].lease_until_ms, 61'000);
}

TEST_P(StoreContract, FinishByAClaimerWhoseLeaseWasTakenOverIsRefused) {
  append_ok(event("s", 1000, "b", {"d"}));
  auto mine = store_->claim_due(1000, 1, "w1", 100);
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  auto theirs = store_->claim_due(1100, 1, "w2", 100);
  ASSERT_TRUE(theirs);
  ASSERT_EQ(theirs->size(), 1u);

  auto late = store_->finish(outcome((*mine)[0], Next::delivered, 200, 1000), "w1");
  ASSERT_FALSE(late);
  EXPECT_NE(late.error().find("lease lost"), std::string::npos) << late.error();
  auto attempts = store_->attempts((*mine)[0].id);
  ASSERT_TRUE(attempts);
  EXPECT_TRUE(attempts->empty());

  auto counted = store_->finish(outcome((*theirs)[0], Next::delivered, 200, 1100), "w2");
  ASSERT_TRUE(counted) << counted.error();
  auto again = store_->finish(outcome((*theirs)[0], Next::delivered, 200, 1100), "w2");
  EXPECT_FALSE(again) << "a finished delivery holds no lease";
  Delivery missing;
  missing.id = 987'654;
  auto unknown = store_->finish(outcome(missing, Next::delivered, 200, 1), "w2");
  EXPECT_FALSE(unknown);
}

TEST_P(StoreContract, FinishMovesDeliveriesOnAndCounts) {
  append_ok(event("s", 1000, "b", {"ok", "flaky", "dead"}));
  append_ok(event("s", 1000, "b2", {"untouched"}));
  auto claimed = store_->claim_due(1000, 3, "w", 60'000);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 3u);
  auto by_destination = [&](const std::string& name) {
    return *std::find_if(claimed->begin(), claimed->end(),
                         [&](const Delivery& d) { return d.destination == name; });
  };
  const Delivery ok = by_destination("ok");
  const Delivery flaky = by_destination("flaky");
  const Delivery dead = by_destination("dead");

  ASSERT_TRUE(store_->finish(outcome(ok, Next::delivered, 200, 1000), "w"));
  ASSERT_TRUE(store_->finish(outcome(flaky, Next::retry, 503, 1000, 5000), "w"));
  ASSERT_TRUE(store_->finish(outcome(dead, Next::give_up, 410, 1000), "w"));

  auto counts = store_->counts();
  ASSERT_TRUE(counts) << counts.error();
  EXPECT_EQ(counts->events, 2);
  EXPECT_EQ(counts->delivered, 1);
  EXPECT_EQ(counts->failed, 1);
  EXPECT_EQ(counts->pending, 2);  // flaky (retrying) and untouched

  // The retry is due at retry_at, not before, and its lease was released by finish.
  auto early = store_->claim_due(4999, 10, "w", 60'000);
  ASSERT_TRUE(early);
  ASSERT_EQ(early->size(), 1u);
  EXPECT_EQ((*early)[0].destination, "untouched");
  auto due = store_->claim_due(5000, 10, "w", 60'000);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].id, flaky.id);
  EXPECT_EQ((*due)[0].attempts, 1);

  ASSERT_TRUE(store_->finish(outcome((*due)[0], Next::delivered, 204, 5000), "w"));
  counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->delivered, 2);
  EXPECT_EQ(counts->pending, 1);

  // Delivered and given-up work is never claimed again.
  auto later = store_->claim_due(1'000'000'000, 10, "w2", 1);
  ASSERT_TRUE(later);
  ASSERT_EQ(later->size(), 1u);
  EXPECT_EQ((*later)[0].destination, "untouched");
}

TEST_P(StoreContract, AttemptsAreRecordedInOrder) {
  append_ok(event("s", 1000, "b", {"d"}));
  auto first = store_->claim_due(1000, 1, "w", 100);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 1u);
  ASSERT_TRUE(store_->finish(outcome((*first)[0], Next::retry, 500, 1010, 2000), "w"));
  auto second = store_->claim_due(2000, 1, "w", 100);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->size(), 1u);
  ASSERT_TRUE(store_->finish(outcome((*second)[0], Next::delivered, 200, 2010), "w"));

  auto attempts = store_->attempts((*first)[0].id);
  ASSERT_TRUE(attempts) << attempts.error();
  ASSERT_EQ(attempts->size(), 2u);
  const Attempt& a = (*attempts)[0];
  EXPECT_EQ(a.delivery_id, (*first)[0].id);
  EXPECT_EQ(a.number, 1);
  EXPECT_EQ(a.started_ms, 1010);
  EXPECT_EQ(a.duration_ms, 12);
  EXPECT_EQ(a.status, 500);
  EXPECT_EQ(a.error, "HTTP 500");
  EXPECT_EQ(a.response, "answer 500");
  EXPECT_EQ((*attempts)[1].number, 2);
  EXPECT_EQ((*attempts)[1].status, 200);
  EXPECT_EQ((*attempts)[1].error, "");

  auto none = store_->attempts(987'654);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace hookgate::store::testing
