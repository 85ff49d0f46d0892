// Store contract under concurrency and crashes: group commit loses and duplicates nothing,
// a full write queue answers busy without losing accepted events, and every seq a process was
// told about survives that process being killed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "store_contract.hpp"

namespace hookgate::store::testing {
namespace {

// All events of source, following the cursor to the end.
std::vector<std::int64_t> all_seqs(Store& store, const std::string& source) {
  std::vector<std::int64_t> seqs;
  std::int64_t cursor = 0;
  for (;;) {
    auto page = store.events_after(source, cursor, 500);
    EXPECT_TRUE(page) << page.error();
    if (!page || page->empty()) return seqs;
    for (const auto& e : *page)
      seqs.push_back(e.seq);
    cursor = page->back().seq;
  }
}

TEST_P(StoreContract, ConcurrentAppendsAreAllStoredWithDistinctSeqs) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::mutex mutex;
  std::vector<std::int64_t> returned;
  std::vector<std::string> errors;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          const std::string body = std::to_string(t) + ":" + std::to_string(i);
          auto appended = store_->append(event("load", i, body, {"d"}));
          std::lock_guard lock(mutex);
          if (appended) {
            returned.push_back(appended->seq);
          } else {
            errors.push_back(appended.error());
          }
        }
      });
    }
  }
  ASSERT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(returned.size(), std::size_t{kThreads * kPerThread});
  const std::set<std::int64_t> distinct(returned.begin(), returned.end());
  EXPECT_EQ(distinct.size(), returned.size());

  const auto stored = all_seqs(*store_, "load");
  EXPECT_EQ(std::set<std::int64_t>(stored.begin(), stored.end()), distinct);
  EXPECT_EQ(stored.size(), distinct.size());
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->events, kThreads * kPerThread);
  EXPECT_EQ(counts->pending, kThreads * kPerThread);

  // Each body landed once, under the seq its caller was given.
  auto events = store_->events_after("load", 0, kThreads * kPerThread);
  ASSERT_TRUE(events);
  std::set<std::string> bodies;
  for (const auto& e : *events)
    bodies.insert(e.body);
  EXPECT_EQ(bodies.size(), std::size_t{kThreads * kPerThread});
}

TEST_P(StoreContract, FullQueueAnswersBusyAndLosesNothingAccepted) {
  store_.reset();
  store_ = reopen(StoreOptions{.max_pending_writes = 1});
  ASSERT_NE(store_, nullptr);

  constexpr int kThreads = 16;
  constexpr int kPerThread = 50;
  std::mutex mutex;
  std::vector<std::int64_t> accepted;
  std::vector<std::string> other_errors;
  int busy = 0;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kPerThread; ++i) {
          auto appended = store_->append(event("burst", i, "x", {"d"}));
          std::lock_guard lock(mutex);
          if (appended) {
            accepted.push_back(appended->seq);
          } else if (appended.error().starts_with(kBusy)) {
            ++busy;
          } else {
            other_errors.push_back(appended.error());
          }
        }
      });
    }
  }
  // Whether a call was busy depends on scheduling; what must hold does not: the only refusal is
  // busy, and every accepted append is stored exactly once.
  ASSERT_TRUE(other_errors.empty()) << other_errors.front();
  EXPECT_EQ(accepted.size() + busy, std::size_t{kThreads * kPerThread});
  ::testing::Test::RecordProperty("busy_answers", busy);
  const std::set<std::int64_t> distinct(accepted.begin(), accepted.end());
  EXPECT_EQ(distinct.size(), accepted.size());
  const auto stored = all_seqs(*store_, "burst");
  EXPECT_EQ(std::set<std::int64_t>(stored.begin(), stored.end()), distinct);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->events, static_cast<std::int64_t>(accepted.size()));
  EXPECT_EQ(counts->pending, static_cast<std::int64_t>(accepted.size()));
}

TEST_P(StoreContract, AsyncAppendsAreEachAnsweredOnceAndAllStored) {
  // One thread posts every append without waiting, as the gateway's network threads do; the
  // answers come back on the store's own threads.
  constexpr int kAppends = 1500;
  std::mutex mutex;
  std::condition_variable all_in;
  std::vector<int> answers(kAppends, 0);
  std::vector<std::int64_t> seqs;
  std::vector<std::string> errors;
  int answered = 0;
  for (int i = 0; i < kAppends; ++i) {
    store_->append_async(event("async", i, "body " + std::to_string(i), {"d"}),
                         [&, i](Result<Appended> r) {
                           const std::lock_guard lock(mutex);
                           ++answers[static_cast<std::size_t>(i)];
                           if (r) {
                             seqs.push_back(r->seq);
                           } else {
                             errors.push_back(r.error());
                           }
                           if (++answered == kAppends) all_in.notify_all();
                         });
  }
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(
        all_in.wait_for(lock, std::chrono::seconds(60), [&] { return answered == kAppends; }));
  }
  for (int n : answers)
    EXPECT_EQ(n, 1);
  ASSERT_TRUE(errors.empty()) << errors.front();
  const std::set<std::int64_t> distinct(seqs.begin(), seqs.end());
  EXPECT_EQ(distinct.size(), seqs.size());
  const auto stored = all_seqs(*store_, "async");
  EXPECT_EQ(std::set<std::int64_t>(stored.begin(), stored.end()), distinct);
}

TEST_P(StoreContract, AnAsyncAppendRefusedAsBusyIsAnsweredBeforeTheCallReturns) {
  store_.reset();
  store_ = reopen(StoreOptions{.max_pending_writes = 1});
  ASSERT_NE(store_, nullptr);
  constexpr int kAppends = 400;
  std::mutex mutex;
  std::condition_variable all_in;
  int answered = 0, busy = 0, accepted = 0, busy_late = 0;
  std::vector<char> returned(kAppends, 0);
  std::vector<std::string> other;
  for (int i = 0; i < kAppends; ++i) {
    const auto at = static_cast<std::size_t>(i);
    store_->append_async(event("tight", i, "x", {"d"}), [&, at](Result<Appended> r) {
      const std::lock_guard lock(mutex);
      if (r) {
        ++accepted;
      } else if (r.error().starts_with(kBusy)) {
        ++busy;
        // Only the calling thread answers busy, and only before append_async returns.
        if (returned[at] != 0) ++busy_late;
      } else {
        other.push_back(r.error());
      }
      if (++answered == kAppends) all_in.notify_all();
    });
    const std::lock_guard lock(mutex);
    returned[at] = 1;
  }
  std::unique_lock lock(mutex);
  ASSERT_TRUE(
      all_in.wait_for(lock, std::chrono::seconds(60), [&] { return answered == kAppends; }));
  ASSERT_TRUE(other.empty()) << other.front();
  EXPECT_EQ(accepted + busy, kAppends);
  EXPECT_EQ(busy_late, 0);
  EXPECT_GE(accepted, 1);
  lock.unlock();
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->events, accepted);
}

// Reads exactly size bytes unless the writer is gone; returns how many were read.
std::size_t read_fully(int fd, char* out, std::size_t size) {
  std::size_t got = 0;
  while (got < size) {
    const ssize_t n = ::read(fd, out + got, size - got);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  return got;
}

// The child appends forever and reports each seq only after append() returned it, as the
// gateway answers 2xx only after append() returned. It never returns.
[[noreturn]] void append_and_report(BackendInstance& instance, int report_fd) {
  auto opened = instance.open({});
  if (!opened) ::_exit(3);
  auto& store = **opened;
  for (int i = 0; i < 1'000'000; ++i) {
    auto appended = store.append(event("crash", i, std::string(512, 'c'), {"d"}));
    if (!appended) ::_exit(4);
    const std::int64_t seq = appended->seq;
    if (::write(report_fd, &seq, sizeof seq) != static_cast<ssize_t>(sizeof seq)) ::_exit(5);
  }
  ::_exit(0);
}

TEST_P(StoreContract, EverySeqReportedBeforeSigkillIsStored) {
  store_.reset();  // fork with no store threads running in this process
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0) << std::strerror(errno);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) {
    ::close(fds[0]);
    append_and_report(*instance_, fds[1]);
  }
  ::close(fds[1]);

  std::vector<std::int64_t> reported;
  std::int64_t seq = 0;
  while (reported.size() < 50 &&
         read_fully(fds[0], reinterpret_cast<char*>(&seq), sizeof seq) == sizeof seq) {
    reported.push_back(seq);
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  // Whatever was reported before the kill counts too.
  while (read_fully(fds[0], reinterpret_cast<char*>(&seq), sizeof seq) == sizeof seq) {
    reported.push_back(seq);
  }
  ::close(fds[0]);
  ASSERT_GE(reported.size(), 50u) << "child exited early, status " << status;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  store_ = reopen();
  ASSERT_NE(store_, nullptr);
  const auto stored = all_seqs(*store_, "crash");
  const std::set<std::int64_t> present(stored.begin(), stored.end());
  for (const auto s : reported)
    EXPECT_TRUE(present.contains(s)) << "lost seq " << s;
  // The store is usable after the crash: new appends go after everything recovered.
  EXPECT_GT(append_ok(event("crash", 0)), stored.empty() ? 0 : stored.back());
}

}  // namespace
}  // namespace hookgate::store::testing
