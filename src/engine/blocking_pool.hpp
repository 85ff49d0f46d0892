// BlockingPool: a small fixed set of threads for the attempts that must block (a command runs to
// its exit, a file line is synced), so they never hold an event-loop or dispatcher thread. Its
// size is [delivery] workers; the dispatcher bounds how many attempts are handed to it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hookgate::engine {

class BlockingPool {
 public:
  // A task is told whether it runs (true) or is dropped because the pool is stopping (false),
  // so a caller that promised a callback can still keep that promise.
  using Task = std::function<void(bool run)>;

  explicit BlockingPool(std::size_t threads);
  // Runs the tasks already started to their end; tasks not started are called with false.
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Queues task; never blocks. After the pool stopped, task is called with false at once.
  void post(Task task);
  std::size_t threads() const { return threads_.size(); }

 private:
  void run();

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;  // last: started once the members they use exist
};

}  // namespace hookgate::engine
