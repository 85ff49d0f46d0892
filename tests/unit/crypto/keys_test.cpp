// Asymmetric keys: RFC 8032 Ed25519 vectors, ECDSA P-256 (SendGrid's published vector, DER and
// raw r||s), RSA round trips, and the key forms parse() accepts or refuses.
#include "hookgate/crypto/keys.hpp"

#include <gtest/gtest.h>

#include "hookgate/crypto/encoding.hpp"

namespace hookgate::crypto {
namespace {

std::string unhex(std::string_view h) {
  return hex_decode(h).value();
}

struct Rfc8032 {
  const char* secret;
  const char* public_key;
  const char* message;
  const char* signature;
};

constexpr Rfc8032 kEd25519[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
     "b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f1"
     "1d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f76098"
     "4dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(Ed25519, Rfc8032Vectors) {
  for (const auto& v : kEd25519) {
    const auto key = PrivateKey::parse(v.secret);
    ASSERT_TRUE(key) << key.error();
    EXPECT_EQ(key->type(), KeyType::ed25519);
    EXPECT_EQ(hex_encode(key->public_key().raw()), v.public_key);
    const auto sig = key->sign(SignatureAlgorithm::ed25519, unhex(v.message));
    ASSERT_TRUE(sig);
    EXPECT_EQ(hex_encode(*sig), v.signature);
    const auto pub = PublicKey::parse(v.public_key);
    ASSERT_TRUE(pub) << pub.error();
    EXPECT_TRUE(pub->verify(SignatureAlgorithm::ed25519, unhex(v.message), unhex(v.signature)));
    EXPECT_FALSE(
        pub->verify(SignatureAlgorithm::ed25519, unhex(v.message) + "x", unhex(v.signature)));
    auto bad = unhex(v.signature);
    bad[0] = static_cast<char>(bad[0] ^ 1);
    EXPECT_FALSE(pub->verify(SignatureAlgorithm::ed25519, unhex(v.message), bad));
    // An Ed25519 key never checks other algorithms.
    EXPECT_FALSE(
        pub->verify(SignatureAlgorithm::ecdsa_p256_sha256, unhex(v.message), unhex(v.signature)));
  }
}

TEST(Ed25519, SeedAndPublicForm) {
  const auto seed = unhex(kEd25519[0].secret);
  const auto pub = unhex(kEd25519[0].public_key);
  EXPECT_TRUE(PrivateKey::parse(base64_encode(seed + pub)));
  // The public half must belong to the seed.
  EXPECT_FALSE(PrivateKey::parse(base64_encode(seed + unhex(kEd25519[1].public_key))));
  EXPECT_FALSE(PrivateKey::parse("abcd"));
  EXPECT_FALSE(PublicKey::from_raw_ed25519("short"));
}

TEST(Ecdsa, SendGridPublishedVector) {
  const auto pub = PublicKey::parse(
      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+"
      "2fNNRaINXvVpiglSI8eNEc6wEA3F+g==");
  ASSERT_TRUE(pub) << pub.error();
  EXPECT_EQ(pub->type(), KeyType::ec_p256);
  const std::string message =
      "1600112502[{\"email\":\"hello@world.com\",\"event\":\"dropped\",\"reason\":\"Bounced "
      "Address\",\"sg_event_id\":\"ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA\",\"sg_"
      "message_id\":\"LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0\","
      "\"smtp-id\":\"<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>\",\"timestamp\":"
      "1600112492}]\r\n";
  const auto sig = base64_decode(
      "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+"
      "luQAbPIqHh89M15TluLtEZtM=");
  ASSERT_TRUE(sig);
  EXPECT_TRUE(pub->verify(SignatureAlgorithm::ecdsa_p256_sha256, message, *sig));
  EXPECT_FALSE(pub->verify(SignatureAlgorithm::ecdsa_p256_sha256, message + "x", *sig));
  // PEM of the same key parses to the same key.
  const auto again = PublicKey::parse(pub->pem());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->raw(), pub->raw());
}

TEST(Ecdsa, RoundTripDerAndRaw) {
  const auto key = PrivateKey::generate(KeyType::ec_p256);
  const auto der = key.sign(SignatureAlgorithm::ecdsa_p256_sha256, "payload").value();
  EXPECT_TRUE(key.public_key().verify(SignatureAlgorithm::ecdsa_p256_sha256, "payload", der));
  // DER -> raw r||s, each 32 bytes, as some providers publish it.
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ASSERT_EQ(p[0], 0x30);
  std::size_t i = 2;
  auto integer = [&] {
    EXPECT_EQ(p[i], 0x02);
    const std::size_t len = p[i + 1];
    std::string v(der.substr(i + 2, len));
    i += 2 + len;
    while (v.size() > 32)
      v.erase(0, 1);
    return std::string(32 - v.size(), '\0') + v;
  };
  const std::string r = integer();  // two statements: operand order of + is unspecified
  const std::string raw = r + integer();
  EXPECT_TRUE(key.public_key().verify(SignatureAlgorithm::ecdsa_p256_sha256, "payload", raw));
  EXPECT_FALSE(key.public_key().verify(SignatureAlgorithm::ecdsa_p256_sha256, "other", raw));
  // The PKCS#8 PEM round-trips.
  const auto parsed = PrivateKey::parse(key.pem());
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed->public_key().raw(), key.public_key().raw());
}

TEST(Ecdsa, OtherCurvesAreRefused) {
  // A P-384 public key (generated once with `openssl ecparam -name secp384r1`).
  const char* p384 =
      "-----BEGIN PUBLIC KEY-----\n"
      "MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAERvDvQDnIWs43r2Rzvg/uZTS7F/Fr6c5o\n"
      "i5iPONmt6BmekzdjB7lggK/YmYrGoqfJ/wLzSe3vFZ0AIVUTOFk1TJ1AMVX6jK7Q\n"
      "BVX8thq5vZCiGdLj94MyG3cPh+w49sH6\n"
      "-----END PUBLIC KEY-----\n";
  const auto parsed = PublicKey::parse(p384);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().find("P-256"), std::string::npos) << parsed.error();
}

TEST(Rsa, SignAndVerifyBothDigests) {
  const auto key = PrivateKey::generate(KeyType::rsa);
  for (const auto alg : {SignatureAlgorithm::rsa_sha1, SignatureAlgorithm::rsa_sha256}) {
    const auto sig = key.sign(alg, "canonical").value();
    EXPECT_TRUE(key.public_key().verify(alg, "canonical", sig));
    EXPECT_FALSE(key.public_key().verify(alg, "canonicaL", sig));
  }
  const auto sha1 = key.sign(SignatureAlgorithm::rsa_sha1, "m").value();
  EXPECT_FALSE(key.public_key().verify(SignatureAlgorithm::rsa_sha256, "m", sha1));
  EXPECT_FALSE(key.sign(SignatureAlgorithm::ed25519, "m"));
}

TEST(Keys, ParseErrorsNameTheProblem) {
  EXPECT_FALSE(PublicKey::parse("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"));
  EXPECT_FALSE(PublicKey::parse("not a key at all"));
  EXPECT_FALSE(PublicKey::parse(base64_encode("garbage der bytes that are not spki")));
  EXPECT_FALSE(PrivateKey::parse("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
}

}  // namespace
}  // namespace hookgate::crypto
