// backlog_fill: puts a large backlog of queued deliveries into a Hookgate store, fast, for
// bench/load/backlog.sh. Each event is what the publisher appends for a message to an application
// with one endpoint (source "app:<app>", one delivery to "endpoint:<id>", due now), written through
// the Store interface from many threads so group commit packs thousands of appends per fsync.
// Publishing a million messages through the HTTP API would measure the API, not the backlog.
//
// Usage: hookgate_backlog_fill STORE_URL APP_ID ENDPOINT_ID COUNT [THREADS] [PAYLOAD_BYTES]
// Prints progress on stderr and "appended N in S s (R/s)" on stdout. Exit 1 on a store error.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "hookgate/store/store.hpp"

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: hookgate_backlog_fill STORE_URL APP_ID ENDPOINT_ID COUNT [THREADS] "
                 "[PAYLOAD_BYTES]\n";
    return 2;
  }
  const std::string url = argv[1];
  const std::string app = argv[2];
  const std::string endpoint = argv[3];
  const std::int64_t count = std::atoll(argv[4]);
  const int threads = argc > 5 ? std::atoi(argv[5]) : 128;
  const std::size_t payload_bytes = argc > 6 ? std::strtoul(argv[6], nullptr, 10) : 256;
  if (count <= 0 || threads <= 0) {
    std::cerr << "COUNT and THREADS must be positive\n";
    return 2;
  }

  hookgate::store::StoreOptions options;
  // Every thread has at most one append queued: the queue never fills, nothing is refused busy.
  options.max_pending_writes = static_cast<std::size_t>(threads) * 2;
  auto opened = hookgate::store::open_store(url, options);
  if (!opened) {
    std::cerr << "open " << url << ": " << opened.error() << "\n";
    return 1;
  }
  auto& store = **opened;

  hookgate::store::NewEvent prototype;
  prototype.source = "app:" + app;
  prototype.event_type = "order.created";
  prototype.headers = R"({"content-type":"application/json"})";
  prototype.body = R"({"order":{"id":"ord_123","note":")";
  while (prototype.body.size() + 3 < payload_bytes)
    prototype.body += 'x';
  prototype.body += "\"}}";
  prototype.destinations = {"endpoint:" + endpoint};

  std::atomic<std::int64_t> next{0};
  std::atomic<std::int64_t> done{0};
  std::atomic<bool> failed{false};
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  workers.reserve(static_cast<std::size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (!failed && next.fetch_add(1) < count) {
        auto event = prototype;
        event.received_ms = now_ms();
        auto appended = store.append(std::move(event));
        if (!appended) {
          std::cerr << "append: " << appended.error() << "\n";
          failed = true;
          return;
        }
        ++done;
      }
    });
  }
  std::thread progress([&] {
    // Wakes often so it ends with the fill, but reports only every five seconds.
    for (int tick = 1; !failed && done < count; ++tick) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (tick % 50 == 0) std::cerr << "backlog_fill: " << done.load() << " / " << count << "\n";
    }
  });
  for (auto& w : workers)
    w.join();
  progress.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (failed) return 1;
  std::printf("appended %lld in %.1f s (%.0f/s)\n", static_cast<long long>(done.load()), seconds,
              static_cast<double>(done.load()) / seconds);
  return 0;
}
