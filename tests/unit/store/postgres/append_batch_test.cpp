// The PostgreSQL append writer's batches: a batch is written with a few set-based statements in
// one pipeline, so what appending one event after the other gave must still hold inside one
// batch (a key twice, a window expiring within the batch), one bad append must fail alone, a
// connection cut while a batch waits must cost nothing, and a batch too large for one statement
// must still commit whole. A batch is made by holding the events table: the writer's
// transaction waits on it and every append made meanwhile queues up behind it.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "postgres_backend.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::testing {
namespace {

using postgres::Conn;
using postgres::Params;

// Each append's outcome, by the index it was made with; every callback must run exactly once.
class Outcomes {
 public:
  explicit Outcomes(std::size_t count) : outcomes_(count), calls_(count, 0) {}

  AppendDone slot(std::size_t i) {
    return [this, i](Result<Appended> outcome) {
      const std::lock_guard lock(mutex_);
      if (++calls_[i] == 1) outcomes_[i].emplace(std::move(outcome));
      ++answered_;
      changed_.notify_all();
    };
  }

  // All outcomes once every callback ran (a test failure and nothing after 60 s).
  std::vector<Result<Appended>> wait() {
    std::unique_lock lock(mutex_);
    const bool all = changed_.wait_for(lock, std::chrono::seconds(60),
                                       [&] { return answered_ >= outcomes_.size(); });
    EXPECT_TRUE(all) << answered_ << " of " << outcomes_.size() << " answered";
    std::vector<Result<Appended>> out;
    for (std::size_t i = 0; i < outcomes_.size(); ++i) {
      EXPECT_EQ(calls_[i], 1) << "append " << i;
      out.push_back(outcomes_[i] ? *outcomes_[i] : Result<Appended>(Error{"no answer"}));
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::optional<Result<Appended>>> outcomes_;
  std::vector<int> calls_;
  std::size_t answered_ = 0;
};

NewEvent keyed(const std::string& source, std::int64_t received_ms, const std::string& key,
               std::int64_t until_ms, const std::string& body = "{}") {
  NewEvent e = event(source, received_ms, body, {"d1", "d2"});
  e.dedupe_key = key;
  e.dedupe_until_ms = until_ms;
  return e;
}

class PostgresAppendBatches : public PostgresSchemaTest {
 protected:
  void SetUp() override {
    PostgresSchemaTest::SetUp();
    if (IsSkipped()) return;
    store_ = node();
    ASSERT_NE(store_, nullptr);
  }

  std::int64_t scalar(Conn& conn, std::string_view sql, const Params& params = {}) {
    auto rows = conn.exec(sql, params);
    EXPECT_TRUE(rows) << rows.error();
    return rows && rows->size() == 1 && !rows->is_null(0, 0) ? rows->int64(0, 0) : -1;
  }

  // Holds the events table and makes the writer wait on it with an append of its own: appends
  // made from now until release() are written together, as one batch.
  void hold_writer() {
    blocker_.emplace(admin());
    ASSERT_TRUE(blocker_->run("BEGIN"));
    ASSERT_TRUE(blocker_->run("LOCK TABLE events IN EXCLUSIVE MODE"));
    store_->append_async(event("opener", 1, "{}", {"d"}), opener_.slot(0));
    ASSERT_TRUE(writer_waits());
  }

  void release() {
    ASSERT_TRUE(blocker_->run("ROLLBACK"));
    auto opened = opener_.wait();
    EXPECT_TRUE(opened[0]) << opened[0].error();
  }

  // Appends batch as one batch of the writer and returns each append's outcome, in order.
  std::vector<Result<Appended>> append_as_one_batch(const std::vector<NewEvent>& batch) {
    Outcomes outcomes(batch.size());
    hold_writer();
    for (std::size_t i = 0; i < batch.size(); ++i)
      store_->append_async(batch[i], outcomes.slot(i));
    release();
    return outcomes.wait();
  }

  // The writer's session waits on a lock (the store's sessions carry the schema's name).
  bool writer_waits() {
    auto watcher = admin();
    for (int i = 0; i < 3000; ++i) {
      if (scalar(watcher,
                 "SELECT count(*)::int8 FROM pg_stat_activity "
                 "WHERE application_name = $1 AND wait_event_type = 'Lock'",
                 Params().text(instance_->schema())) == 1) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "the writer never waited on the held table";
    return false;
  }

  // How many transactions wrote the events of source: one when they were one batch.
  std::int64_t transactions_of(Conn& conn, const std::string& source) {
    return scalar(conn, "SELECT count(DISTINCT xmin::text)::int8 FROM events WHERE source = $1",
                  Params().bytes(source));
  }

  std::unique_ptr<Store> store_;
  std::optional<Conn> blocker_;
  Outcomes opener_{1};
};

TEST_F(PostgresAppendBatches, AKeyTwiceInOneBatchIsStoredOnceAsIfAppendedInTurn) {
  std::vector<NewEvent> batch = {
      keyed("s", 10, "k", 1000, "first"),   // 0: claims k
      keyed("s", 11, "k", 1000, "second"),  // 1: duplicate of 0
      keyed("s", 12, "", 0, "keyless a"),   // 2: never a duplicate
      keyed("s", 13, "", 0, "keyless b"),   // 3
      keyed("s", 14, "x", 50, "x first"),   // 4: claims x until 50
      keyed("s", 60, "x", 500, "x again"),  // 5: x expired at 60: takes it over
      keyed("s", 70, "x", 900, "x third"),  // 6: duplicate of 5
      keyed("s", 15, "k", 1000, "third"),   // 7: duplicate of 0
      keyed("t", 16, "k", 1000, "other"),   // 8: same key, another source: its own
  };
  const auto got = append_as_one_batch(batch);
  for (const auto& outcome : got)
    ASSERT_TRUE(outcome) << outcome.error();

  const std::set<std::size_t> duplicates = {1, 6, 7};
  const std::map<std::size_t, std::size_t> first_of = {{1, 0}, {6, 5}, {7, 0}};
  std::set<std::int64_t> stored;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i]->duplicate, duplicates.contains(i)) << "append " << i;
    if (!got[i]->duplicate) stored.insert(got[i]->seq);
  }
  for (const auto& [dup, first] : first_of)
    EXPECT_EQ(got[dup]->seq, got[first]->seq) << "append " << dup;
  EXPECT_EQ(stored.size(), got.size() - duplicates.size());

  for (const std::size_t i : {0, 5, 8}) {
    auto seen = store_->event(got[i]->seq);
    ASSERT_TRUE(seen && seen->has_value());
    EXPECT_EQ((*seen)->body, batch[i].body);
  }
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->events, 1 + static_cast<std::int64_t>(stored.size()));
  EXPECT_EQ(counts->pending, 1 + 2 * static_cast<std::int64_t>(stored.size()));
  auto conn = admin();
  EXPECT_EQ(transactions_of(conn, "s"), 1) << "the appends were not one batch";

  // The windows the batch left behind hold for the next appends too.
  auto again = store_->append(keyed("s", 100, "k", 2000));
  ASSERT_TRUE(again) << again.error();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->seq, got[0]->seq);
  auto x = store_->append(keyed("s", 100, "x", 2000));
  ASSERT_TRUE(x) << x.error();
  EXPECT_TRUE(x->duplicate);
  EXPECT_EQ(x->seq, got[5]->seq);
}

TEST_F(PostgresAppendBatches, ABadAppendFailsAloneAndTheRestOfItsBatchIsStored) {
  auto conn = admin();
  ASSERT_TRUE(
      conn.run("CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
               "IF NEW.body = 'poison'::bytea THEN RAISE EXCEPTION 'poisoned event'; END IF; "
               "RETURN NEW; END $$; "
               "CREATE TRIGGER refuse_poison BEFORE INSERT ON events "
               "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"));
  std::vector<NewEvent> batch = {
      keyed("s", 10, "k1", 1000, "good 1"),  // 0
      keyed("s", 11, "kp", 1000, "poison"),  // 1: fails
      keyed("s", 12, "", 0, "good 2"),       // 2
      keyed("s", 13, "k1", 1000, "good 3"),  // 3: duplicate of 0
  };
  const auto got = append_as_one_batch(batch);
  ASSERT_FALSE(got[1]);
  EXPECT_NE(got[1].error().find("poisoned event"), std::string::npos) << got[1].error();
  for (const std::size_t i : {0, 2, 3})
    ASSERT_TRUE(got[i]) << "append " << i << ": " << got[i].error();
  EXPECT_FALSE(got[0]->duplicate);
  EXPECT_FALSE(got[2]->duplicate);
  EXPECT_TRUE(got[3]->duplicate);
  EXPECT_EQ(got[3]->seq, got[0]->seq);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->events, 3);  // the opener, good 1 and good 2

  // The failed append claimed nothing: its key is free for the next event.
  auto retried = store_->append(keyed("s", 20, "kp", 1000, "cured"));
  ASSERT_TRUE(retried) << retried.error();
  EXPECT_FALSE(retried->duplicate);
}

TEST_F(PostgresAppendBatches, ManyConcurrentAsyncAppendsOnTwoNodesAreEachStoredOnce) {
  auto other = node();
  ASSERT_NE(other, nullptr);
  constexpr std::size_t kThreads = 4;
  constexpr std::size_t kPerThread = 600;
  constexpr std::size_t kKeys = 500;  // every key is appended several times, across nodes
  constexpr std::size_t kAppends = kThreads * kPerThread;
  Outcomes outcomes(kAppends);
  std::vector<std::string> keys(kAppends);
  {
    std::vector<std::jthread> threads;
    for (std::size_t t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        Store& store = t % 2 == 0 ? *store_ : *other;
        for (std::size_t i = 0; i < kPerThread; ++i) {
          const std::size_t n = t * kPerThread + i;
          // One in five has no key: each of those is stored.
          keys[n] = n % 5 == 0 ? "" : "key-" + std::to_string(n % kKeys);
          store.append_async(keyed("c", static_cast<std::int64_t>(n), keys[n], 1'000'000,
                                   "body " + std::to_string(n)),
                             outcomes.slot(n));
        }
      });
    }
  }
  const auto got = outcomes.wait();
  std::map<std::string, std::set<std::int64_t>> seqs_of_key;
  std::map<std::string, int> firsts_of_key;
  std::set<std::int64_t> stored;
  std::size_t keyless = 0;
  for (std::size_t n = 0; n < kAppends; ++n) {
    ASSERT_TRUE(got[n]) << got[n].error();
    if (!got[n]->duplicate) {
      EXPECT_TRUE(stored.insert(got[n]->seq).second) << "seq " << got[n]->seq << " twice";
    }
    if (keys[n].empty()) {
      EXPECT_FALSE(got[n]->duplicate);
      ++keyless;
      continue;
    }
    seqs_of_key[keys[n]].insert(got[n]->seq);
    if (!got[n]->duplicate) ++firsts_of_key[keys[n]];
  }
  for (const auto& [key, seqs] : seqs_of_key) {
    EXPECT_EQ(seqs.size(), 1u) << key << ": every duplicate names the first event";
    EXPECT_EQ(firsts_of_key[key], 1) << key;
  }
  EXPECT_EQ(stored.size(), keyless + seqs_of_key.size());
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->events, static_cast<std::int64_t>(stored.size()));
  EXPECT_EQ(counts->pending, 2 * static_cast<std::int64_t>(stored.size()));
  auto events = store_->events_after("c", 0, kAppends);
  ASSERT_TRUE(events) << events.error();
  std::set<std::int64_t> listed;
  for (const auto& e : *events)
    listed.insert(e.seq);
  EXPECT_EQ(listed, stored);
}

TEST_F(PostgresAppendBatches, ABatchWhoseConnectionIsCutBeforeCommitIsWrittenAgain) {
  // A key another transaction is inserting: the batch's claim waits for it, mid-pipeline.
  auto key_holder = admin();
  ASSERT_TRUE(key_holder.run("BEGIN"));
  ASSERT_TRUE(key_holder.exec("INSERT INTO dedupe (source, key, until_ms) VALUES ($1, $2, 0)",
                              Params().bytes("cut").bytes("k0")));
  constexpr std::size_t kAppends = 20;
  Outcomes outcomes(kAppends);
  hold_writer();
  for (std::size_t i = 0; i < kAppends; ++i) {
    store_->append_async(
        keyed("cut", static_cast<std::int64_t>(i), "k" + std::to_string(i % 7), 1'000'000),
        outcomes.slot(i));
  }
  release();
  ASSERT_TRUE(writer_waits());
  // What a server restart does to the writer's session, its transaction open.
  auto conn = admin();
  EXPECT_EQ(scalar(conn,
                   "SELECT count(pg_terminate_backend(pid))::int8 FROM pg_stat_activity "
                   "WHERE application_name = $1 AND wait_event_type = 'Lock'",
                   Params().text(instance_->schema())),
            1);
  ASSERT_TRUE(key_holder.run("ROLLBACK"));
  const auto got = outcomes.wait();
  std::set<std::int64_t> stored;
  for (const auto& outcome : got) {
    ASSERT_TRUE(outcome) << outcome.error();
    if (!outcome->duplicate) stored.insert(outcome->seq);
  }
  EXPECT_EQ(stored.size(), 7u);
  auto events = store_->events_after("cut", 0, 100);
  ASSERT_TRUE(events) << events.error();
  EXPECT_EQ(events->size(), 7u);
  EXPECT_EQ(transactions_of(conn, "cut"), 1);
}

TEST_F(PostgresAppendBatches, ABatchTooLargeForOneStatementIsStillOneTransaction) {
  constexpr std::size_t kAppends = 24;  // 24 MiB of bodies: more than one statement takes
  std::vector<NewEvent> batch;
  for (std::size_t i = 0; i < kAppends; ++i) {
    // The last one repeats the first one's key, in another part of the batch.
    const std::string key = i == kAppends - 1 ? "k0" : "k" + std::to_string(i);
    batch.push_back(keyed("big", static_cast<std::int64_t>(i), key, 1'000'000,
                          std::string(std::size_t{1} << 20, static_cast<char>('a' + i % 26))));
  }
  Outcomes outcomes(kAppends);
  hold_writer();
  for (std::size_t i = 0; i < kAppends; ++i)
    store_->append_async(batch[i], outcomes.slot(i));
  release();
  const auto got = outcomes.wait();
  for (std::size_t i = 0; i < kAppends; ++i) {
    ASSERT_TRUE(got[i]) << got[i].error();
    EXPECT_EQ(got[i]->duplicate, i == kAppends - 1) << "append " << i;
  }
  EXPECT_EQ(got[kAppends - 1]->seq, got[0]->seq);
  for (std::size_t i = 0; i + 1 < kAppends; ++i) {
    auto seen = store_->event(got[i]->seq);
    ASSERT_TRUE(seen && seen->has_value());
    EXPECT_EQ((*seen)->body, batch[i].body) << "append " << i;
  }
  auto conn = admin();
  EXPECT_EQ(transactions_of(conn, "big"), 1);
}

}  // namespace
}  // namespace hookgate::store::testing
