// pg_nodes: how durable append capacity on one PostgreSQL grows with the number of Hookgate nodes
// (docs/scaling.md, "What grows with nodes"). Each node is a PostgresStore of its own (its own
// append writer connection, as a gateway process has), all in this process on one fresh schema;
// each keeps IN_FLIGHT appends of a 1 KiB event with one delivery in flight for SECONDS.
//
// A second mode, raw, takes the store out: CONNS connections each commit transactions of 64
// small inserts in a loop, with the parts of an append transaction that serialise across nodes
// switched on one by one: the append lock (pg_advisory_xact_lock held through COMMIT) and a
// NOTIFY (PostgreSQL serialises the commits of notifying transactions with a lock of its own).
//
// Usage: hookgate_pg_nodes URL store NODES SECONDS [IN_FLIGHT]
//        hookgate_pg_nodes URL raw CONNS SECONDS none|lock|notify|lock+notify
// Prints one line "mode=... n=... appends_per_s=..." (raw: rows_per_s and commits_per_s).
// Exit 1 on a store error. The schema hookgate_bench_nodes is dropped and made anew each run.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hookgate/store/store.hpp"
#include "store/postgres/pg_conn.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kSchema = "hookgate_bench_nodes";

std::string with_schema(const std::string& url) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         kSchema;
}

bool fresh_schema(const std::string& url) {
  auto admin = hookgate::store::postgres::Conn::open(url);
  if (!admin) {
    std::cerr << admin.error() << "\n";
    return false;
  }
  auto made = admin->run(std::string("DROP SCHEMA IF EXISTS ") + kSchema +
                         " CASCADE; CREATE SCHEMA " + kSchema);
  if (!made) std::cerr << made.error() << "\n";
  return static_cast<bool>(made);
}

// One node keeping in_flight appends going until deadline; counts the acknowledged ones.
void run_node(hookgate::store::Store& store, int in_flight, Clock::time_point deadline,
              std::atomic<std::int64_t>& done, std::atomic<bool>& failed) {
  std::mutex m;
  std::condition_variable cv;
  int outstanding = 0;
  const std::string body(1024, 'x');
  std::int64_t n = 0;
  while (Clock::now() < deadline && !failed) {
    {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return outstanding < in_flight; });
      ++outstanding;
    }
    hookgate::store::NewEvent e;
    e.source = "bench";
    e.event_type = "bench.event";
    e.received_ms = ++n;
    e.headers = "{}";
    e.body = body;
    e.destinations = {"endpoint:bench"};
    store.append_async(std::move(e), [&](hookgate::Result<hookgate::store::Appended> r) {
      if (r && Clock::now() <= deadline) done.fetch_add(1);
      if (!r) failed = true;
      {
        const std::lock_guard lock(m);
        --outstanding;
      }
      cv.notify_all();
    });
  }
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return outstanding == 0; });
}

int store_mode(const std::string& url, int nodes, int seconds, int in_flight) {
  std::vector<std::unique_ptr<hookgate::store::Store>> stores;
  for (int i = 0; i < nodes; ++i) {
    auto opened = hookgate::store::open_store(with_schema(url), {});
    if (!opened) {
      std::cerr << opened.error() << "\n";
      return 1;
    }
    stores.push_back(std::move(opened).value());
  }
  std::atomic<std::int64_t> done{0};
  std::atomic<bool> failed{false};
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(seconds);
  {
    std::vector<std::jthread> threads;
    threads.reserve(stores.size());
    for (auto& store : stores)
      threads.emplace_back(
          [&, s = store.get()] { run_node(*s, in_flight, deadline, done, failed); });
  }
  if (failed) {
    std::cerr << "an append failed\n";
    return 1;
  }
  std::cout << "mode=store nodes=" << nodes << " in_flight_per_node=" << in_flight
            << " appends_per_s=" << done.load() / seconds << "\n";
  return 0;
}

int raw_mode(const std::string& url, int conns, int seconds, const std::string& parts) {
  using hookgate::store::postgres::Conn;
  const bool lock = parts.find("lock") != std::string::npos;
  const bool notify = parts.find("notify") != std::string::npos;
  {
    auto setup = Conn::open(with_schema(url));
    if (!setup || !setup->run("CREATE TABLE rows (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY "
                              "KEY, body bytea NOT NULL)")) {
      std::cerr << "cannot create the table\n";
      return 1;
    }
  }
  std::string txn = "BEGIN;";
  if (lock) txn += "SELECT pg_advisory_xact_lock(7);";
  txn +=
      "INSERT INTO rows (body) SELECT convert_to(repeat('x', 1024), 'UTF8') FROM "
      "generate_series(1, 64);";
  if (notify) txn += "SELECT pg_notify('hookgate_bench', '1');";
  txn += "COMMIT";
  std::atomic<std::int64_t> commits{0};
  std::atomic<bool> failed{false};
  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  {
    std::vector<std::jthread> threads;
    threads.reserve(static_cast<std::size_t>(conns));
    for (int i = 0; i < conns; ++i) {
      threads.emplace_back([&] {
        auto conn = Conn::open(with_schema(url));
        if (!conn) {
          failed = true;
          return;
        }
        while (Clock::now() < deadline && !failed) {
          if (!conn->run(txn)) failed = true;
          if (Clock::now() <= deadline) commits.fetch_add(1);
        }
      });
    }
  }
  if (failed) {
    std::cerr << "a transaction failed\n";
    return 1;
  }
  std::cout << "mode=raw parts=" << parts << " conns=" << conns
            << " commits_per_s=" << commits.load() / seconds
            << " rows_per_s=" << 64 * commits.load() / seconds << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: hookgate_pg_nodes URL store NODES SECONDS [IN_FLIGHT]\n"
                 "       hookgate_pg_nodes URL raw CONNS SECONDS none|lock|notify|lock+notify\n";
    return 2;
  }
  const std::string url = argv[1];
  const std::string mode = argv[2];
  const int n = std::atoi(argv[3]);
  const int seconds = std::atoi(argv[4]);
  if (n < 1 || n > 64 || seconds < 1 || seconds > 600) {
    std::cerr << "NODES/CONNS in 1..64, SECONDS in 1..600\n";
    return 2;
  }
  if (!fresh_schema(url)) return 1;
  int rc = 2;
  if (mode == "store") {
    const int in_flight = argc > 5 ? std::atoi(argv[5]) : 256;
    rc = store_mode(url, n, seconds, in_flight < 1 ? 1 : in_flight);
  } else if (mode == "raw") {
    rc = raw_mode(url, n, seconds, argc > 5 ? argv[5] : "none");
  } else {
    std::cerr << "mode is store or raw\n";
  }
  auto admin = hookgate::store::postgres::Conn::open(url);
  if (admin) (void)admin->run(std::string("DROP SCHEMA IF EXISTS ") + kSchema + " CASCADE");
  return rc;
}
