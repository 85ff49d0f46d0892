// PostgreSQL shows seqs in the order they were drawn: while another node's append holds seq N
// uncommitted, no later seq can be committed and seen, so a reader paging by seq never passes N
// and then skips it for ever when it commits.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "postgres_backend.hpp"
#include "store/postgres/append_writer.hpp"

namespace hookgate::store::testing {
namespace {

using namespace std::chrono_literals;

using PostgresVisibility = PostgresSchemaTest;

TEST_F(PostgresVisibility, ALaterSeqIsNeverVisibleBeforeAnEarlierOneCommits) {
  auto store = node();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->append(event("github", 1, "before")));

  // Another node's append, in the middle of its transaction: it took the append lock as every
  // append does, drew seq N and inserted its event, and has not committed yet.
  auto other = admin();
  ASSERT_TRUE(other.run("BEGIN"));
  ASSERT_TRUE(other.exec("SELECT pg_advisory_xact_lock($1)",
                         postgres::Params().int64(postgres::kAppendLock)));
  auto drawn = other.exec(
      "INSERT INTO events (source, event_type, received_ms, headers, body) "
      "VALUES ('github'::bytea, ''::bytea, 2, '{}'::bytea, 'other node'::bytea) RETURNING seq");
  ASSERT_TRUE(drawn) << drawn.error();
  const std::int64_t n = drawn->int64(0, 0);

  std::mutex m;
  std::condition_variable cv;
  std::optional<Result<Appended>> outcome;
  store->append_async(event("github", 3, "this node"), [&](Result<Appended> r) {
    const std::lock_guard lock(m);
    outcome.emplace(std::move(r));
    cv.notify_all();
  });
  // Whatever this node's append does meanwhile, a reader must not see a seq above N yet. (Without
  // the lock the append commits N+1 at once, and this reader would move its cursor past N.)
  {
    std::unique_lock lock(m);
    cv.wait_for(lock, 500ms, [&] { return outcome.has_value(); });
    EXPECT_FALSE(outcome.has_value()) << "an append committed while seq " << n << " was open";
  }
  auto seen = store->events_after("github", 0, 100);
  ASSERT_TRUE(seen) << seen.error();
  for (const auto& e : *seen)
    EXPECT_LT(e.seq, n) << "seq " << e.seq << " visible while seq " << n << " is uncommitted";

  ASSERT_TRUE(other.run("COMMIT"));
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return outcome.has_value(); }));
    ASSERT_TRUE(*outcome) << outcome->error();
    EXPECT_GT((*outcome)->seq, n);
  }
  seen = store->events_after("github", 0, 100);
  ASSERT_TRUE(seen) << seen.error();
  ASSERT_EQ(seen->size(), 3U);
  EXPECT_EQ((*seen)[1].seq, n);
  EXPECT_EQ((*seen)[2].body, "this node");
}

}  // namespace
}  // namespace hookgate::store::testing
