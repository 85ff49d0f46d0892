// WorkerPool: a fixed set of threads with a bounded queue, for the blocking parts of a request
// (store reads and writes of the API and pull queries, handshakes that do I/O) so network threads
// never block. Long polls do not wait here: they are parked without a thread (PullWaiters).
// try_post refuses work when the queue is full: the caller answers 503 instead of queueing
// without bound.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hookgate::api {

class WorkerPool {
 public:
  WorkerPool(std::size_t threads, std::size_t max_queued);
  ~WorkerPool();  // finishes queued work, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool try_post(std::function<void()> job);

 private:
  void run();
  std::size_t max_queued_;
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hookgate::api
