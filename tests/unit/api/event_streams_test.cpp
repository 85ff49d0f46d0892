// EventStreams' pure parts: what of a stream's path reaches the log.
#include "api/event_streams.hpp"

#include <gtest/gtest.h>

namespace hookgate::api {
namespace {

TEST(EventStreams, ACapabilityNeverReachesTheLog) {
  EXPECT_EQ(EventStreams::loggable_path("/stream/github"), "/stream/github");
  EXPECT_EQ(EventStreams::loggable_path("/stream/github/0123456789abcdef0123456789abcdef"),
            "/stream/github/***");
  EXPECT_EQ(EventStreams::loggable_path("/stream/github/a/b"), "/stream/github/***");
  EXPECT_EQ(EventStreams::loggable_path("/stream/"), "/stream/");
  EXPECT_EQ(EventStreams::loggable_path("/pull/github"), "/pull/github");
}

}  // namespace
}  // namespace hookgate::api
