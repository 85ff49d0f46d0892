// The housekeeping thread and its rounds.
#include "hookgate/engine/housekeeper.hpp"

namespace hookgate::engine {

Housekeeper::Housekeeper(store::Store& store, Now now, HousekeeperOptions options, Report report)
    : store_(store), now_(std::move(now)), options_(options), report_(std::move(report)) {
  if (options_.batch == 0) options_.batch = 1;
  if (options_.retention_batch == 0) options_.retention_batch = 1;
}

Housekeeper::~Housekeeper() {
  stop();
}

void Housekeeper::start() {
  if (thread_.joinable()) return;
  {
    const std::lock_guard lock(m_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void Housekeeper::stop() {
  {
    const std::lock_guard lock(m_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Housekeeper::stopping() {
  const std::lock_guard lock(m_);
  return stopping_;
}

Result<std::int64_t> Housekeeper::run_once() {
  auto windows = prune_windows();
  if (!windows) return windows;
  auto events = prune_events();
  if (!events) return events;
  return *windows + *events;
}

Result<std::int64_t> Housekeeper::prune_windows() {
  std::int64_t total = 0;
  for (;;) {
    auto pruned = store_.prune_dedupe(now_(), options_.batch);
    if (!pruned) return Error{pruned.error()};
    total += *pruned;
    if (*pruned < static_cast<std::int64_t>(options_.batch)) return total;
    if (stopping()) return total;  // the rest waits for the next start
  }
}

Result<std::int64_t> Housekeeper::prune_events() {
  if (options_.retention.count() <= 0) return 0;
  const std::int64_t now = now_();
  const std::int64_t before = now - options_.retention.count();
  // Each round walks the log from its start: what a round keeps (an event still pending) is
  // looked at again by the next, and a restart loses nothing.
  std::int64_t total = 0;
  std::int64_t after = 0;
  for (;;) {
    auto pruned = store_.prune_events(before, now, after, options_.retention_batch);
    if (!pruned) return Error{pruned.error()};
    total += pruned->removed;
    if (!pruned->more || stopping()) return total;
    after = pruned->next_after;
  }
}

void Housekeeper::loop() {
  for (;;) {
    std::int64_t pruned = 0;
    std::string error;
    try {
      auto round = run_once();
      if (round) {
        pruned = *round;
      } else {
        error = round.error();
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
    if ((pruned > 0 || !error.empty()) && report_) {
      try {
        report_(pruned, error);
      } catch (...) {
        // A report that fails must not end housekeeping.
      }
    }
    std::unique_lock lock(m_);
    if (wake_.wait_for(lock, options_.interval, [&] { return stopping_; })) return;
  }
}

}  // namespace hookgate::engine
