// SecretSeal: round trip, a fresh nonce per seal, and every way a sealed value must fail to open
// (another key, another endpoint, a flipped byte, a truncated box), with errors free of secrets.
#include "outbound/secret_seal.hpp"

#include <gtest/gtest.h>

#include "hookgate/crypto/encoding.hpp"

namespace hookgate::outbound {
namespace {

constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

SecretSeal fresh() {
  return SecretSeal::from_base64(SecretSeal::generate_base64()).value();
}

TEST(SecretSeal, RoundTripsWithAFreshNonceEachTime) {
  const auto seal = fresh();
  const auto a = seal.seal("ep_1", kSecret);
  const auto b = seal.seal("ep_1", kSecret);
  EXPECT_TRUE(SecretSeal::is_sealed(a));
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), std::string::npos);
  EXPECT_EQ(seal.open("ep_1", a).value(), kSecret);
  EXPECT_EQ(seal.open("ep_1", b).value(), kSecret);
}

TEST(SecretSeal, RefusesAnotherKeyAnotherEndpointAndTampering) {
  const auto seal = fresh();
  const auto sealed = seal.seal("ep_1", kSecret);
  const auto other = fresh().open("ep_1", sealed);
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().find("does not open"), std::string::npos);
  EXPECT_FALSE(seal.open("ep_2", sealed));
  EXPECT_FALSE(seal.open("ep_", sealed));  // a prefix of the id is another endpoint too
  auto box = crypto::base64_decode(std::string_view(sealed).substr(kSealedPrefix.size())).value();
  box[box.size() / 2] = static_cast<char>(box[box.size() / 2] ^ 1);
  EXPECT_FALSE(seal.open("ep_1", std::string(kSealedPrefix) + crypto::base64_encode(box)));
  EXPECT_FALSE(seal.open("ep_1", std::string(kSealedPrefix) + crypto::base64_encode("short")));
  EXPECT_FALSE(seal.open("ep_1", kSecret));  // clear text is not a sealed value
}

TEST(SecretSeal, KeysAreBase64Of32Bytes) {
  EXPECT_TRUE(SecretSeal::from_base64(crypto::base64_encode(std::string(32, 'k'))));
  for (const std::string& bad :
       {crypto::base64_encode(std::string(31, 'k')), crypto::base64_encode(std::string(33, 'k')),
        std::string("not base64!"), std::string()}) {
    const auto r = SecretSeal::from_base64(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().find(bad.empty() ? "\x01" : bad), std::string::npos);
  }
}

}  // namespace
}  // namespace hookgate::outbound
