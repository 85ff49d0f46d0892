// Store contract, the reads of the messages API: events by public id, newest-first pages of a
// source, a destination's deliveries, attempts and stats, and requeue by destination and time
// (recover) marking the attempt it asks for as manual.
#include <algorithm>
#include <string>

#include "store_contract.hpp"

namespace hookgate::store::testing {
namespace {

NewEvent message(std::string public_id, std::int64_t received_ms, std::string type,
                 std::vector<std::string> destinations = {}) {
  auto e = event("app:a", received_ms, R"({"n":1})", std::move(destinations));
  e.public_id = std::move(public_id);
  e.event_type = std::move(type);
  e.meta = R"({"channels":["c1"]})";
  return e;
}

std::vector<std::string> ids(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    out.push_back(e.public_id);
  return out;
}

TEST_P(StoreContract, MessagesAreFoundByPublicIdWithinTheirSourceOnly) {
  const auto seq = append_ok(message("msg_one", 100, "a.b", {"endpoint:x"}));
  append_ok(event("inbound", 101));
  auto found = store_->event_by_public_id("app:a", "msg_one");
  ASSERT_TRUE(found) << found.error();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->seq, seq);
  EXPECT_EQ((*found)->meta, R"({"channels":["c1"]})");
  EXPECT_EQ((*found)->body, R"({"n":1})");
  EXPECT_FALSE(store_->event_by_public_id("app:b", "msg_one")->has_value());
  EXPECT_FALSE(store_->event_by_public_id("app:a", "msg_two")->has_value());
  // An inbound event has none, and its seq is still how it is read.
  auto inbound = store_->event(seq + 1);
  ASSERT_TRUE(inbound && inbound->has_value());
  EXPECT_EQ((*inbound)->public_id, "");
  EXPECT_FALSE(store_->event_by_public_id("inbound", "")->has_value());
  // A claimed delivery carries it (the webhook-id).
  auto claimed = store_->claim_due(1000, 10, "me", 1000);
  ASSERT_TRUE(claimed) << claimed.error();
  ASSERT_EQ(claimed->size(), 1U);
  EXPECT_EQ((*claimed)[0].event.public_id, "msg_one");
  EXPECT_EQ((*claimed)[0].event.meta, R"({"channels":["c1"]})");
}

TEST_P(StoreContract, ADuplicateAnswersTheFirstMessagesIdAndTime) {
  auto first = message("msg_first", 100, "a.b", {"endpoint:x"});
  first.dedupe_key = "event-id:e1";
  first.dedupe_until_ms = 10'000;
  auto again = message("msg_again", 200, "a.b", {"endpoint:x"});
  again.dedupe_key = "event-id:e1";
  again.dedupe_until_ms = 10'000;
  auto a = store_->append(first);
  ASSERT_TRUE(a) << a.error();
  EXPECT_FALSE(a->duplicate);
  EXPECT_EQ(a->public_id, "msg_first");
  EXPECT_EQ(a->received_ms, 100);
  auto b = store_->append(again);
  ASSERT_TRUE(b) << b.error();
  EXPECT_TRUE(b->duplicate);
  EXPECT_EQ(b->seq, a->seq);
  EXPECT_EQ(b->public_id, "msg_first");
  EXPECT_EQ(b->received_ms, 100);
  EXPECT_FALSE(store_->event_by_public_id("app:a", "msg_again")->has_value());
}

TEST_P(StoreContract, APublicIdIsUniqueWithinItsSource) {
  append_ok(message("msg_same", 100, "a.b"));
  EXPECT_FALSE(store_->append(message("msg_same", 101, "a.b")));
  auto other = message("msg_same", 102, "a.b");
  other.source = "app:b";
  EXPECT_TRUE(store_->append(other));
}

TEST_P(StoreContract, EventsBeforeAreNewestFirstWithTheirFilters) {
  std::vector<std::int64_t> seqs;
  for (int i = 0; i < 6; ++i) {
    seqs.push_back(
        append_ok(message("msg_" + std::to_string(i), 1000 + i * 10, i % 2 == 0 ? "even" : "odd")));
  }
  append_ok(event("app:other", 1005));
  EventPage page;
  page.source = "app:a";
  page.limit = 4;
  auto first = store_->events_before(page);
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(ids(*first), (std::vector<std::string>{"msg_5", "msg_4", "msg_3", "msg_2"}));
  page.before_seq = first->back().seq;
  EXPECT_EQ(ids(*store_->events_before(page)), (std::vector<std::string>{"msg_1", "msg_0"}));
  page.before_seq = 0;
  page.event_types = {"odd"};
  EXPECT_EQ(ids(*store_->events_before(page)),
            (std::vector<std::string>{"msg_5", "msg_3", "msg_1"}));
  page.event_types = {"odd", "even"};
  page.since_ms = 1010;  // received at or after
  page.until_ms = 1040;  // received before
  EXPECT_EQ(ids(*store_->events_before(page)),
            (std::vector<std::string>{"msg_3", "msg_2", "msg_1"}));
}

TEST_P(StoreContract, ADestinationsDeliveriesAttemptsAndStats) {
  // Three messages to x (one also to y), newest last.
  const auto s1 = append_ok(message("msg_1", 100, "t", {"endpoint:x", "endpoint:y"}));
  const auto s2 = append_ok(message("msg_2", 200, "t", {"endpoint:x"}));
  const auto s3 = append_ok(message("msg_3", 300, "t", {"endpoint:x"}));
  // msg_1 to x: failed twice then given up; msg_2 to x delivered; msg_3 to x leased (sending).
  for (int round = 0; round < 2; ++round) {
    auto claimed = store_->claim_due(10'000 + round * 1000, 10, "me", 500);
    ASSERT_TRUE(claimed) << claimed.error();
    for (const auto& d : *claimed) {
      if (d.destination != "endpoint:x") continue;
      Finished f;
      f.attempt.delivery_id = d.id;
      f.attempt.started_ms = 10'000 + round * 1000;
      f.attempt.status = d.event.seq == s2 ? 200 : 500;
      f.attempt.error = d.event.seq == s2 ? "" : "HTTP 500";
      f.next = d.event.seq == s2   ? Next::delivered
               : d.event.seq == s3 ? Next::retry
               : round == 0        ? Next::retry
                                   : Next::give_up;
      f.retry_at_ms = 10'500 + round * 1000;
      ASSERT_TRUE(store_->finish(f, "me"));
    }
  }
  // msg_3 now leased by another claimer (in flight).
  auto leased = store_->claim_due(20'000, 10, "other", 5000);
  ASSERT_TRUE(leased) << leased.error();

  auto deliveries = store_->deliveries_to("endpoint:x", 0, 10);
  ASSERT_TRUE(deliveries) << deliveries.error();
  ASSERT_EQ(deliveries->size(), 3U);
  EXPECT_EQ((*deliveries)[0].event.public_id, "msg_3");
  EXPECT_EQ((*deliveries)[2].event.public_id, "msg_1");
  EXPECT_EQ((*deliveries)[2].delivery.state, "failed");
  EXPECT_EQ((*deliveries)[2].event.body, R"({"n":1})");
  EXPECT_GT((*deliveries)[0].delivery.lease_until_ms, 20'000);
  auto older = store_->deliveries_to("endpoint:x", s2, 10);
  ASSERT_TRUE(older);
  ASSERT_EQ(older->size(), 1U);
  EXPECT_EQ((*older)[0].event.seq, s1);

  // Attempts newest message first, then newest attempt; the cursor is (seq, number).
  auto attempts = store_->attempts_to("endpoint:x", 0, 0, 3);
  ASSERT_TRUE(attempts) << attempts.error();
  ASSERT_EQ(attempts->size(), 3U);
  EXPECT_EQ((*attempts)[0].event.public_id, "msg_3");
  EXPECT_EQ((*attempts)[0].attempt.number, 2);
  EXPECT_EQ((*attempts)[1].attempt.number, 1);
  EXPECT_EQ((*attempts)[2].event.public_id, "msg_2");
  EXPECT_TRUE((*attempts)[0].event.body.empty());  // lists of attempts carry no payload
  auto rest = store_->attempts_to("endpoint:x", (*attempts)[2].event.seq,
                                  (*attempts)[2].attempt.number, 10);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 2U);
  EXPECT_EQ((*rest)[0].event.public_id, "msg_1");
  EXPECT_EQ((*rest)[0].attempt.number, 2);
  EXPECT_EQ((*rest)[0].delivery.state, "failed");
  EXPECT_TRUE(store_->attempts_to("endpoint:y", 0, 0, 10)->empty());

  auto stats = store_->destination_stats("endpoint:x", 0, 0, 20'000);
  ASSERT_TRUE(stats) << stats.error();
  EXPECT_EQ(stats->delivered, 1);
  EXPECT_EQ(stats->failed, 1);
  EXPECT_EQ(stats->sending, 1);
  EXPECT_EQ(stats->pending, 0);
  // After the lease ends it is pending again; and a time window counts its messages only.
  EXPECT_EQ(store_->destination_stats("endpoint:x", 0, 0, 30'000)->pending, 1);
  auto window = store_->destination_stats("endpoint:x", 150, 250, 30'000);
  ASSERT_TRUE(window);
  EXPECT_EQ(window->delivered, 1);
  EXPECT_EQ(window->failed + window->pending + window->sending, 0);
  const auto y = store_->destination_stats("endpoint:y", 0, 0, 30'000);
  EXPECT_EQ(y->pending + y->sending, 1);

  // Recover: failed deliveries to x of messages in [since, until) only, next attempt manual.
  Requeue which;
  which.destination = "endpoint:x";
  which.since_ms = 50;
  which.until_ms = 100;
  EXPECT_EQ(*store_->requeue(which, 40'000), 0);
  which.until_ms = 101;
  EXPECT_EQ(*store_->requeue(which, 40'000), 1);
  auto after = store_->deliveries(s1);
  ASSERT_TRUE(after);
  for (const auto& d : *after) {
    if (d.destination != "endpoint:x") continue;
    EXPECT_EQ(d.state, "pending");
    EXPECT_EQ(d.manual_attempt, 3);  // the two made, then the one asked for
  }
}

}  // namespace
}  // namespace hookgate::store::testing
