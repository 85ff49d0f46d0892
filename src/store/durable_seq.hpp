// DurableSeq: the highest event seq a backend has made durable, which caps what readers are
// shown, and the one listener told when it advances (a parked long poll can wake on it).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <utility>

#include "hookgate/store/store.hpp"

namespace hookgate::store {

class DurableSeq {
 public:
  [[nodiscard]] std::int64_t get() const { return seq_.load(std::memory_order_acquire); }

  // Raises the durable seq to seq (never lowers it) and tells the listener when it moved.
  // Never throws: it runs on the store's sync thread, before the append's answer.
  void advance(std::int64_t seq) noexcept {
    std::int64_t current = seq_.load(std::memory_order_relaxed);
    while (current < seq && !seq_.compare_exchange_weak(current, seq, std::memory_order_acq_rel)) {
    }
    if (current >= seq) return;
    const std::lock_guard lock(listener_mutex_);
    if (!listener_) return;
    try {
      listener_(seq);
    } catch (...) {
      // A listener's failure is its own: the seq is durable whatever it does.
    }
  }

  void listen(DurableListener listener) {
    const std::lock_guard lock(listener_mutex_);
    listener_ = std::move(listener);
  }

 private:
  std::atomic<std::int64_t> seq_{0};
  std::mutex listener_mutex_;
  DurableListener listener_;  // guarded by listener_mutex_
};

}  // namespace hookgate::store
