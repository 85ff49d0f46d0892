// The retry policy: classification and the schedule, tested without a clock.
#include "hookgate/engine/retry_policy.hpp"

#include <gtest/gtest.h>

namespace hookgate::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::vector<seconds> kStandard = {seconds(5),     seconds(300),   seconds(1800),
                                        seconds(7200),  seconds(18000), seconds(36000),
                                        seconds(50400), seconds(72000), seconds(86400)};

TEST(RetryPolicy, Classification) {
  EXPECT_EQ(classify({200, "", {}}, true), Verdict::delivered);
  EXPECT_EQ(classify({204, "", {}}, true), Verdict::delivered);
  EXPECT_EQ(classify({301, "", {}}, true), Verdict::retry);  // redirects are failures
  EXPECT_EQ(classify({410, "", {}}, true), Verdict::give_up);
  EXPECT_EQ(classify({429, "", seconds(30)}, true), Verdict::retry);
  EXPECT_EQ(classify({500, "", {}}, true), Verdict::retry);
  EXPECT_EQ(classify({0, "connect timeout", {}}, true), Verdict::retry);
  EXPECT_EQ(classify({0, "", {}}, false), Verdict::delivered);  // command exit 0
  EXPECT_EQ(classify({3, "", {}}, false), Verdict::retry);
}

TEST(RetryPolicy, StandardWebhooksScheduleWithoutJitter) {
  // Attempt 1 is immediate; then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h.
  EXPECT_EQ(next_delay(kStandard, 1, 0, 0.5, {}), milliseconds(5000));
  EXPECT_EQ(next_delay(kStandard, 2, 0, 0.5, {}), milliseconds(300000));
  EXPECT_EQ(next_delay(kStandard, 9, 0, 0.5, {}), milliseconds(86400000));
  EXPECT_EQ(next_delay(kStandard, 10, 0, 0.5, {}), std::nullopt);  // 10 attempts made: give up
  EXPECT_EQ(next_delay(kStandard, 0, 0, 0.5, {}), std::nullopt);
}

TEST(RetryPolicy, JitterStaysWithinItsBounds) {
  EXPECT_EQ(next_delay(kStandard, 2, 0.2, 0.0, {}), milliseconds(240000));
  EXPECT_EQ(next_delay(kStandard, 2, 0.2, 0.5, {}), milliseconds(300000));
  EXPECT_EQ(next_delay(kStandard, 2, 0.2, 0.999999, {}), milliseconds(359999));
}

TEST(RetryPolicy, RetryAfterIsHonouredWithinBounds) {
  EXPECT_EQ(next_delay(kStandard, 1, 0, 0.5, seconds(60)), milliseconds(60000));
  EXPECT_EQ(next_delay(kStandard, 2, 0, 0.5, seconds(60)),
            milliseconds(300000));  // schedule longer
  EXPECT_EQ(next_delay(kStandard, 1, 0, 0.5, seconds(365 * 86400)), milliseconds(86400000));
  EXPECT_EQ(parse_retry_after(" 120 "), seconds(120));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(parse_retry_after("-5"), std::nullopt);
}

}  // namespace
}  // namespace hookgate::engine
