// Housekeeper: the store's periodic cleanup, on a thread of its own. It forgets expired
// de-duplication windows in bounded batches, so the table holds the live windows only: a gateway
// that runs for months must not keep a row for every delivery id it ever saw. With a retention
// age it also deletes finished events older than that, with their deliveries and attempts (never
// one with a pending delivery or an open de-duplication window), in bounded batches too.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::engine {

struct HousekeeperOptions {
  std::chrono::milliseconds interval{60'000};  // between rounds
  std::size_t batch = 5000;                    // rows per store call: bounds each transaction
  std::chrono::milliseconds retention{0};      // finished events older than this go; 0: kept
  std::size_t retention_batch = 1000;          // events looked at per store call
};

class Housekeeper {
 public:
  using Now = std::function<std::int64_t()>;  // unix ms
  // After each round that removed something or failed: rows removed, and the error if any.
  using Report = std::function<void(std::int64_t pruned, const std::string& error)>;

  Housekeeper(store::Store& store, Now now, HousekeeperOptions options = {}, Report report = {});
  ~Housekeeper();  // stop()
  Housekeeper(const Housekeeper&) = delete;
  Housekeeper& operator=(const Housekeeper&) = delete;

  // Runs a round now, then one per interval, until stop().
  void start();
  void stop();

  // One round: batches until one comes back short, or the store fails (the next round tries
  // again). Returns the rows removed (de-duplication windows and events).
  Result<std::int64_t> run_once();

 private:
  void loop();
  Result<std::int64_t> prune_windows();
  Result<std::int64_t> prune_events();
  bool stopping();

  store::Store& store_;
  Now now_;
  HousekeeperOptions options_;
  Report report_;
  std::mutex m_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by m_
  std::thread thread_;
};

}  // namespace hookgate::engine
