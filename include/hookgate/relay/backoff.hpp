// Backoff: the growing, capped, jittered waits between reconnections to a gateway and between
// attempts towards the local server, so neither is hammered and many clients do not retry in
// step. Pure: the caller sleeps.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>

namespace hookgate::relay {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds cap)
      : initial_(initial), cap_(std::max(cap, initial)), next_(initial) {}

  // The wait before the next try: the current step with +-20 % jitter; the step then doubles,
  // up to the cap.
  std::chrono::milliseconds next() {
    const auto base = next_;
    next_ = std::min(cap_, next_ * 2);
    std::uniform_real_distribution<double> jitter(0.8, 1.2);
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(
        static_cast<double>(base.count()) * jitter(rng_)));
  }
  // Back to the first step (after a success).
  void reset() { next_ = initial_; }
  // A new first step (a server's retry hint), still under the cap.
  void set_initial(std::chrono::milliseconds initial) {
    initial_ = std::min(initial, cap_);
    next_ = initial_;
  }

 private:
  std::chrono::milliseconds initial_;
  std::chrono::milliseconds cap_;
  std::chrono::milliseconds next_;
  std::minstd_rand rng_{std::random_device{}()};
};

}  // namespace hookgate::relay
