// Constant-time comparison and secure random generation.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/digest.hpp"
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

TEST(Compare, UnequalLengthsCompareCorrectly) {
  const std::string big(1 << 20, 'k');
  EXPECT_TRUE(constant_time_equal(big, std::string(1 << 20, 'k')));
  EXPECT_FALSE(constant_time_equal(big, big.substr(0, big.size() - 1)));
  EXPECT_FALSE(constant_time_equal("k", big));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_FALSE(constant_time_equal("a", ""));
  EXPECT_FALSE(constant_time_equal("secret", std::string("secret\0", 7)));
  EXPECT_FALSE(constant_time_equal("Bearer tok", "Bearer token"));
}

// The comparison is over fixed-size digests of both inputs: whatever the lengths, the bytes
// CRYPTO_memcmp sees have one size, so neither a length mismatch nor a shared prefix can end the
// comparison early.
TEST(Compare, ComparesFixedSizeDigestsOfBothInputs) {
  const std::vector<std::string> inputs = {"",
                                           "a",
                                           "ab",
                                           "abc",
                                           "abd",
                                           "abcd",
                                           std::string(100, 'x'),
                                           std::string(4096, 'x'),
                                           "whsec_abc",
                                           "whsec_abd"};
  for (const auto& a : inputs) {
    EXPECT_EQ(comparison_digest(a).size(), 32U) << a.size();
    for (const auto& b : inputs) {
      EXPECT_EQ(constant_time_equal(a, b), comparison_digest(a) == comparison_digest(b))
          << a << " / " << b;
      EXPECT_EQ(constant_time_equal(a, b), a == b) << a << " / " << b;
    }
  }
  // Keyed per process: not the plain SHA-256 an attacker could compute for a guess.
  EXPECT_NE(comparison_digest("abc"), digest(DigestAlgorithm::sha256, "abc"));
  EXPECT_EQ(comparison_digest("abc"), comparison_digest("abc"));
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
