// Store contract, looking at and moving deliveries outside the dispatcher's claim/finish cycle:
// one event by seq, an event's deliveries, requeue (resend) with its filters, and postpone.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "store_contract.hpp"

namespace hookgate::store::testing {
namespace {

Finished finished(const Delivery& d, Next next, std::int64_t at_ms, std::int64_t retry_at_ms = 0) {
  Finished f;
  f.attempt.delivery_id = d.id;
  f.attempt.number = d.attempts + 1;
  f.attempt.started_ms = at_ms;
  f.attempt.duration_ms = 5;
  f.attempt.status = next == Next::delivered ? 200 : 500;
  f.next = next;
  f.retry_at_ms = retry_at_ms;
  return f;
}

TEST_P(StoreContract, EventBySeqReturnsItByteForByte) {
  std::string body("\x00\xff\xfe{\"a\":\x80}\xc3\x28", 11);
  for (int b = 0; b < 256; ++b)
    body.push_back(static_cast<char>(b));
  const auto seq = append_ok(event("raw", 1234, body, {"d"}));
  append_ok(event("raw", 1235, "next"));

  auto found = store_->event(seq);
  ASSERT_TRUE(found) << found.error();
  ASSERT_TRUE(found->has_value());
  const Event& e = **found;
  EXPECT_EQ(e.seq, seq);
  EXPECT_EQ(e.source, "raw");
  EXPECT_EQ(e.event_type, "test.event");
  EXPECT_EQ(e.received_ms, 1234);
  EXPECT_EQ(e.headers, R"({"content-type":"application/json"})");
  EXPECT_EQ(e.body.size(), body.size());
  EXPECT_EQ(e.body, body);

  auto missing = store_->event(seq + 1000);
  ASSERT_TRUE(missing) << missing.error();
  EXPECT_FALSE(missing->has_value());
  auto zero = store_->event(0);
  ASSERT_TRUE(zero);
  EXPECT_FALSE(zero->has_value());
}

TEST_P(StoreContract, DeliveriesOfAnEventShowTheirState) {
  const auto seq = append_ok(event("s", 1000, "b", {"ok", "retry", "dead"}));
  const auto other = append_ok(event("s", 1000, "b", {"elsewhere"}));

  auto fresh = store_->deliveries(seq);
  ASSERT_TRUE(fresh) << fresh.error();
  ASSERT_EQ(fresh->size(), 3u);
  for (std::size_t i = 0; i < fresh->size(); ++i) {
    const auto& d = (*fresh)[i];
    if (i > 0) {
      EXPECT_LT((*fresh)[i - 1].id, d.id) << "ordered by id";
    }
    EXPECT_EQ(d.event_seq, seq);
    EXPECT_EQ(d.state, "pending");
    EXPECT_EQ(d.attempts, 0);
    EXPECT_EQ(d.due_ms, 1000);
  }

  // Claims visit destinations in turn, not by id: all four are claimed, the event's three finished.
  auto claimed = store_->claim_due(1000, 4, "w", 60'000);
  ASSERT_TRUE(claimed);
  ASSERT_EQ(claimed->size(), 4u);
  for (const auto& d : *claimed) {
    if (d.destination == "elsewhere") continue;
    const Next next = d.destination == "ok"      ? Next::delivered
                      : d.destination == "retry" ? Next::retry
                                                 : Next::give_up;
    ASSERT_TRUE(store_->finish(finished(d, next, 1000, 7000), "w"));
  }
  auto after = store_->deliveries(seq);
  ASSERT_TRUE(after) << after.error();
  ASSERT_EQ(after->size(), 3u);
  std::map<std::string, DeliveryState> by_destination;
  for (const auto& d : *after)
    by_destination[d.destination] = d;
  EXPECT_EQ(by_destination["ok"].state, "delivered");
  EXPECT_EQ(by_destination["retry"].state, "pending");
  EXPECT_EQ(by_destination["retry"].due_ms, 7000);
  EXPECT_EQ(by_destination["dead"].state, "failed");
  for (const auto& [name, d] : by_destination)
    EXPECT_EQ(d.attempts, 1) << name;

  auto others = store_->deliveries(other);
  ASSERT_TRUE(others);
  ASSERT_EQ(others->size(), 1u);
  EXPECT_EQ((*others)[0].destination, "elsewhere");
  auto none = store_->deliveries(987'654);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

Requeue which(std::int64_t event_seq, std::string destination, std::int64_t since_ms,
              bool include_delivered) {
  return Requeue{event_seq, std::move(destination), since_ms, include_delivered};
}

// Three events: e1 at 1000 (a given up, b delivered), e2 at 2000 (a and b given up), e3 at 3000
// (a pending, retrying at 10'000 after one attempt). Every finished delivery has one attempt.
class Scenario {
 public:
  explicit Scenario(Store& store) : store_(store) {
    e1 = append(1000, {"a", "b"});
    e2 = append(2000, {"a", "b"});
    e3 = append(3000, {"a"});
    auto claimed = store_.claim_due(3000, 10, "w", 60'000);
    EXPECT_TRUE(claimed) << claimed.error();
    if (!claimed) return;
    EXPECT_EQ(claimed->size(), 5u);
    for (const auto& d : *claimed) {
      Next next = Next::give_up;
      if (d.event.seq == e1 && d.destination == "b") next = Next::delivered;
      if (d.event.seq == e3) next = Next::retry;
      EXPECT_TRUE(store_.finish(finished(d, next, 3000, 10'000), "w"));
    }
  }

  // The state of the delivery of seq to destination.
  DeliveryState state(std::int64_t seq, const std::string& destination) {
    auto all = store_.deliveries(seq);
    EXPECT_TRUE(all) << all.error();
    if (all) {
      for (const auto& d : *all) {
        if (d.destination == destination) return d;
      }
    }
    ADD_FAILURE() << "no delivery of " << seq << " to " << destination;
    return {};
  }

  std::int64_t e1 = 0;
  std::int64_t e2 = 0;
  std::int64_t e3 = 0;

 private:
  std::int64_t append(std::int64_t received_ms, std::vector<std::string> destinations) {
    auto appended = store_.append(event("s", received_ms, "b", std::move(destinations)));
    EXPECT_TRUE(appended) << appended.error();
    return appended ? appended->seq : 0;
  }

  Store& store_;
};

TEST_P(StoreContract, RequeueMovesFailedDeliveriesBackKeepingTheirAttempts) {
  Scenario s(*store_);
  auto moved = store_->requeue(Requeue{}, 5000);
  ASSERT_TRUE(moved) << moved.error();
  EXPECT_EQ(*moved, 3);

  for (const auto& [seq, destination] :
       {std::pair{s.e1, "a"}, std::pair{s.e2, "a"}, std::pair{s.e2, "b"}}) {
    const auto d = s.state(seq, destination);
    EXPECT_EQ(d.state, "pending") << seq << destination;
    EXPECT_EQ(d.due_ms, 5000);
    EXPECT_EQ(d.attempts, 1);
  }
  EXPECT_EQ(s.state(s.e1, "b").state, "delivered");
  // Pending work is untouched: still due at its retry time.
  const auto retrying = s.state(s.e3, "a");
  EXPECT_EQ(retrying.state, "pending");
  EXPECT_EQ(retrying.due_ms, 10'000);
  EXPECT_EQ(retrying.attempts, 1);

  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->failed, 0);
  EXPECT_EQ(counts->delivered, 1);
  EXPECT_EQ(counts->pending, 4);

  // Claimed again, the earlier attempt is counted and the next one numbered after it.
  auto claimed = store_->claim_due(5000, 10, "w2", 60'000);
  ASSERT_TRUE(claimed) << claimed.error();
  ASSERT_EQ(claimed->size(), 3u);
  for (const auto& d : *claimed)
    EXPECT_EQ(d.attempts, 1);
  ASSERT_TRUE(store_->finish(finished((*claimed)[0], Next::delivered, 5000), "w2"));
  auto attempts = store_->attempts((*claimed)[0].id);
  ASSERT_TRUE(attempts);
  ASSERT_EQ(attempts->size(), 2u);
  EXPECT_EQ((*attempts)[1].number, 2);

  // What is pending already is not moved again.
  auto again = store_->requeue(Requeue{}, 6000);
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);
}

TEST_P(StoreContract, RequeueFiltersByEventAndDestination) {
  Scenario s(*store_);
  auto by_event = store_->requeue(which(s.e2, "", 0, false), 5000);
  ASSERT_TRUE(by_event) << by_event.error();
  EXPECT_EQ(*by_event, 2);
  EXPECT_EQ(s.state(s.e1, "a").state, "failed");
  EXPECT_EQ(s.state(s.e2, "a").state, "pending");
  EXPECT_EQ(s.state(s.e2, "b").state, "pending");

  auto none = store_->requeue(which(s.e1, "b", 0, false), 5000);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0) << "delivered is not requeued unless asked";
  auto delivered = store_->requeue(which(s.e1, "b", 0, true), 5500);
  ASSERT_TRUE(delivered) << delivered.error();
  EXPECT_EQ(*delivered, 1);
  EXPECT_EQ(s.state(s.e1, "b").state, "pending");
  EXPECT_EQ(s.state(s.e1, "b").due_ms, 5500);
  EXPECT_EQ(s.state(s.e1, "a").state, "failed");

  auto by_destination = store_->requeue(which(0, "a", 0, false), 6000);
  ASSERT_TRUE(by_destination);
  EXPECT_EQ(*by_destination, 1);
  EXPECT_EQ(s.state(s.e1, "a").state, "pending");
  EXPECT_EQ(s.state(s.e1, "a").due_ms, 6000);
  EXPECT_EQ(s.state(s.e3, "a").due_ms, 10'000);
  auto unknown = store_->requeue(which(0, "nowhere", 0, true), 1);
  ASSERT_TRUE(unknown);
  EXPECT_EQ(*unknown, 0);
}

TEST_P(StoreContract, RequeueSinceFiltersOnWhenTheEventWasReceived) {
  Scenario s(*store_);
  // At or after: e2 was received at exactly 2000.
  auto since = store_->requeue(which(0, "", 2000, true), 5000);
  ASSERT_TRUE(since) << since.error();
  EXPECT_EQ(*since, 2);
  EXPECT_EQ(s.state(s.e2, "a").state, "pending");
  EXPECT_EQ(s.state(s.e2, "b").state, "pending");
  EXPECT_EQ(s.state(s.e1, "a").state, "failed");
  EXPECT_EQ(s.state(s.e1, "b").state, "delivered");

  auto later = store_->requeue(which(0, "", 2001, true), 5000);
  ASSERT_TRUE(later);
  EXPECT_EQ(*later, 0);
  auto everything = store_->requeue(which(0, "b", 1000, true), 5000);
  ASSERT_TRUE(everything);
  EXPECT_EQ(*everything, 1);
  EXPECT_EQ(s.state(s.e1, "b").state, "pending");
}

TEST_P(StoreContract, PostponeGivesAClaimBackWithoutAnAttempt) {
  append_ok(event("s", 1000, "b", {"d"}));
  auto claimed = store_->claim_due(1000, 1, "w1", 60'000);
  ASSERT_TRUE(claimed) << claimed.error();
  ASSERT_EQ(claimed->size(), 1u);
  const Delivery& d = (*claimed)[0];

  auto postponed = store_->postpone(d.id, "w1", 9000);
  ASSERT_TRUE(postponed) << postponed.error();
  EXPECT_TRUE(*postponed);
  auto attempts = store_->attempts(d.id);
  ASSERT_TRUE(attempts);
  EXPECT_TRUE(attempts->empty());
  auto state = store_->deliveries(d.event.seq);
  ASSERT_TRUE(state);
  ASSERT_EQ(state->size(), 1u);
  EXPECT_EQ((*state)[0].state, "pending");
  EXPECT_EQ((*state)[0].attempts, 0);
  EXPECT_EQ((*state)[0].due_ms, 9000);

  // Due at due_ms and not before, although the claim's lease ran much longer: it was released.
  auto early = store_->claim_due(8999, 1, "w2", 60'000);
  ASSERT_TRUE(early);
  EXPECT_TRUE(early->empty());
  auto due = store_->claim_due(9000, 1, "w2", 60'000);
  ASSERT_TRUE(due) << due.error();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].id, d.id);
  EXPECT_EQ((*due)[0].attempts, 0);
  ASSERT_TRUE(store_->finish(finished((*due)[0], Next::delivered, 9000), "w2"));
  attempts = store_->attempts(d.id);
  ASSERT_TRUE(attempts);
  ASSERT_EQ(attempts->size(), 1u);
  EXPECT_EQ((*attempts)[0].number, 1);
}

TEST_P(StoreContract, PostponeIsRefusedWithoutTheLease) {
  append_ok(event("s", 1000, "b", {"d"}));
  auto mine = store_->claim_due(1000, 1, "w1", 100);
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  const std::int64_t id = (*mine)[0].id;

  auto stranger = store_->postpone(id, "w2", 5000);
  ASSERT_TRUE(stranger) << stranger.error();
  EXPECT_FALSE(*stranger);
  // The refused call changed nothing: the lease still holds until it expires.
  auto during = store_->claim_due(1099, 1, "w2", 100);
  ASSERT_TRUE(during);
  EXPECT_TRUE(during->empty());

  auto theirs = store_->claim_due(1100, 1, "w2", 100);
  ASSERT_TRUE(theirs);
  ASSERT_EQ(theirs->size(), 1u);
  auto late = store_->postpone(id, "w1", 5000);
  ASSERT_TRUE(late) << late.error();
  EXPECT_FALSE(*late) << "the lease was taken over";
  EXPECT_TRUE(store_->postpone(id, "w2", 5000).value());
  EXPECT_FALSE(store_->postpone(id, "w2", 6000).value()) << "a postponed delivery holds no lease";

  auto unknown = store_->postpone(987'654, "w2", 5000);
  ASSERT_TRUE(unknown) << unknown.error();
  EXPECT_FALSE(*unknown);

  auto again = store_->claim_due(5000, 1, "w3", 100);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->size(), 1u);
  ASSERT_TRUE(store_->finish(finished((*again)[0], Next::delivered, 5000), "w3"));
  EXPECT_FALSE(store_->postpone(id, "w3", 7000).value()) << "a finished delivery holds no lease";
  auto state = store_->deliveries((*again)[0].event.seq);
  ASSERT_TRUE(state);
  EXPECT_EQ((*state)[0].state, "delivered");
}

TEST_P(StoreContract, PostponeByAnOwnerWhoseExpiredLeaseNobodyTookWorksAsFinishDoes) {
  append_ok(event("s", 1000, "b", {"d"}));
  auto mine = store_->claim_due(1000, 1, "w1", 100);
  ASSERT_TRUE(mine);
  ASSERT_EQ(mine->size(), 1u);
  // Ownership is the lease owner, as for finish(): expiry only lets another claimer take over.
  auto postponed = store_->postpone((*mine)[0].id, "w1", 2000);
  ASSERT_TRUE(postponed) << postponed.error();
  EXPECT_TRUE(*postponed);
}

// The dispatcher lets an operator's attempt through an open circuit: the claim must say which
// attempt a requeue asked for, through handing back and reclaiming, and not its retries.
TEST_P(StoreContract, ARequeuedDeliveryIsClaimedAsAnOperatorsAttemptAndItsRetriesAreNot) {
  append_ok(event("s", 1000, "b", {"d"}));
  auto first = store_->claim_due(1000, 1, "w", 60'000);
  ASSERT_TRUE(first) << first.error();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_FALSE((*first)[0].manual());
  EXPECT_EQ((*first)[0].manual_attempt, 0);
  ASSERT_TRUE(store_->finish(finished((*first)[0], Next::give_up, 1000), "w"));

  auto moved = store_->requeue(which(0, "d", 0, false), 2000);
  ASSERT_TRUE(moved) << moved.error();
  ASSERT_EQ(*moved, 1);
  auto resent = store_->claim_due(2000, 1, "w", 60'000);
  ASSERT_TRUE(resent) << resent.error();
  ASSERT_EQ(resent->size(), 1u);
  EXPECT_EQ((*resent)[0].attempts, 1);
  EXPECT_EQ((*resent)[0].manual_attempt, 2);
  EXPECT_TRUE((*resent)[0].manual());

  // Handed back without an attempt (an open circuit's short wait): still the operator's.
  auto postponed = store_->postpone((*resent)[0].id, "w", 2500);
  ASSERT_TRUE(postponed) << postponed.error();
  ASSERT_TRUE(*postponed);
  auto again = store_->claim_due(2500, 1, "w2", 60'000);
  ASSERT_TRUE(again) << again.error();
  ASSERT_EQ(again->size(), 1u);
  EXPECT_TRUE((*again)[0].manual());

  // The manual attempt fails; the retry the schedule makes is automatic.
  ASSERT_TRUE(store_->finish(finished((*again)[0], Next::retry, 2500, 3000), "w2"));
  auto retry = store_->claim_due(3000, 1, "w", 60'000);
  ASSERT_TRUE(retry) << retry.error();
  ASSERT_EQ(retry->size(), 1u);
  EXPECT_EQ((*retry)[0].attempts, 2);
  EXPECT_FALSE((*retry)[0].manual());
  ASSERT_TRUE(store_->finish(finished((*retry)[0], Next::delivered, 3000), "w"));
}

// A circuit closed before its cool-down ended: what it postponed to then becomes due now, and
// nothing else (other destinations, later retries, rows in flight).
TEST_P(StoreContract, BringForwardMakesTheDeliveriesACircuitHeldDueNow) {
  for (int i = 0; i < 4; ++i)
    append_ok(event("s", 1000, "b", {"d"}));
  append_ok(event("s", 1000, "b", {"other"}));
  auto claimed = store_->claim_due(1000, 10, "w", 60'000);
  ASSERT_TRUE(claimed) << claimed.error();
  ASSERT_EQ(claimed->size(), 5u);
  auto hand_back = [&](std::int64_t id, std::int64_t due_ms) {
    auto postponed = store_->postpone(id, "w", due_ms);
    return postponed && *postponed;
  };
  std::vector<std::int64_t> held;
  std::int64_t later = 0;
  std::int64_t in_flight = 0;
  for (const auto& d : *claimed) {
    if (d.destination == "other") {
      ASSERT_TRUE(hand_back(d.id, 600'000));
    } else if (held.size() < 2) {
      ASSERT_TRUE(hand_back(d.id, 600'000 - static_cast<std::int64_t>(held.size())));
      held.push_back(d.id);
    } else if (later == 0) {
      ASSERT_TRUE(hand_back(d.id, 900'000));
      later = d.id;
    } else {
      in_flight = d.id;  // keeps its lease
    }
  }

  // At most limit, earliest due first.
  auto one = store_->bring_forward("d", 600'000, 2000, 1);
  ASSERT_TRUE(one) << one.error();
  EXPECT_EQ(*one, 1);
  auto rest = store_->bring_forward("d", 600'000, 2000, 100);
  ASSERT_TRUE(rest) << rest.error();
  EXPECT_EQ(*rest, 1);
  auto none = store_->bring_forward("d", 600'000, 2000, 100);
  ASSERT_TRUE(none) << none.error();
  EXPECT_EQ(*none, 0);

  auto due = store_->claim_due(2000, 10, "w2", 60'000);
  ASSERT_TRUE(due) << due.error();
  std::vector<std::int64_t> ids;
  for (const auto& d : *due)
    ids.push_back(d.id);
  std::sort(ids.begin(), ids.end());
  std::sort(held.begin(), held.end());
  EXPECT_EQ(ids, held);
  for (const auto& d : *due)
    EXPECT_EQ(d.attempts, 0);
  ASSERT_NE(later, 0);
  ASSERT_NE(in_flight, 0);
  // The row in flight is still its claimer's: it finishes under its lease.
  Delivery leased;
  for (const auto& d : *claimed) {
    if (d.id == in_flight) leased = d;
  }
  auto finished_in_flight = store_->finish(finished(leased, Next::delivered, 2000), "w");
  ASSERT_TRUE(finished_in_flight) << finished_in_flight.error();
  EXPECT_TRUE(*finished_in_flight);
}

}  // namespace
}  // namespace hookgate::store::testing
