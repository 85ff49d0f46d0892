// WalSync against a real WAL: it finds and syncs the file SQLite writes, follows it when SQLite
// replaces it, and treats a WAL that is gone as nothing to sync.
#include "store/sqlite/wal_sync.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "sqlite_backend.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace hookgate::store::sqlite {
namespace {

TEST(WalSync, SyncsTheWalOfADatabaseAndFollowsItWhenReplaced) {
  store::testing::SqliteInstance instance;
  const std::string wal = instance.path() + "-wal";
  WalSync sync(instance.path());
  // No database yet, no WAL: nothing to make durable.
  EXPECT_TRUE(sync.sync());
  {
    auto db = Db::open(instance.path(), Db::Mode::read_write_create);
    ASSERT_TRUE(db) << db.error();
    ASSERT_TRUE(
        db->exec("PRAGMA journal_mode = WAL; CREATE TABLE t (v); INSERT INTO t VALUES (1)"));
    ASSERT_TRUE(std::filesystem::exists(wal));
    auto first = sync.sync();
    EXPECT_TRUE(first) << first.error();
    EXPECT_TRUE(db->exec("INSERT INTO t VALUES (2)"));
    EXPECT_TRUE(sync.sync());
  }
  // The last connection closed: SQLite checkpointed and removed the WAL.
  EXPECT_FALSE(std::filesystem::exists(wal));
  EXPECT_TRUE(sync.sync());
  // A new WAL (a new file) is found again.
  auto db = Db::open(instance.path(), Db::Mode::read_write_create);
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("INSERT INTO t VALUES (3)"));
  ASSERT_TRUE(std::filesystem::exists(wal));
  auto again = sync.sync();
  EXPECT_TRUE(again) << again.error();
}

}  // namespace
}  // namespace hookgate::store::sqlite
