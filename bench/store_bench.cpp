// Durable appends per second of 1 KiB events on a SQLite store in a temporary file, with 1, 8 and
// 32 appender threads. Each append returns only after its fsync, so with one thread the rate is
// the disk's sync rate; with more, group commit shares each sync between the waiting appenders
// and the rate should grow with the thread count instead of staying flat.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
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

}  // namespace
