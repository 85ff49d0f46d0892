// The handshake answer checks on their own: the exact shapes each mode accepts, and the
// reflections (request body, webhook-id, signature, in the body or a header) refused in all.
#include "outbound/verification_answer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"

namespace hookgate::outbound {
namespace {

constexpr std::string_view kToken = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd";
constexpr std::string_view kSecretText = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

std::string mac_answer(const std::string& secret, std::string_view token) {
  const auto key = crypto::base64_decode(std::string_view(secret).substr(6)).value();
  return R"({"challenge_hmac":")" +
         crypto::base64_encode(
             crypto::hmac(crypto::DigestAlgorithm::sha256, key,
                          std::string(kVerificationMacPrefix) + std::string(token))) +
         R"("})";
}

TEST(VerificationAnswer, ChallengeAcceptsOnlyTheValueOrTheOneMemberObject) {
  EXPECT_TRUE(is_challenge_answer(kToken, kToken));
  EXPECT_TRUE(is_challenge_answer(std::string(kToken) + "\r\n", kToken));
  EXPECT_TRUE(
      is_challenge_answer(R"({"challenge":"AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd"})", kToken));
  const std::vector<std::string> wrongs = {
      "",
      std::string(kToken.substr(1)),
      " " + std::string(kToken),
      R"({"challenge":"AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd","type":"x"})",
      R"({"type":"endpoint.verification","challenge":"AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd"})",
      R"({"data":{"challenge":"AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd"}})",
      R"(["AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd"])",
      R"("AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd")",
  };
  for (const auto& wrong : wrongs) {
    EXPECT_FALSE(is_challenge_answer(wrong, kToken)) << wrong;
  }
}

TEST(VerificationAnswer, HmacAcceptsOnlyTheMacUnderAHeldSecret) {
  const std::string secret(kSecretText);
  const std::string other = "whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=";
  EXPECT_TRUE(is_hmac_answer(mac_answer(secret, kToken), kToken, {secret}));
  EXPECT_TRUE(is_hmac_answer(mac_answer(secret, kToken), kToken, {other, secret}));
  EXPECT_FALSE(is_hmac_answer(mac_answer(other, kToken), kToken, {secret}));
  EXPECT_FALSE(is_hmac_answer(mac_answer(secret, "another"), kToken, {secret}));
  EXPECT_FALSE(is_hmac_answer(mac_answer(secret, kToken), kToken, {}));
  EXPECT_FALSE(is_hmac_answer(std::string(kToken), kToken, {secret}));  // the bare challenge
  // Only whsec_ secrets take part (an Ed25519 private key is no HMAC key).
  EXPECT_FALSE(is_hmac_answer(mac_answer(secret, kToken), kToken, {"whsk_" + secret.substr(6)}));
}

TEST(VerificationAnswer, ReflectionsAreRecognisedInBodyAndHeaders) {
  const std::string body = R"({"type":"endpoint.verification","challenge":"x"})";
  const HandshakeRequest request{body, "app_1/verify_abc", "v1,c2ln"};
  const schemes::HeaderList none;
  EXPECT_FALSE(reflects_request(R"({"challenge":"x"})", none, request));
  EXPECT_TRUE(reflects_request(body, none, request));
  EXPECT_TRUE(reflects_request("request was: " + body, none, request));
  EXPECT_TRUE(reflects_request(R"({"headers":{"webhook-id":"app_1/verify_abc"}})", none, request));
  EXPECT_TRUE(reflects_request(R"({"sig":"v1,c2ln"})", none, request));
  EXPECT_TRUE(
      reflects_request("", schemes::HeaderList{{"Webhook-Id", "app_1/verify_abc"}}, request));
  EXPECT_TRUE(
      reflects_request("", schemes::HeaderList{{"X-Echo-Sig", "v1,c2ln v1,b3RoZXI="}}, request));
  EXPECT_FALSE(reflects_request("", schemes::HeaderList{{"X-Hook-Secret", "tok"}}, request));
}

}  // namespace
}  // namespace hookgate::outbound
