// A simulated power cut under the SQLite store: every file goes back to what its last sync made
// durable (PowerCutVfs), the store is reopened, and every acknowledged event must be there. A kill
// test cannot show this, since SIGKILL keeps the page cache; here an append acknowledged without
// its WAL sync is lost, as it would be on a real disk.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "power_cut_vfs.hpp"
#include "sqlite_backend.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/sqlite/wal_sync.hpp"

namespace hookgate::store::sqlite {
namespace {

using namespace std::chrono_literals;
using store::testing::event;

TEST(SqlitePowerCut, EveryAcknowledgedEventSurvivesAndAnUnsyncedCommitDoesNot) {
  store::testing::SqliteInstance instance;
  const std::string body(1024, 'x');
  std::map<std::int64_t, std::string> acknowledged;  // seq -> body
  std::uint64_t dropped = 0;
  {
    store::testing::PowerCutVfs vfs;
    ASSERT_TRUE(vfs.install());
    // The store's own WAL sync goes through the shim, and can be held at its start.
    std::mutex m;
    std::condition_variable cv;
    bool hold = false;
    auto sync_file = [&](int fd, const std::string& path) -> int {
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return !hold; });
      }
      if (!vfs.sync_path(path)) return EIO;  // the power is off
      return WalSync::fdatasync_file(fd, path);
    };
    {
      auto opened = SqliteStore::open(instance.path(), {}, sync_file);
      ASSERT_TRUE(opened) << opened.error();
      auto store = std::move(opened).value();

      // Concurrent appends, in group-committed batches; few enough that no automatic checkpoint
      // runs, so what makes them durable is the store's WAL sync alone.
      std::mutex acked_mutex;
      std::vector<std::thread> threads;
      threads.reserve(4);
      for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
          for (int i = 0; i < 25; ++i) {
            const std::string mine = std::to_string(t) + "/" + std::to_string(i) + body;
            auto appended = store->append(event("github", 1000 + i, mine));
            if (!appended) continue;
            const std::lock_guard lock(acked_mutex);
            acknowledged[appended->seq] = mine;
          }
        });
      }
      for (auto& thread : threads)
        thread.join();
      ASSERT_EQ(acknowledged.size(), 100U);

      // One more append, committed but held before its sync: then the power goes.
      {
        const std::lock_guard lock(m);
        hold = true;
      }
      // Released however the test ends: the store's destructor waits for the held sync.
      const std::shared_ptr<void> release(nullptr, [&](void*) {
        {
          const std::lock_guard lock(m);
          hold = false;
        }
        cv.notify_all();
      });
      std::atomic<bool> answered_ok = false;
      std::atomic<bool> answered = false;
      store->append_async(event("github", 9000, "never synced"), [&](const Result<Appended>& r) {
        answered_ok = r.ok();
        answered = true;
      });
      // Cut once its commit is in the WAL (written, not synced). Waiting for the write rather than
      // for the held sync keeps this working when the store never syncs at all: then the cut
      // finds everything above still unsynced, and the check below fails as it must.
      const std::string wal = instance.path() + "-wal";
      const auto deadline = std::chrono::steady_clock::now() + 30s;
      while (vfs.unsynced_bytes(wal) == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
      ASSERT_GT(vfs.unsynced_bytes(wal), 0U) << "the held append never reached the WAL";
      dropped = vfs.cut();
      EXPECT_FALSE(answered_ok.load()) << "an append was acknowledged before its sync";
      {
        const std::lock_guard lock(m);
        hold = false;
      }
      cv.notify_all();
      store.reset();  // answers the held append (its sync failed) and closes the files
      EXPECT_TRUE(answered.load());
      EXPECT_FALSE(answered_ok.load()) << "an append whose sync failed was acknowledged";
    }
    vfs.uninstall();
  }
  // The cut really took something away, or the test would prove nothing.
  EXPECT_GT(dropped, 0U);
  // The shared-memory index is rebuilt from the WAL by the first connection; remove it anyway,
  // as a machine that lost power may have.
  std::error_code ignored;
  std::filesystem::remove(instance.path() + "-shm", ignored);

  auto reopened = instance.open({});
  ASSERT_TRUE(reopened) << reopened.error();
  auto seen = (*reopened)->events_after("github", 0, 1000);
  ASSERT_TRUE(seen) << seen.error();
  std::map<std::int64_t, std::string> survived;
  for (const auto& e : *seen)
    survived[e.seq] = e.body;
  for (const auto& [seq, kept_body] : acknowledged) {
    auto found = survived.find(seq);
    ASSERT_NE(found, survived.end()) << "acknowledged event " << seq << " was lost by the cut";
    EXPECT_EQ(found->second, kept_body) << "event " << seq;
  }
  for (const auto& [seq, survived_body] : survived) {
    EXPECT_NE(survived_body, "never synced") << "the unsynced commit survived: nothing was cut";
  }
  // And the store takes appends again, without reusing a seq it handed out.
  auto next = (*reopened)->append(event("github", 10'000, "after"));
  ASSERT_TRUE(next) << next.error();
  EXPECT_GT(next->seq, acknowledged.rbegin()->first);
}

}  // namespace
}  // namespace hookgate::store::sqlite
