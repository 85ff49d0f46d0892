// EventSignal: wakes long-polling pull requests when an event is accepted, instead of having them
// poll the store.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace hookgate::api {

class EventSignal {
 public:
  void notify() {
    {
      const std::lock_guard lock(m_);
      ++generation_;
    }
    cv_.notify_all();
  }
  std::uint64_t generation() const {
    const std::lock_guard lock(m_);
    return generation_;
  }
  // Returns when an event was accepted after `seen`, or at the deadline.
  void wait(std::uint64_t seen, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(m_);
    cv_.wait_until(lock, deadline, [&] { return generation_ != seen; });
  }

 private:
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
};

}  // namespace hookgate::api
