// HMAC: RFC 4231 (SHA-256/512) and RFC 2202 (SHA-1) vectors; prepared keys behave as one-shots.
#include "hookgate/crypto/hmac.hpp"

#include <gtest/gtest.h>

#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/encoding.hpp"

namespace hookgate::crypto {
namespace {

std::string unhex(std::string_view h) {
  return hex_decode(h).value();
}

struct Rfc4231 {
  std::string key, data;
  const char* sha256;
  const char* sha512;
  std::size_t truncate = 0;
};

TEST(Hmac, Rfc4231) {
  const Rfc4231 cases[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
       "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eae"
       "a3f4e4be9d914eeb61f1702e696c203a126854"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
       "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8"
       "f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
       "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e"
       "67c807b946a337bee8942674278859e13292fb"},
      {unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
       "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5"
       "788063a5f19741120c4f2de2adebeb10a298dd"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
       "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d"
       "6a1e5295e64f73f63f0aec8b915a985d786598"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. The "
       "key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
       "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3"
       "e4de15134676fb6de0446065c97440fa8c6a58"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(hex_encode(hmac(DigestAlgorithm::sha256, c.key, c.data)), c.sha256);
    EXPECT_EQ(hex_encode(hmac(DigestAlgorithm::sha512, c.key, c.data)), c.sha512);
  }
}

TEST(Hmac, Rfc2202Sha1) {
  EXPECT_EQ(hex_encode(hmac(DigestAlgorithm::sha1, std::string(20, '\x0b'), "Hi There")),
            "b617318655057264e28bc0b6fb378c8ef146be00");
  EXPECT_EQ(hex_encode(hmac(DigestAlgorithm::sha1, "Jefe", "what do ya want for nothing?")),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
  EXPECT_EQ(hex_encode(hmac(DigestAlgorithm::sha1, std::string(80, '\xaa'),
                            "Test Using Larger Than Block-Size Key - Hash Key First")),
            "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

TEST(Hmac, PreparedKeyPiecesCopiesAndMoves) {
  const HmacKey key(DigestAlgorithm::sha256, "Jefe");
  const std::string_view pieces[] = {"what do ya ", "", "want for nothing?"};
  const auto expected = unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(key.mac(pieces), expected);
  EXPECT_EQ(key.mac(pieces), expected);  // reusable: the prepared state is not consumed
  const HmacKey copy = key;
  EXPECT_EQ(copy.mac("what do ya want for nothing?"), expected);
  HmacKey moved = HmacKey(DigestAlgorithm::sha1, "x");
  moved = copy;
  EXPECT_TRUE(moved.verify(pieces, expected));
  EXPECT_FALSE(moved.verify(pieces, expected.substr(1)));
  // An empty key is valid (RFC 2104); keys are zero-padded, so "" and "\0" are the same key.
  EXPECT_EQ(hmac(DigestAlgorithm::sha256, "", "m"),
            hmac(DigestAlgorithm::sha256, std::string(1, '\0'), "m"));
}

TEST(Digest, Fips180Abc) {
  EXPECT_EQ(hex_encode(digest(DigestAlgorithm::sha1, "abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex_encode(digest(DigestAlgorithm::sha256, "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      hex_encode(digest(DigestAlgorithm::sha512, "abc")),
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c2"
      "3a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  const std::string_view pieces[] = {"a", "bc"};
  EXPECT_EQ(digest(DigestAlgorithm::sha256, pieces), digest(DigestAlgorithm::sha256, "abc"));
  EXPECT_EQ(digest_size(DigestAlgorithm::sha512), 64u);
}

}  // namespace
}  // namespace hookgate::crypto
