// Constant-time comparison and secure random generation.
#include <gtest/gtest.h>

#include <set>

#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/random.hpp"

namespace hookgate::crypto {
namespace {

TEST(Compare, EqualOnlyForSameBytes) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(Random, BytesAndStrings) {
  EXPECT_EQ(random_bytes(0).size(), 0u);
  EXPECT_EQ(random_bytes(32).size(), 32u);
  EXPECT_NE(random_bytes(32), random_bytes(32));
  const auto s = random_string(4096, "ab");
  EXPECT_EQ(s.size(), 4096u);
  EXPECT_EQ(s.find_first_not_of("ab"), std::string::npos);
  // Both letters appear: a constant output would pass the alphabet check.
  EXPECT_NE(s.find('a'), std::string::npos);
  EXPECT_NE(s.find('b'), std::string::npos);
  std::set<char> seen;
  for (const char c : random_string(4096, kAlphanumeric))
    seen.insert(c);
  EXPECT_EQ(seen.size(), kAlphanumeric.size());
}

}  // namespace
}  // namespace hookgate::crypto
