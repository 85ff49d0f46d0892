// Durable appends per second of 1 KiB events on a SQLite store in a temporary file, with 1, 8 and
// 32 appender threads. Each append returns only after its fsync, so with one thread the rate is
// the disk's sync rate; with more, group commit shares each sync between the waiting appenders
// and the rate should grow with the thread count instead of staying flat.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "hookgate/store/store.hpp"

namespace {

using namespace hookgate::store;

// Shared by the threads of one run: thread 0 sets it up before the timed loop and tears it down
// after it (the benchmark library holds the threads at a barrier around the loop).
std::unique_ptr<Store> g_store;
std::filesystem::path g_dir;

NewEvent event_1k() {
  NewEvent e;
  e.source = "github";
  e.event_type = "push";
  e.headers = R"({"content-type":"application/json","x-github-event":"push"})";
  e.body = R"({"ref":"refs/heads/main","data":")";
  while (e.body.size() < 1022)
    e.body += static_cast<char>('a' + e.body.size() % 26);
  e.body += "\"}";
  e.destinations = {"orders"};
  return e;
}

void BM_StoreAppend1KiB(benchmark::State& state) {
  if (state.thread_index() == 0) {
    std::string pattern = std::filesystem::temp_directory_path() / "hookgate-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      state.SkipWithError("mkdtemp failed");
    } else {
      g_dir = pattern;
      auto opened = open_store("sqlite://" + (g_dir / "bench.db").string());
      if (opened) {
        g_store = std::move(opened).value();
      } else {
        state.SkipWithError(opened.error().c_str());
      }
    }
  }
  const NewEvent prototype = event_1k();
  std::int64_t now_ms = 1'700'000'000'000;
  for (auto _ : state) {
    if (!g_store) break;
    NewEvent e = prototype;
    e.received_ms = ++now_ms;
    auto appended = g_store->append(std::move(e));
    if (!appended) {
      state.SkipWithError(appended.error().c_str());
      break;
    }
    benchmark::DoNotOptimize(appended->seq);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(prototype.body.size()));
  if (state.thread_index() == 0) {
    g_store.reset();
    std::error_code ignored;
    if (!g_dir.empty()) std::filesystem::remove_all(g_dir, ignored);
  }
}
BENCHMARK(BM_StoreAppend1KiB)->Threads(1)->Threads(8)->Threads(32)->UseRealTime();

// The gateway's own pattern: one thread keeps up to `window` appends in flight with
// append_async (as network threads do for the connections they serve), each with its own
// de-duplication key, and no destination. This is the ceiling of durable accepts per second the
// store alone allows on this machine, whatever the HTTP side costs.
void BM_StoreAppendAsync1KiB(benchmark::State& state) {
  std::string pattern = std::filesystem::temp_directory_path() / "hookgate-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  const std::filesystem::path dir = pattern;
  auto opened = open_store("sqlite://" + (dir / "bench.db").string());
  if (!opened) {
    state.SkipWithError(opened.error().c_str());
    return;
  }
  auto store = std::move(opened).value();
  const auto window = static_cast<std::int64_t>(state.range(0));
  NewEvent prototype = event_1k();
  prototype.destinations.clear();
  prototype.headers = R"({"X-GitHub-Event":"push","X-GitHub-Delivery":"d"})";
  std::mutex m;
  std::condition_variable cv;
  std::int64_t in_flight = 0;
  std::int64_t failed = 0;
  std::int64_t n = 0;
  for (auto _ : state) {
    {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return in_flight < window; });
      ++in_flight;
    }
    NewEvent e = prototype;
    e.received_ms = 1'700'000'000'000 + n;
    e.dedupe_key = "delivery-" + std::to_string(++n);
    e.dedupe_until_ms = e.received_ms + 86'400'000;
    store->append_async(std::move(e), [&](hookgate::Result<Appended> r) {
      const std::lock_guard lock(m);
      if (!r) ++failed;
      --in_flight;
      cv.notify_one();
    });
  }
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return in_flight == 0; });
  }
  if (failed > 0) state.SkipWithError("appends failed");
  state.SetItemsProcessed(state.iterations());
  store.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}
BENCHMARK(BM_StoreAppendAsync1KiB)->Arg(64)->Arg(256)->UseRealTime();

}  // namespace
