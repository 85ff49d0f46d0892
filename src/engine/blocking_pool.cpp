// The blocking pool's threads: take a task, run it, swallow what it throws (a task must not end
// its thread, or the attempts queued behind it would never be answered).
#include "engine/blocking_pool.hpp"

#include <algorithm>

namespace hookgate::engine {

BlockingPool::BlockingPool(std::size_t threads) {
  threads = std::max<std::size_t>(1, threads);
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this] { run(); });
}

BlockingPool::~BlockingPool() {
  std::deque<Task> dropped;
  {
    const std::lock_guard lock(m_);
    stopping_ = true;
    dropped.swap(tasks_);
  }
  cv_.notify_all();
  for (auto& t : threads_)
    t.join();
  for (auto& task : dropped) {
    try {
      task(false);
    } catch (...) {
      // A dropped task only reports that it was dropped; nothing else depends on it.
    }
  }
}

void BlockingPool::post(Task task) {
  {
    const std::lock_guard lock(m_);
    if (!stopping_) {
      tasks_.push_back(std::move(task));
      cv_.notify_one();
      return;
    }
  }
  try {
    task(false);
  } catch (...) {
    // As in the destructor: the pool is stopping and the task is told so.
  }
}

void BlockingPool::run() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(m_);
      cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (stopping_) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    try {
      task(true);
    } catch (...) {
      // See the file comment.
    }
  }
}

}  // namespace hookgate::engine
