// Store contract, the management plane's compare-and-set: records (create, versioned update,
// delete, pages by id and owner) and replace_setting, including writers racing for one change.
#include <atomic>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store_contract.hpp"

namespace hookgate::store::testing {
namespace {

Record endpoint(std::string id, std::string owner, std::string body) {
  return Record{"endpoint", std::move(id), std::move(owner), std::move(body), 0};
}

TEST_P(StoreContract, PutRecordCreatesOnceThenUpdatesOnlyTheExpectedVersion) {
  auto missing = store_->record("endpoint", "ep_1");
  ASSERT_TRUE(missing) << missing.error();
  EXPECT_FALSE(missing->has_value());

  auto draft = endpoint("ep_1", "app_1", R"({"url":"https://a.example"})");
  draft.version = 99;  // ignored: the store counts versions
  auto created = store_->put_record(draft, 0);
  ASSERT_TRUE(created) << created.error();
  EXPECT_TRUE(*created);
  auto again = store_->put_record(endpoint("ep_1", "app_1", R"({"url":"other"})"), 0);
  ASSERT_TRUE(again) << again.error();
  EXPECT_FALSE(*again) << "an existing id is not created twice";

  auto stored = store_->record("endpoint", "ep_1");
  ASSERT_TRUE(stored) << stored.error();
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->kind, "endpoint");
  EXPECT_EQ((*stored)->id, "ep_1");
  EXPECT_EQ((*stored)->owner, "app_1");
  EXPECT_EQ((*stored)->body, R"({"url":"https://a.example"})");
  EXPECT_EQ((*stored)->version, 1);

  auto updated = store_->put_record(endpoint("ep_1", "app_2", R"({"url":"b"})"), 1);
  ASSERT_TRUE(updated) << updated.error();
  EXPECT_TRUE(*updated);
  auto stale = store_->put_record(endpoint("ep_1", "app_1", R"({"url":"stale"})"), 1);
  ASSERT_TRUE(stale) << stale.error();
  EXPECT_FALSE(*stale) << "an update from an old version is a conflict";
  auto ahead = store_->put_record(endpoint("ep_1", "app_1", R"({"url":"ahead"})"), 7);
  ASSERT_TRUE(ahead);
  EXPECT_FALSE(*ahead);

  stored = store_->record("endpoint", "ep_1");
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->owner, "app_2");
  EXPECT_EQ((*stored)->body, R"({"url":"b"})");
  EXPECT_EQ((*stored)->version, 2);

  // Same id, other kind: a different record.
  auto other_kind = store_->record("app", "ep_1");
  ASSERT_TRUE(other_kind);
  EXPECT_FALSE(other_kind->has_value());
  auto gone = store_->put_record(endpoint("ep_missing", "", "{}"), 1);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone) << "updating a record that does not exist is a conflict";
}

TEST_P(StoreContract, DeleteRecordRemovesItAndAnUpdateAfterwardsConflicts) {
  ASSERT_TRUE(store_->put_record(endpoint("ep_1", "app_1", "{}"), 0).value());
  ASSERT_TRUE(store_->put_record(endpoint("ep_1", "app_1", R"({"v":2})"), 1).value());

  auto deleted = store_->delete_record("endpoint", "ep_1");
  ASSERT_TRUE(deleted) << deleted.error();
  EXPECT_TRUE(*deleted);
  auto missing = store_->record("endpoint", "ep_1");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  auto twice = store_->delete_record("endpoint", "ep_1");
  ASSERT_TRUE(twice) << twice.error();
  EXPECT_FALSE(*twice) << "nothing left to delete";

  auto late_update = store_->put_record(endpoint("ep_1", "app_1", R"({"v":3})"), 2);
  ASSERT_TRUE(late_update);
  EXPECT_FALSE(*late_update);
  ASSERT_TRUE(store_->put_record(endpoint("ep_1", "app_3", R"({"v":"new"})"), 0).value());
  auto recreated = store_->record("endpoint", "ep_1");
  ASSERT_TRUE(recreated && recreated->has_value());
  EXPECT_EQ((*recreated)->version, 1);
  EXPECT_EQ((*recreated)->owner, "app_3");
}

// What a per-owner cache of records (the publish fan-out) relies on: every change to one of
// owner's records moves owner's generation, nothing else does, and it survives a restart.
TEST_P(StoreContract, RecordsGenerationMovesWithEveryChangeOfItsOwnersRecordsOnly) {
  const auto generation = [&](std::string_view kind, std::string_view owner) {
    auto g = store_->records_generation(kind, owner);
    EXPECT_TRUE(g) << g.error();
    EXPECT_TRUE(g && g->has_value()) << "this backend keeps generations";
    return g && g->has_value() ? **g : -1;
  };
  EXPECT_EQ(generation("endpoint", "app_a"), 0);
  ASSERT_TRUE(store_->put_record(endpoint("ep_1", "app_a", "{}"), 0).value());
  const auto created = generation("endpoint", "app_a");
  EXPECT_GT(created, 0);
  EXPECT_EQ(generation("endpoint", "app_b"), 0);
  EXPECT_EQ(generation("app", "app_a"), 0);

  // Writes that change nothing move nothing: an id taken, a stale version, a missing record.
  EXPECT_FALSE(store_->put_record(endpoint("ep_1", "app_a", "{}"), 0).value());
  EXPECT_FALSE(store_->put_record(endpoint("ep_1", "app_a", "{}"), 7).value());
  EXPECT_FALSE(store_->put_record(endpoint("ep_9", "app_a", "{}"), 1).value());
  EXPECT_FALSE(store_->delete_record("endpoint", "ep_9").value());
  EXPECT_EQ(generation("endpoint", "app_a"), created);

  ASSERT_TRUE(store_->put_record(endpoint("ep_1", "app_a", R"({"enabled":false})"), 1).value());
  const auto updated = generation("endpoint", "app_a");
  EXPECT_GT(updated, created);

  // Moved to another owner: both owners' sets changed.
  ASSERT_TRUE(store_->put_record(endpoint("ep_1", "app_b", "{}"), 2).value());
  const auto left = generation("endpoint", "app_a");
  const auto joined = generation("endpoint", "app_b");
  EXPECT_GT(left, updated);
  EXPECT_GT(joined, 0);

  ASSERT_TRUE(store_->delete_record("endpoint", "ep_1").value());
  EXPECT_GT(generation("endpoint", "app_b"), joined);
  EXPECT_EQ(generation("endpoint", "app_a"), left);
  const auto deleted = generation("endpoint", "app_b");

  store_.reset();
  store_ = reopen();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(generation("endpoint", "app_b"), deleted);
  EXPECT_EQ(generation("endpoint", "app_a"), left);
}

TEST_P(StoreContract, RecordsPageByIdWithinKindAndOwner) {
  // Created out of order, in two owners, next to another kind with the same ids.
  for (const char* id : {"ep_05", "ep_01", "ep_07", "ep_03", "ep_02", "ep_06", "ep_04"}) {
    const std::string owner = (id[4] - '0') % 2 == 1 ? "app_odd" : "app_even";
    ASSERT_TRUE(
        store_->put_record(endpoint(id, owner, std::string(R"({"id":")") + id + "\"}"), 0).value());
    ASSERT_TRUE(store_->put_record(Record{"app", id, "", "{}", 0}, 0).value());
  }

  std::vector<std::string> seen;
  std::string after;
  for (;;) {
    auto page = store_->records("endpoint", "", after, 3);
    ASSERT_TRUE(page) << page.error();
    ASSERT_LE(page->size(), 3u);
    if (page->empty()) break;
    for (const auto& r : *page) {
      EXPECT_EQ(r.kind, "endpoint");
      EXPECT_EQ(r.body, R"({"id":")" + r.id + "\"}");
      EXPECT_EQ(r.version, 1);
      seen.push_back(r.id);
    }
    after = page->back().id;
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"ep_01", "ep_02", "ep_03", "ep_04", "ep_05", "ep_06",
                                            "ep_07"}));

  auto odd = store_->records("endpoint", "app_odd", "ep_01", 10);
  ASSERT_TRUE(odd) << odd.error();
  std::vector<std::string> odd_ids;
  for (const auto& r : *odd) {
    EXPECT_EQ(r.owner, "app_odd");
    odd_ids.push_back(r.id);
  }
  EXPECT_EQ(odd_ids, (std::vector<std::string>{"ep_03", "ep_05", "ep_07"}));
  auto even = store_->records("endpoint", "app_even", "", 2);
  ASSERT_TRUE(even);
  ASSERT_EQ(even->size(), 2u);
  EXPECT_EQ((*even)[0].id, "ep_02");
  EXPECT_EQ((*even)[1].id, "ep_04");

  auto none = store_->records("endpoint", "app_nobody", "", 10);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  auto zero = store_->records("endpoint", "", "", 0);
  ASSERT_TRUE(zero);
  EXPECT_TRUE(zero->empty());
  auto apps = store_->records("app", "", "ep_06", 10);
  ASSERT_TRUE(apps);
  ASSERT_EQ(apps->size(), 1u);
  EXPECT_EQ((*apps)[0].id, "ep_07");
}

TEST_P(StoreContract, RecordIdsOrderByteWise) {
  // Byte order, not a locale's: every backend pages the same way.
  for (const char* id : {"a", "B", "_", "ab", "A", "\xc3\xa9"}) {
    ASSERT_TRUE(store_->put_record(Record{"key", id, "", "{}", 0}, 0).value());
  }
  auto all = store_->records("key", "", "", 10);
  ASSERT_TRUE(all) << all.error();
  std::vector<std::string> ids;
  for (const auto& r : *all)
    ids.push_back(r.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"A", "B", "_", "a", "ab", "\xc3\xa9"}));
}

// Every caller tries the same compare-and-set at once; returns how many succeeded.
template <class Attempt>
int race(int callers, Attempt attempt) {
  std::atomic<int> won = 0;
  std::atomic<int> failed = 0;
  std::latch start(callers);
  {
    std::vector<std::jthread> threads;
    threads.reserve(static_cast<std::size_t>(callers));
    for (int i = 0; i < callers; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        auto outcome = attempt(i);
        if (!outcome) {
          ADD_FAILURE() << outcome.error();
          ++failed;
        } else if (*outcome) {
          ++won;
        }
      });
    }
  }
  return failed == 0 ? won.load() : -1;
}

TEST_P(StoreContract, ConcurrentRecordWritersOnTheSameVersionHaveExactlyOneWinner) {
  constexpr int kWriters = 8;
  EXPECT_EQ(
      race(kWriters,
           [&](int i) { return store_->put_record(endpoint("ep", "app", std::to_string(i)), 0); }),
      1);
  for (std::int64_t version = 1; version <= 3; ++version) {
    EXPECT_EQ(
        race(kWriters,
             [&](int i) {
               return store_->put_record(
                   endpoint("ep", "app", "v" + std::to_string(version) + "/" + std::to_string(i)),
                   version);
             }),
        1)
        << "version " << version;
  }
  auto stored = store_->record("endpoint", "ep");
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->version, 4);
  EXPECT_TRUE((*stored)->body.starts_with("v3/")) << (*stored)->body;
}

TEST_P(StoreContract, ReplaceSettingIsCompareAndSet) {
  auto created = store_->replace_setting("asana.code", std::nullopt, "code-1");
  ASSERT_TRUE(created) << created.error();
  EXPECT_TRUE(*created);
  auto exists = store_->replace_setting("asana.code", std::nullopt, "code-2");
  ASSERT_TRUE(exists) << exists.error();
  EXPECT_FALSE(*exists) << "nullopt expects the setting to be absent";
  auto wrong = store_->replace_setting("asana.code", std::string("code-0"), "code-3");
  ASSERT_TRUE(wrong);
  EXPECT_FALSE(*wrong);
  EXPECT_EQ(store_->setting("asana.code")->value_or("?"), "code-1");

  auto swapped = store_->replace_setting("asana.code", std::string("code-1"), "");
  ASSERT_TRUE(swapped) << swapped.error();
  EXPECT_TRUE(*swapped);
  auto empty = store_->setting("asana.code");
  ASSERT_TRUE(empty && empty->has_value());
  EXPECT_EQ(**empty, "");
  // An empty value is a value, not an absent setting.
  EXPECT_FALSE(store_->replace_setting("asana.code", std::nullopt, "x").value());
  EXPECT_TRUE(store_->replace_setting("asana.code", std::string(), "x").value());
  EXPECT_FALSE(store_->replace_setting("missing", std::string(), "x").value());
  EXPECT_FALSE(store_->setting("missing")->has_value());
  // put_setting and replace_setting see the same value.
  ASSERT_TRUE(store_->put_setting("asana.code", "put"));
  EXPECT_TRUE(store_->replace_setting("asana.code", std::string("put"), "replaced").value());
  EXPECT_EQ(store_->setting("asana.code")->value_or("?"), "replaced");
}

TEST_P(StoreContract, ConcurrentSettingReplacersHaveExactlyOneWinner) {
  constexpr int kWriters = 8;
  EXPECT_EQ(race(kWriters,
                 [&](int i) {
                   return store_->replace_setting("secret", std::nullopt, std::to_string(i));
                 }),
            1);
  const std::string established = store_->setting("secret")->value_or("?");
  EXPECT_EQ(race(kWriters,
                 [&](int i) {
                   return store_->replace_setting("secret", established,
                                                  "consumed by " + std::to_string(i));
                 }),
            1);
  EXPECT_TRUE(store_->setting("secret")->value_or("").starts_with("consumed by "));
}

}  // namespace
}  // namespace hookgate::store::testing
