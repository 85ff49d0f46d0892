// PeriodicThread: rounds every interval on one thread, a last round at stop (see the header).
#include "engine/periodic_thread.hpp"

#include <exception>
#include <utility>

namespace hookgate::engine {

PeriodicThread::PeriodicThread(std::chrono::milliseconds interval, Round round)
    : interval_(interval), round_(std::move(round)) {}

PeriodicThread::~PeriodicThread() {
  stop();
}

void PeriodicThread::start() {
  thread_ = std::thread([this] { run(); });
}

void PeriodicThread::stop() {
  {
    const std::lock_guard lock(m_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PeriodicThread::run() {
  for (;;) {
    bool last = false;
    {
      std::unique_lock lock(m_);
      wake_.wait_for(lock, interval_, [this] { return stopping_; });
      last = stopping_;
    }
    try {
      round_(last);
    } catch (const std::exception&) {
      // Best effort, as every round is: the next one tries again.
    }
    if (last) return;
  }
}

}  // namespace hookgate::engine
