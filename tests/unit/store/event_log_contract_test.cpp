// Store contract, the event log: sequence numbers, byte-exact bodies, paging by cursor,
// de-duplication, settings, and durability across instances on the same location.
#include <string>
#include <utility>
#include <vector>

#include "store_contract.hpp"

namespace hookgate::store::testing {
namespace {

TEST_P(StoreContract, AppendReturnsIncreasingSeq) {
  std::int64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    const auto seq = append_ok(event(i % 2 == 0 ? "github" : "stripe", 1000 + i));
    EXPECT_GT(seq, last);
    last = seq;
  }
}

TEST_P(StoreContract, BodyBytesRoundTripExactly) {
  std::string body("a\0b\xff\xfe\x80\xc3\x28\0\0z", 11);
  for (int b = 0; b < 256; ++b)
    body.push_back(static_cast<char>(b));
  const auto seq = append_ok(event("raw", 1, body));
  append_ok(event("raw", 2, ""));

  auto events = store_->events_after("raw", 0, 10);
  ASSERT_TRUE(events) << events.error();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].seq, seq);
  EXPECT_EQ((*events)[0].body.size(), body.size());
  EXPECT_EQ((*events)[0].body, body);
  EXPECT_EQ((*events)[1].body, "");
  EXPECT_EQ((*events)[0].source, "raw");
  EXPECT_EQ((*events)[0].event_type, "test.event");
  EXPECT_EQ((*events)[0].received_ms, 1);
  EXPECT_EQ((*events)[0].headers, R"({"content-type":"application/json"})");
}

TEST_P(StoreContract, EventsAfterPagesBySourceOldestFirst) {
  std::vector<std::int64_t> github;
  for (int i = 0; i < 7; ++i) {
    github.push_back(append_ok(event("github", i, "g" + std::to_string(i))));
    append_ok(event("stripe", i));
  }
  std::vector<std::int64_t> seen;
  std::int64_t cursor = 0;
  for (;;) {
    auto page = store_->events_after("github", cursor, 3);
    ASSERT_TRUE(page) << page.error();
    ASSERT_LE(page->size(), 3u);
    if (page->empty()) break;
    for (const auto& e : *page) {
      EXPECT_EQ(e.source, "github");
      seen.push_back(e.seq);
    }
    cursor = page->back().seq;
  }
  EXPECT_EQ(seen, github);

  auto none = store_->events_after("github", github.back(), 3);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto zero = store_->events_after("github", 0, 0);
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->empty());
  auto unknown = store_->events_after("nobody", 0, 10);
  ASSERT_TRUE(unknown);
  EXPECT_TRUE(unknown->empty());
}

NewEvent keyed(std::string key, std::int64_t received_ms, std::int64_t until_ms) {
  NewEvent e;
  e.source = "stripe";
  e.received_ms = received_ms;
  e.dedupe_key = std::move(key);
  e.dedupe_until_ms = until_ms;
  e.body = "payload";
  e.destinations = {"orders"};
  return e;
}

TEST_P(StoreContract, DuplicateWithinWindowReturnsFirstSeqAndNoDelivery) {
  auto first = store_->append(keyed("evt_1", 1000, 2000));
  ASSERT_TRUE(first) << first.error();
  EXPECT_FALSE(first->duplicate);

  auto again = store_->append(keyed("evt_1", 1999, 2999));
  ASSERT_TRUE(again) << again.error();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->seq, first->seq);

  // Same key, other source: not a duplicate.
  auto other = keyed("evt_1", 1500, 2500);
  other.source = "github";
  auto elsewhere = store_->append(other);
  ASSERT_TRUE(elsewhere);
  EXPECT_FALSE(elsewhere->duplicate);

  auto counts = store_->counts();
  ASSERT_TRUE(counts) << counts.error();
  EXPECT_EQ(counts->events, 2);
  EXPECT_EQ(counts->pending, 2);
  auto claimed = store_->claim_due(5000, 10, "w", 1000);
  ASSERT_TRUE(claimed) << claimed.error();
  EXPECT_EQ(claimed->size(), 2u);
}

TEST_P(StoreContract, DuplicateWindowExpiresAtUntilMs) {
  auto first = store_->append(keyed("evt_2", 1000, 2000));
  ASSERT_TRUE(first);
  // until_ms is exclusive: at 2000 the window is over and the event is new again.
  auto later = store_->append(keyed("evt_2", 2000, 3000));
  ASSERT_TRUE(later) << later.error();
  EXPECT_FALSE(later->duplicate);
  EXPECT_GT(later->seq, first->seq);
  // The replaced row carries the new window and points at the new event.
  auto again = store_->append(keyed("evt_2", 2500, 3500));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->seq, later->seq);

  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->events, 2);
  EXPECT_EQ(counts->pending, 2);
}

TEST_P(StoreContract, EmptyDedupeKeyIsNeverADuplicate) {
  auto a = store_->append(keyed("", 1, 1000));
  auto b = store_->append(keyed("", 2, 1000));
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(b->duplicate);
  EXPECT_NE(a->seq, b->seq);
}

TEST_P(StoreContract, PruningForgetsExpiredWindowsOldestFirstAndKeepsLiveOnes) {
  // Windows ending at 2000, 3000, 4000 and 9000.
  for (const auto& [key, until] : std::vector<std::pair<std::string, std::int64_t>>{
           {"w2", 2000}, {"w3", 3000}, {"w4", 4000}, {"w9", 9000}}) {
    ASSERT_TRUE(store_->append(keyed(key, 1000, until)));
  }
  // At 4000, three windows are over; a limit of two takes the two oldest.
  auto first = store_->prune_dedupe(4000, 2);
  ASSERT_TRUE(first) << first.error();
  EXPECT_EQ(*first, 2);
  auto rest = store_->prune_dedupe(4000, 100);
  ASSERT_TRUE(rest) << rest.error();
  EXPECT_EQ(*rest, 1);
  auto none = store_->prune_dedupe(4000, 100);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);

  // The live window still de-duplicates; a pruned key is new again; the events themselves stay.
  auto live = store_->append(keyed("w9", 5000, 9500));
  ASSERT_TRUE(live);
  EXPECT_TRUE(live->duplicate);
  auto renewed = store_->append(keyed("w3", 5000, 6000));
  ASSERT_TRUE(renewed);
  EXPECT_FALSE(renewed->duplicate);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->events, 5);
}

TEST_P(StoreContract, SettingsStoreAndOverwrite) {
  auto missing = store_->setting("asana.secret");
  ASSERT_TRUE(missing) << missing.error();
  EXPECT_FALSE(missing->has_value());

  ASSERT_TRUE(store_->put_setting("asana.secret", "first"));
  ASSERT_TRUE(store_->put_setting("asana.secret", "second"));
  ASSERT_TRUE(store_->put_setting("empty", ""));
  auto value = store_->setting("asana.secret");
  ASSERT_TRUE(value);
  EXPECT_EQ(value->value_or("?"), "second");
  auto empty = store_->setting("empty");
  ASSERT_TRUE(empty);
  ASSERT_TRUE(empty->has_value());
  EXPECT_EQ(**empty, "");
}

TEST_P(StoreContract, DataSurvivesCloseAndReopen) {
  const auto seq = append_ok(event("github", 10, std::string("\0body", 5), {"orders", "audit"}));
  ASSERT_TRUE(store_->put_setting("k", "v"));
  auto duplicate_key = keyed("evt_3", 10, 10'000);
  ASSERT_TRUE(store_->append(duplicate_key));
  store_.reset();

  store_ = reopen();
  ASSERT_NE(store_, nullptr);
  auto events = store_->events_after("github", 0, 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].seq, seq);
  EXPECT_EQ((*events)[0].body, std::string("\0body", 5));
  EXPECT_EQ(store_->setting("k")->value_or(""), "v");
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->events, 2);
  EXPECT_EQ(counts->pending, 3);
  // The de-duplication window outlives the instance too.
  auto again = store_->append(keyed("evt_3", 20, 10'020));
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  // New seqs continue after the old ones.
  EXPECT_GT(append_ok(event("github", 30)), again->seq);
}

}  // namespace
}  // namespace hookgate::store::testing
