// What one claim costs on SQLite with a long queue: counted in SQLite's virtual machine steps
// (sqlite3_progress_handler), not in time, so the check does not depend on the machine's load.
// A destination at its room with a long backlog must cost a claim nothing: the claim reads the
// rows it takes and one index probe per destination with pending work.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "sqlite_backend.hpp"
#include "store/claim_window.hpp"
#include "store/sqlite/claims.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {
namespace {

int count_step(void* steps) {
  ++*static_cast<std::int64_t*>(steps);
  return 0;
}

class SqliteClaimCost : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      auto store = instance_.open({});  // creates the file with the current schema
      ASSERT_TRUE(store) << store.error();
    }
    auto db = Db::open(instance_.path(), Db::Mode::read_write_create);
    ASSERT_TRUE(db) << db.error();
    db_.emplace(std::move(db).value());
    ASSERT_TRUE(
        db_->exec("INSERT INTO events (source, event_type, received_ms, headers, body) "
                  "VALUES ('s', 't', 1, '{}', '{}')"));
  }

  // count deliveries of the one event to destination, due from due_ms on, one ms apart.
  void queue(int count, const std::string& destination, std::int64_t due_ms) {
    ASSERT_TRUE(
        db_->exec("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < " +
                  std::to_string(count) +
                  ") INSERT INTO deliveries (event_seq, destination, state, due_ms) "
                  "SELECT 1, '" +
                  destination + "', 'pending', " + std::to_string(due_ms) + " + i FROM n"));
  }

  // Runs one claim in its own transaction; returns the virtual machine steps it took.
  std::int64_t claim_counting(const ClaimRequest& request, Claimed& out) {
    EXPECT_TRUE(db_->exec("BEGIN IMMEDIATE"));
    std::int64_t steps = 0;
    sqlite3_progress_handler(db_->handle(), 1, &count_step, &steps);
    auto claimed = claim_deliveries(*db_, request, INT64_MAX, cursor_);
    sqlite3_progress_handler(db_->handle(), 0, nullptr, nullptr);
    EXPECT_TRUE(claimed) << claimed.error();
    EXPECT_TRUE(db_->exec("COMMIT"));
    if (claimed) out = std::move(claimed).value();
    return steps;
  }

  void release_leases() {
    ASSERT_TRUE(db_->exec("UPDATE deliveries SET lease_owner = NULL, lease_until_ms = NULL"));
  }

  store::testing::SqliteInstance instance_;
  std::optional<Db> db_;
  ClaimCursor cursor_;
};

TEST_F(SqliteClaimCost, AFullDestinationsBacklogCostsAClaimNothing) {
  queue(1000, "full", 1000);
  queue(1, "free", 500'000);  // the newest due row of the queue
  ClaimRequest request;
  request.now_ms = 1'000'000;
  request.limit = 10;
  request.owner = "me";
  request.lease_ms = 30'000;
  request.room["full"] = 0;

  Claimed claimed;
  claim_counting(request, claimed);  // prepares and caches the statements
  ASSERT_EQ(claimed.deliveries.size(), 1u);
  EXPECT_EQ(claimed.deliveries[0].destination, "free");
  release_leases();
  const std::int64_t small = claim_counting(request, claimed);
  ASSERT_EQ(claimed.deliveries.size(), 1u);

  queue(99'000, "full", 2000);  // 100 000 due rows of the destination without room
  release_leases();
  const std::int64_t large = claim_counting(request, claimed);
  ASSERT_EQ(claimed.deliveries.size(), 1u);
  EXPECT_EQ(claimed.deliveries[0].destination, "free");
  EXPECT_FALSE(claimed.next_due_ms) << "what is left waits for room";
  // The same steps whatever the backlog (a walk of the queue costs several steps per row).
  EXPECT_LE(large, small + small / 10) << "1 000 queued: " << small << " steps";
  EXPECT_LT(large, 5'000);
}

TEST_F(SqliteClaimCost, AClaimReadsEachDestinationNoFurtherThanItsRoom) {
  for (const char* destination : {"a", "b", "c"})
    queue(30'000, destination, 1000);
  ClaimRequest request;
  request.now_ms = 1'000'000;
  request.limit = 6;
  request.owner = "me";
  request.lease_ms = 30'000;
  request.default_room = 2;
  Claimed claimed;
  claim_counting(request, claimed);
  ASSERT_EQ(claimed.deliveries.size(), 6u);
  release_leases();
  const std::int64_t steps = claim_counting(request, claimed);
  ASSERT_EQ(claimed.deliveries.size(), 6u);
  EXPECT_FALSE(claimed.next_due_ms) << "every destination is at its room";
  EXPECT_LT(steps, 5'000);
}

}  // namespace
}  // namespace hookgate::store::sqlite
