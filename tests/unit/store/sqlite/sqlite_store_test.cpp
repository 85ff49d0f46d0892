// The SQLite backend: runs the store contract suite, plus what only SQLite has: the file's
// durability settings, and busy answers while another process holds the write lock.
#include "store/sqlite/sqlite_store.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "sqlite_backend.hpp"
#include "store/sqlite/migrations.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::testing {

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Values(sqlite_backend()),
                         [](const auto& param_info) { return param_info.param.name; });

namespace {

using sqlite::Db;

class SqliteStoreFile : public ::testing::Test {
 protected:
  // SQLite's EXPLAIN QUERY PLAN of sql, one step a line.
  static std::string plan(Db& db, const std::string& sql) {
    auto explained = db.prepare("EXPLAIN QUERY PLAN " + sql);
    EXPECT_TRUE(explained) << explained.error();
    std::string details;
    while (explained && explained->step().value())
      details += explained->column_text(3) + "\n";
    return details;
  }
  Db raw_connection() {
    auto db = Db::open(instance_.path(), Db::Mode::read_write_create);
    EXPECT_TRUE(db) << db.error();
    return std::move(db).value();
  }
  SqliteInstance instance_;
};

TEST_F(SqliteStoreFile, OpensInWalModeWithTheLatestSchema) {
  auto store = instance_.open({});
  ASSERT_TRUE(store) << store.error();
  auto db = raw_connection();
  EXPECT_EQ(db.query_text("PRAGMA journal_mode").value(), "wal");
  EXPECT_EQ(db.query_text("PRAGMA user_version").value(),
            std::to_string(sqlite::latest_schema_version()));
  // Due work is found through the index, not by scanning deliveries.
  const auto due = plan(db,
                        "SELECT id FROM deliveries WHERE state = 'pending' AND due_ms <= 5"
                        " AND (lease_until_ms IS NULL OR lease_until_ms <= 5)"
                        " ORDER BY due_ms, id LIMIT 10");
  EXPECT_NE(due.find("INDEX deliveries_due"), std::string::npos) << due;
  EXPECT_EQ(due.find("TEMP B-TREE"), std::string::npos) << due;
  // Expired de-duplication windows too, oldest first, without sorting the table.
  const auto prune =
      plan(db, "SELECT source, key FROM dedupe WHERE until_ms <= 5 ORDER BY until_ms LIMIT 10");
  EXPECT_NE(prune.find("INDEX dedupe_expiry"), std::string::npos) << prune;
  EXPECT_EQ(prune.find("TEMP B-TREE"), std::string::npos) << prune;
  // Retention finds an event's de-duplication row and deliveries by seq, without a scan.
  const auto by_seq = plan(db, "SELECT 1 FROM dedupe WHERE seq = 5 AND until_ms > 9");
  EXPECT_NE(by_seq.find("INDEX dedupe_by_seq"), std::string::npos) << by_seq;
  const auto by_event =
      plan(db, "SELECT 1 FROM deliveries WHERE event_seq = 5 AND state = 'pending'");
  EXPECT_NE(by_event.find("INDEX deliveries_by_event"), std::string::npos) << by_event;
}

TEST_F(SqliteStoreFile, ADatabaseFromANewerBuildIsRefused) {
  {
    auto db = raw_connection();
    ASSERT_TRUE(db.exec("PRAGMA user_version = 999"));
  }
  auto store = instance_.open({});
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find("newer"), std::string::npos) << store.error();
}

TEST_F(SqliteStoreFile, MigratingTwiceChangesNothing) {
  auto db = raw_connection();
  ASSERT_TRUE(sqlite::migrate(db));
  ASSERT_TRUE(sqlite::migrate(db));
  EXPECT_EQ(db.query_text("PRAGMA user_version").value(),
            std::to_string(sqlite::latest_schema_version()));
}

// While another connection holds the write lock the writer cannot commit, so at most one batch
// is in flight and max_pending_writes more are queued: the next append must be busy. This makes
// the busy answer deterministic rather than a matter of scheduling.
TEST_F(SqliteStoreFile, AppendIsBusyWhenTheQueueIsFullAndAcceptedOnesCommitLater) {
  auto opened = instance_.open(StoreOptions{.max_pending_writes = 1});
  ASSERT_TRUE(opened) << opened.error();
  auto& store = **opened;
  auto blocker = raw_connection();
  ASSERT_TRUE(blocker.exec("BEGIN IMMEDIATE"));

  std::mutex mutex;
  std::condition_variable changed;
  int busy = 0;
  std::vector<std::int64_t> accepted;
  std::vector<std::string> other_errors;
  constexpr int kCallers = 3;
  {
    std::vector<std::jthread> callers;
    for (int i = 0; i < kCallers; ++i) {
      callers.emplace_back([&, i] {
        auto appended = store.append(event("blocked", i, "x", {"d"}));
        std::lock_guard lock(mutex);
        if (appended) {
          accepted.push_back(appended->seq);
        } else if (appended.error().starts_with(kBusy)) {
          ++busy;
        } else {
          other_errors.push_back(appended.error());
        }
        changed.notify_all();
      });
    }
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return busy > 0 || !other_errors.empty(); });
    }
    ASSERT_TRUE(blocker.exec("ROLLBACK"));
  }
  ASSERT_TRUE(other_errors.empty()) << other_errors.front();
  EXPECT_GE(busy, 1);
  EXPECT_EQ(accepted.size() + busy, std::size_t{kCallers});
  auto events = store.events_after("blocked", 0, 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), accepted.size());
}

TEST(OpenStore, RefusesUrlsThatAreNotADurableStore) {
  struct Case {
    const char* url;
    const char* message;
  };
  const Case cases[] = {
      {"sqlite://", "names no file"},
      {"sqlite://:memory:", "must be a file on disk"},
      {"sqlite://file::memory:", "must be a file on disk"},
      {"mysql://x", "not supported"},
      {"hookgate.db", "not supported"},
      {"", "not supported"},
  };
  for (const auto& c : cases) {
    auto store = open_store(c.url);
    ASSERT_FALSE(store) << c.url;
    EXPECT_NE(store.error().find(c.message), std::string::npos) << c.url << ": " << store.error();
  }
}

TEST(OpenStore, RefusesAZeroLengthWriteQueue) {
  SqliteInstance instance;
  auto store = instance.open(StoreOptions{.max_pending_writes = 0});
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find("max_pending_writes"), std::string::npos) << store.error();
}

TEST(OpenStore, AcceptsARelativePath) {
  SqliteInstance instance;
  const auto relative =
      std::filesystem::relative(instance.dir(), std::filesystem::current_path()) / "rel.db";
  ASSERT_TRUE(relative.is_relative());
  auto store = open_store("sqlite://" + relative.string());
  ASSERT_TRUE(store) << store.error();
  EXPECT_TRUE(std::filesystem::exists(instance.dir() / "rel.db"));
}

TEST(OpenStore, ReportsAnUnopenableFile) {
  auto store = open_store("sqlite:///nonexistent-dir/hookgate.db");
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find("/nonexistent-dir/hookgate.db"), std::string::npos) << store.error();
}

}  // namespace
}  // namespace hookgate::store::testing
