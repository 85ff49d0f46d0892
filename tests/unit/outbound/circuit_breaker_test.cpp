// The circuit breaker's states, driven by an explicit clock.
#include "outbound/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace hookgate::outbound {
namespace {

using std::chrono::milliseconds;

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresAndClosesOnASuccessfulTrial) {
  CircuitBreaker b(3, milliseconds(1000), milliseconds(8000));
  EXPECT_FALSE(b.hold_until(0));
  b.record(false, 0);
  b.record(false, 0);
  b.record(true, 0);  // a success resets the count
  b.record(false, 10);
  b.record(false, 10);
  EXPECT_FALSE(b.open());
  b.record(false, 10);
  EXPECT_TRUE(b.open());
  EXPECT_EQ(b.hold_until(500), 1010);
  // Half-open at 1010: one trial goes, the others wait.
  EXPECT_FALSE(b.hold_until(1010));
  EXPECT_TRUE(b.hold_until(1011));
  b.record(true, 1020);
  EXPECT_FALSE(b.open());
  EXPECT_FALSE(b.hold_until(1021));
}

TEST(CircuitBreaker, AFailedTrialDoublesTheCooldownUpToTheMaximum) {
  CircuitBreaker b(1, milliseconds(1000), milliseconds(3000));
  b.record(false, 0);
  EXPECT_EQ(b.hold_until(0), 1000);
  EXPECT_FALSE(b.hold_until(1000));  // trial
  b.record(false, 1000);
  EXPECT_EQ(b.hold_until(1000), 3000);  // 2 s
  EXPECT_FALSE(b.hold_until(3000));
  b.record(false, 3000);
  EXPECT_EQ(b.hold_until(3000), 6000);  // capped at 3 s
}

}  // namespace
}  // namespace hookgate::outbound
