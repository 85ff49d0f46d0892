// Sealed boxes: round trip, tamper detection, wrong key, and key-size checks.
#include "hookgate/crypto/sealed_box.hpp"

#include <gtest/gtest.h>

namespace hookgate::crypto {
namespace {

TEST(SealedBox, OpensOnlyForTheReceiverAndDetectsTampering) {
  const auto receiver = x25519_keypair();
  const auto other = x25519_keypair();
  const std::string message("{\"card\":\"4242\"}\x00\xff", 17);
  auto box = seal(message, receiver.public_key);
  ASSERT_TRUE(box) << box.error();
  EXPECT_EQ(box->size(), message.size() + 48);  // ephemeral key + MAC
  EXPECT_EQ(box->find("4242"), std::string::npos);
  auto opened = open_sealed(*box, receiver.public_key, receiver.secret_key);
  ASSERT_TRUE(opened) << opened.error();
  EXPECT_EQ(*opened, message);
  EXPECT_FALSE(open_sealed(*box, other.public_key, other.secret_key));
  auto tampered = *box;
  tampered.back() = static_cast<char>(tampered.back() ^ 1);
  EXPECT_FALSE(open_sealed(tampered, receiver.public_key, receiver.secret_key));
  // Two seals of one message differ (fresh ephemeral key each time).
  EXPECT_NE(*seal(message, receiver.public_key), *box);
}

TEST(SealedBox, RefusesWrongKeySizes) {
  EXPECT_FALSE(seal("m", std::string(31, 'k')));
  EXPECT_FALSE(open_sealed(std::string(60, 'b'), std::string(32, 'k'), std::string(31, 's')));
  const auto pair = x25519_keypair();
  EXPECT_FALSE(open_sealed("short", pair.public_key, pair.secret_key));
}

}  // namespace
}  // namespace hookgate::crypto
