// The PostgreSQL backend: runs the store contract suite, plus what only a shared server has:
// several nodes on one database (migrating once, never claiming the same delivery, one
// de-duplication window, one rate limit), reconnecting after the server dropped the
// connections, busy answers while the writer is blocked, and passwords kept out of errors.
#include "store/postgres/postgres_store.hpp"

#include <atomic>
#include <condition_variable>
#include <latch>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "postgres_backend.hpp"
#include "store/postgres/migrations.hpp"
#include "store/postgres/pg_url.hpp"

namespace hookgate::store::testing {

INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract, ::testing::Values(postgres_backend()),
                         [](const auto& param_info) { return param_info.param.name; });

namespace {

using postgres::Conn;
using postgres::Params;

TEST(PostgresUrl, ErrorsNeverCarryThePassword) {
  const char* const urls[] = {
      "postgresql://hookgate:pw-s3cr3t@127.0.0.1:1/db",
      "postgres://hookgate:pw-s3cr3t@127.0.0.1:1/db?connect_timeout=2",
      "postgresql://hookgate@127.0.0.1:1/db?password=pw-s3cr3t",
      "postgresql://hookgate:pw-s3cr3t%zz@[::1/db",  // malformed: libpq quotes the URL back
      "postgresql://hookgate:pw-s3cr3t@127.0.0.1:notaport/db",
  };
  for (const char* url : urls) {
    auto store = open_store(url);
    ASSERT_FALSE(store) << url;
    EXPECT_EQ(store.error().find("pw-s3cr3t"), std::string::npos) << store.error();
    EXPECT_NE(store.error().find("postgres"), std::string::npos) << store.error();
  }
  auto refused = open_store("postgresql://hookgate:pw-s3cr3t@127.0.0.1:1/db");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("postgresql://hookgate:***@127.0.0.1:1/db"), std::string::npos)
      << refused.error();
  auto unsupported = open_store("postgre://hookgate:pw-s3cr3t@host/db");
  ASSERT_FALSE(unsupported);
  EXPECT_NE(unsupported.error().find("not supported"), std::string::npos);
  EXPECT_EQ(unsupported.error().find("pw-s3cr3t"), std::string::npos) << unsupported.error();
}

TEST(PostgresUrl, RedactsUserInfoAndPasswordParameters) {
  EXPECT_EQ(postgres::redact_url("postgres://u:p@h:5/d"), "postgres://u:***@h:5/d");
  EXPECT_EQ(postgres::redact_url("postgres://u@h/d?sslmode=require&password=p&x=1"),
            "postgres://u@h/d?sslmode=require&password=***&x=1");
  EXPECT_EQ(postgres::redact_url("postgres://h/d"), "postgres://h/d");
  EXPECT_EQ(postgres::redact_url("postgres://u:p%40ss@h/d"), "postgres://u:***@h/d");
  EXPECT_EQ(postgres::scrub_password("bad token \"p@ss\" and p%40ss", "postgres://u:p%40ss@h/d"),
            "bad token \"***\" and ***");
}

TEST(PostgresUrl, RefusesAZeroLengthWriteQueue) {
  auto store = open_store("postgresql://127.0.0.1:1/db", StoreOptions{.max_pending_writes = 0});
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().find("max_pending_writes"), std::string::npos) << store.error();
}

using PostgresNodes = PostgresSchemaTest;

TEST_F(PostgresNodes, NodesStartingTogetherMigrateOnce) {
  constexpr int kNodes = 4;
  std::vector<std::unique_ptr<Store>> nodes(kNodes);
  std::latch start(kNodes);
  {
    std::vector<std::jthread> threads;
    threads.reserve(static_cast<std::size_t>(kNodes));
    for (int i = 0; i < kNodes; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        nodes[static_cast<std::size_t>(i)] = node();
      });
    }
  }
  for (const auto& n : nodes)
    ASSERT_NE(n, nullptr);
  auto conn = admin();
  auto versions = conn.exec("SELECT version::int8, count(*) FROM schema_migrations GROUP BY 1");
  ASSERT_TRUE(versions) << versions.error();
  ASSERT_EQ(versions->size(), postgres::latest_schema_version());
  for (int r = 0; r < versions->size(); ++r)
    EXPECT_EQ(versions->int64(r, 1), 1);
  // Every node works on the one schema.
  auto seq = nodes[0]->append(event("s", 1, "b", {"d"}));
  ASSERT_TRUE(seq) << seq.error();
  auto seen = nodes[3]->event(seq->seq);
  ASSERT_TRUE(seen && seen->has_value());
}

TEST_F(PostgresNodes, ASchemaFromANewerBuildIsRefused) {
  ASSERT_NE(node(), nullptr);
  auto conn = admin();
  ASSERT_TRUE(conn.run("INSERT INTO schema_migrations (version) VALUES (999)"));
  auto refused = instance_->open({});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("newer"), std::string::npos) << refused.error();
}

TEST_F(PostgresNodes, TwoNodesNeverClaimTheSameDelivery) {
  auto a = node();
  auto b = node();
  ASSERT_TRUE(a && b);
  constexpr int kDeliveries = 300;
  for (int i = 0; i < kDeliveries / 3; ++i)
    ASSERT_TRUE(a->append(event("s", i, "b", {"x", "y", "z"})));

  std::mutex mutex;
  std::map<std::int64_t, int> claims;
  std::vector<std::string> errors;
  std::latch start(4);
  {
    std::vector<std::jthread> claimers;
    claimers.reserve(4);
    for (int t = 0; t < 4; ++t) {
      Store& store = t % 2 == 0 ? *a : *b;
      claimers.emplace_back([&, t] {
        start.arrive_and_wait();
        for (;;) {
          auto got = store.claim_due(1'000'000, 7, "node" + std::to_string(t), 600'000);
          std::lock_guard lock(mutex);
          if (!got) {
            errors.push_back(got.error());
            return;
          }
          if (got->empty()) return;
          for (const auto& d : *got)
            ++claims[d.id];
        }
      });
    }
  }
  ASSERT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(claims.size(), std::size_t{kDeliveries});
  for (const auto& [id, count] : claims)
    EXPECT_EQ(count, 1) << "delivery " << id << " claimed " << count << " times";
}

TEST_F(PostgresNodes, DeduplicationHoldsAcrossNodes) {
  auto a = node();
  auto b = node();
  ASSERT_TRUE(a && b);
  constexpr int kAppends = 8;
  std::mutex mutex;
  std::vector<Appended> results;
  std::latch start(kAppends);
  {
    std::vector<std::jthread> threads;
    threads.reserve(static_cast<std::size_t>(kAppends));
    for (int i = 0; i < kAppends; ++i) {
      threads.emplace_back([&, i] {
        NewEvent e = event("stripe", 1000 + i, "payload", {"orders"});
        e.dedupe_key = "evt_1";
        e.dedupe_until_ms = 100'000;
        start.arrive_and_wait();
        auto appended = (i % 2 == 0 ? *a : *b).append(std::move(e));
        EXPECT_TRUE(appended) << appended.error();
        std::lock_guard lock(mutex);
        if (appended) results.push_back(*appended);
      });
    }
  }
  ASSERT_EQ(results.size(), std::size_t{kAppends});
  int firsts = 0;
  std::set<std::int64_t> seqs;
  for (const auto& r : results) {
    firsts += r.duplicate ? 0 : 1;
    seqs.insert(r.seq);
  }
  EXPECT_EQ(firsts, 1);
  EXPECT_EQ(seqs.size(), 1u) << "every duplicate names the first event";
  auto counts = a->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->events, 1);
  EXPECT_EQ(counts->pending, 1);
}

TEST_F(PostgresNodes, RateSlotsAndRecordsAreSharedAcrossNodes) {
  auto a = node();
  auto b = node();
  ASSERT_TRUE(a && b);
  std::mutex mutex;
  std::multiset<std::int64_t> slots;
  std::atomic<int> created = 0;
  std::latch start(6);
  {
    std::vector<std::jthread> threads;
    threads.reserve(6);
    for (int t = 0; t < 6; ++t) {
      threads.emplace_back([&, t] {
        Store& store = t % 2 == 0 ? *a : *b;
        start.arrive_and_wait();
        auto won = store.put_record(Record{"endpoint", "ep", "app", std::to_string(t), 0}, 0);
        EXPECT_TRUE(won) << won.error();
        if (won && *won) ++created;
        for (int i = 0; i < 10; ++i) {
          auto slot = store.reserve_slot("ep", 50, 1, 0);
          EXPECT_TRUE(slot) << slot.error();
          std::lock_guard lock(mutex);
          if (slot) slots.insert(*slot);
        }
      });
    }
  }
  EXPECT_EQ(created.load(), 1);
  std::multiset<std::int64_t> expected;
  for (int i = 0; i < 60; ++i)
    expected.insert(std::int64_t{i} * 50);
  EXPECT_EQ(slots, expected);
}

TEST_F(PostgresNodes, ReconnectsAfterTheServerDroppedTheConnections) {
  auto store = node();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->append(event("s", 1, "before", {"d"})));
  ASSERT_TRUE(store->counts());
  ASSERT_TRUE(store->put_setting("k", "v"));

  // What a server restart does to every connection, the writer's and the pool's.
  auto conn = admin();
  auto cut = conn.exec(
      "SELECT count(pg_terminate_backend(pid))::int8 FROM pg_stat_activity "
      "WHERE application_name = $1",
      Params().text(instance_->schema()));
  ASSERT_TRUE(cut) << cut.error();
  EXPECT_GE(cut->int64(0, 0), 2);

  auto appended = store->append(event("s", 2, "after", {"d"}));
  ASSERT_TRUE(appended) << appended.error();
  auto counts = store->counts();
  ASSERT_TRUE(counts) << counts.error();
  EXPECT_EQ(counts->events, 2);
  auto claimed = store->claim_due(10, 10, "w", 1000);
  ASSERT_TRUE(claimed) << claimed.error();
  EXPECT_EQ(claimed->size(), 2u);
  auto setting = store->replace_setting("k", std::string("v"), "w");
  ASSERT_TRUE(setting) << setting.error();
  EXPECT_TRUE(*setting);
}

// While another transaction holds the events table the writer cannot insert, so one batch is
// in flight and max_pending_writes more are queued: the next append must be busy.
TEST_F(PostgresNodes, AppendIsBusyWhenTheQueueIsFullAndAcceptedOnesCommitLater) {
  auto store = node(StoreOptions{.max_pending_writes = 1});
  ASSERT_NE(store, nullptr);
  auto blocker = admin();
  ASSERT_TRUE(blocker.run("BEGIN"));
  ASSERT_TRUE(blocker.run("LOCK TABLE events IN EXCLUSIVE MODE"));

  std::mutex mutex;
  std::condition_variable changed;
  int busy = 0;
  std::vector<std::int64_t> accepted;
  std::vector<std::string> other_errors;
  constexpr int kCallers = 3;
  {
    std::vector<std::jthread> callers;
    callers.reserve(static_cast<std::size_t>(kCallers));
    for (int i = 0; i < kCallers; ++i) {
      callers.emplace_back([&, i] {
        auto appended = store->append(event("blocked", i, "x", {"d"}));
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
    ASSERT_TRUE(blocker.run("ROLLBACK"));
  }
  ASSERT_TRUE(other_errors.empty()) << other_errors.front();
  EXPECT_GE(busy, 1);
  EXPECT_EQ(accepted.size() + busy, std::size_t{kCallers});
  auto events = store->events_after("blocked", 0, 10);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), accepted.size());
}

TEST_F(PostgresNodes, BodiesAndEveryOtherStringAreStoredAsRawBytes) {
  auto store = node();
  ASSERT_NE(store, nullptr);
  // Bytes no text column would take: NUL and invalid UTF-8, outside the body too.
  const std::string odd("\xff\0\xc3(", 4);
  NewEvent e = event("s" + odd, 1, odd, {"d" + odd});
  e.event_type = "t" + odd;
  e.headers = "{\"h\":\"" + odd + "\"}";
  auto appended = store->append(e);
  ASSERT_TRUE(appended) << appended.error();
  auto claimed = store->claim_due(1, 1, "w" + odd, 100);
  ASSERT_TRUE(claimed) << claimed.error();
  ASSERT_EQ(claimed->size(), 1u);
  const Delivery& d = (*claimed)[0];
  EXPECT_EQ(d.destination, "d" + odd);
  EXPECT_EQ(d.event.source, "s" + odd);
  EXPECT_EQ(d.event.event_type, "t" + odd);
  EXPECT_EQ(d.event.headers, e.headers);
  EXPECT_EQ(d.event.body, odd);
  Finished f;
  f.attempt.delivery_id = d.id;
  f.attempt.error = "e" + odd;
  f.attempt.response = "r" + odd;
  ASSERT_TRUE(store->finish(f, "w" + odd));
  auto attempts = store->attempts(d.id);
  ASSERT_TRUE(attempts && attempts->size() == 1u);
  EXPECT_EQ((*attempts)[0].response, "r" + odd);
  EXPECT_EQ((*attempts)[0].error, "e" + odd);
  ASSERT_TRUE(store->put_setting("k" + odd, "v" + odd));
  EXPECT_EQ(store->setting("k" + odd)->value_or(""), "v" + odd);
}

}  // namespace
}  // namespace hookgate::store::testing
