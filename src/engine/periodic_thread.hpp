// PeriodicThread: the background thread of a component that works in rounds (the inspector and
// stats mirrors, the destination-pause refresh). It runs a round every interval until stopped,
// then one last round marked as such (a mirror's final flush; others return at once). A round
// must not throw: its exceptions are caught here, and the next round tries again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace hookgate::engine {

class PeriodicThread {
 public:
  using Round = std::function<void(bool last)>;

  PeriodicThread(std::chrono::milliseconds interval, Round round);
  ~PeriodicThread();  // stop()
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  void start();
  // Wakes the thread for its last round and waits for it. Idempotent.
  void stop();

 private:
  void run();

  std::chrono::milliseconds interval_;
  Round round_;
  std::mutex m_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hookgate::engine
