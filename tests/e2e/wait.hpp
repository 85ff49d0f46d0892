// Waiting helpers shared by the end-to-end tests: every wait polls a condition with a deadline
// generous enough for a busy two-core machine running sanitizer builds, never a bare sleep.
#pragma once

#include <chrono>
#include <thread>

namespace hookgate::e2e {

template <class Pred>
bool eventually(Pred pred, std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

// A loopback port that was free a moment ago, for a config or URL that must name an address
// before its server starts.
int free_port();

}  // namespace hookgate::e2e
