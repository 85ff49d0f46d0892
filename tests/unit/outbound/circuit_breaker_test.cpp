// The circuit breaker's states, driven by an explicit clock: opening, the half-open trial after
// the cool-down, and an operator's attempt as the trial while the circuit is open.
#include "outbound/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace hookgate::outbound {
namespace {

using std::chrono::milliseconds;

CircuitBreaker::Attempt automatic(std::int64_t delivery_id) {
  return {delivery_id, false};
}
CircuitBreaker::Attempt manual(std::int64_t delivery_id) {
  return {delivery_id, true};
}

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresAndClosesOnASuccessfulTrial) {
  CircuitBreaker b(3, milliseconds(1000), milliseconds(8000));
  EXPECT_FALSE(b.hold_until(0, automatic(1)));
  b.record(false, 0, 1);
  b.record(false, 0, 2);
  b.record(true, 0, 3);  // a success resets the count
  b.record(false, 10, 4);
  b.record(false, 10, 5);
  EXPECT_FALSE(b.open());
  b.record(false, 10, 6);
  EXPECT_TRUE(b.open());
  EXPECT_EQ(b.hold_until(500, automatic(7)), 1010);
  // Half-open at 1010: one trial goes, the others wait.
  EXPECT_FALSE(b.hold_until(1010, automatic(7)));
  EXPECT_TRUE(b.hold_until(1011, automatic(8)));
  // The cool-down had ended: nothing was cut short.
  EXPECT_EQ(b.record(true, 1020, 7), 0);
  EXPECT_FALSE(b.open());
  EXPECT_FALSE(b.hold_until(1021, automatic(8)));
}

TEST(CircuitBreaker, AFailedTrialDoublesTheCooldownUpToTheMaximum) {
  CircuitBreaker b(1, milliseconds(1000), milliseconds(3000));
  b.record(false, 0, 1);
  EXPECT_EQ(b.hold_until(0, automatic(1)), 1000);
  EXPECT_FALSE(b.hold_until(1000, automatic(1)));  // trial
  b.record(false, 1000, 1);
  EXPECT_EQ(b.hold_until(1000, automatic(1)), 3000);  // 2 s
  EXPECT_FALSE(b.hold_until(3000, automatic(1)));
  b.record(false, 3000, 1);
  EXPECT_EQ(b.hold_until(3000, automatic(1)), 6000);  // capped at 3 s
}

TEST(CircuitBreaker, AnOperatorsAttemptIsTheTrialWhileTheCircuitIsOpen) {
  CircuitBreaker b(2, milliseconds(600'000), milliseconds(600'000));
  b.record(false, 0, 1);
  b.record(false, 0, 2);
  ASSERT_TRUE(b.open());
  // Automatic attempts wait out the whole cool-down.
  EXPECT_EQ(b.hold_until(1000, automatic(3)), 600'000);
  // The first manual attempt goes at once; any other one waits a short while for its outcome,
  // and automatic ones still wait for the cool-down's end or the trial's outcome.
  EXPECT_FALSE(b.hold_until(1000, manual(10)));
  EXPECT_EQ(b.hold_until(1001, manual(11)), 2001);
  EXPECT_EQ(b.hold_until(1002, manual(12)), 2002);
  EXPECT_EQ(b.hold_until(1003, automatic(3)), 600'000);
  // The trial asking again (a rate-limit wait before its send) is still the trial.
  EXPECT_FALSE(b.hold_until(1004, manual(10)));
  EXPECT_TRUE(b.open());
  // Its success closes the circuit and says which cool-down it cut short.
  EXPECT_EQ(b.record(true, 1500, 10), 600'000);
  EXPECT_FALSE(b.open());
  EXPECT_FALSE(b.hold_until(1501, automatic(3)));
  EXPECT_FALSE(b.hold_until(1501, manual(11)));
}

TEST(CircuitBreaker, AFailedManualTrialKeepsTheCircuitOpenAsAHalfOpenFailureDoes) {
  CircuitBreaker b(1, milliseconds(10'000), milliseconds(60'000));
  b.record(false, 0, 1);
  EXPECT_FALSE(b.hold_until(100, manual(5)));
  EXPECT_EQ(b.record(false, 200, 5), 0);
  EXPECT_TRUE(b.open());
  // Open again from the failure, the cool-down doubled.
  EXPECT_EQ(b.hold_until(300, automatic(2)), 20'200);
  // The next operator's attempt is the next trial; its success closes the circuit.
  EXPECT_FALSE(b.hold_until(400, manual(6)));
  EXPECT_EQ(b.record(true, 500, 6), 20'200);
  EXPECT_FALSE(b.open());
}

TEST(CircuitBreaker, AFailureOfAnotherAttemptLeavesTheTrialInFlight) {
  CircuitBreaker b(1, milliseconds(10'000), milliseconds(60'000));
  b.record(false, 0, 1);
  EXPECT_FALSE(b.hold_until(100, manual(5)));
  // An attempt that started before the circuit opened fails meanwhile: no second trial.
  b.record(false, 150, 2);
  EXPECT_EQ(b.hold_until(160, manual(6)), 1160);
  EXPECT_EQ(b.record(true, 200, 5), 10'150);
  EXPECT_FALSE(b.open());
}

TEST(CircuitBreaker, ATrialWhoseOutcomeNeverComesFreesItsPlace) {
  CircuitBreaker b(1, milliseconds(1000), milliseconds(8000), milliseconds(5000));
  b.record(false, 0, 1);
  EXPECT_FALSE(b.hold_until(1000, automatic(7)));  // handed back unsent, never recorded
  EXPECT_TRUE(b.hold_until(5999, automatic(8)));
  EXPECT_FALSE(b.hold_until(6000, automatic(8)));  // the next trial
  EXPECT_TRUE(b.hold_until(6001, automatic(7)));
}

}  // namespace
}  // namespace hookgate::outbound
