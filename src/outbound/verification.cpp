// The echo, challenge and hmac_challenge handshakes, signed like deliveries so receivers can
// authenticate them, and the checks that an answer shows intent rather than reflection.
#include "outbound/verification.hpp"

#include <boost/json.hpp>

#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/random.hpp"
#include "outbound/endpoint_targets.hpp"
#include "outbound/verification_answer.hpp"

namespace hookgate::outbound {

namespace {
constexpr std::string_view kTokenAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kTokenLength = 40;

// Any live key: a receiver mid-rotation may still hold the previous secret, still signed with.
std::vector<std::string> secrets_of(const Endpoint& e, std::int64_t now_ms) {
  std::vector<std::string> out;
  for (const auto& k : e.live_keys(now_ms))
    out.push_back(k.secret);
  return out;
}
}  // namespace

Verifier::Verifier(Registry& registry, const net::HttpClient& client,
                   std::function<std::int64_t()> now_ms)
    : registry_(registry), client_(client), now_ms_(std::move(now_ms)) {}

VerificationResult Verifier::attempt(const Endpoint& e) {
  if (e.verification == Verification::none) return {true, ""};
  if (e.verification == Verification::hmac_challenge && e.ed25519) {
    return {false, "hmac_challenge needs an HMAC endpoint"};
  }
  const std::string token = crypto::random_string(kTokenLength, kTokenAlphabet);
  const bool echo = e.verification == Verification::echo;
  boost::json::object body{
      {"type", "endpoint.verification"}, {"endpoint_id", e.id}, {"app_id", e.app_id}};
  if (!echo) body["challenge"] = token;
  if (e.verification == Verification::hmac_challenge) body["answer"] = "challenge_hmac";
  // Sent in clear even to an encrypting endpoint: the challenge must be readable to be answered.
  Endpoint plain = e;
  plain.encryption_key.clear();
  const std::string webhook_id = e.app_id + "/verify_" + crypto::random_string(12, kTokenAlphabet);
  auto signed_request =
      sign_for_endpoint(plain, webhook_id, boost::json::serialize(body), "application/json",
                        std::chrono::system_clock::now(), now_ms_());
  if (!signed_request) return {false, signed_request.error()};
  net::OutboundRequest request;
  request.url = e.url;
  request.headers = std::move(signed_request->headers);
  request.body = std::move(signed_request->body);
  const std::string signature(request.headers.get("webhook-signature").value_or(""));
  if (echo) request.headers.add("X-Hook-Secret", token);
  auto response = client_.post(request);
  if (!response) return {false, response.error()};
  if (response->status < 200 || response->status > 299) {
    return {false, "the endpoint answered " + std::to_string(response->status)};
  }
  if (reflects_request(response->body, response->headers, {request.body, webhook_id, signature})) {
    return {false, "the endpoint reflected the request instead of answering it"};
  }
  switch (e.verification) {
    case Verification::echo: {
      const auto echoed = response->headers.get("X-Hook-Secret");
      if (!echoed || !crypto::constant_time_equal(*echoed, token)) {
        return {false, "the endpoint did not echo X-Hook-Secret"};
      }
      return {true, ""};
    }
    case Verification::challenge:
      if (!is_challenge_answer(response->body, token)) {
        return {false, "the endpoint did not return the challenge"};
      }
      return {true, ""};
    case Verification::hmac_challenge:
      if (!is_hmac_answer(response->body, token, secrets_of(e, now_ms_()))) {
        return {false, "the endpoint did not return the challenge's HMAC under its secret"};
      }
      return {true, ""};
    case Verification::none:
      break;
  }
  return {true, ""};
}

Result<VerificationResult> Verifier::verify(const std::string& app_id,
                                            const std::string& endpoint_id) {
  auto e = registry_.endpoint(app_id, endpoint_id);
  if (!e) return Error{e.error()};
  const auto result = attempt(*e);
  const std::string url = e->url;
  auto recorded = registry_.modify_endpoint(endpoint_id, [&](Endpoint& ep) {
    if (ep.url != url) return false;  // changed meanwhile: this result is about another URL
    ep.verified = result.verified;
    ep.verification_error = result.reason;
    return true;
  });
  if (!recorded) return Error{recorded.error()};
  return result;
}

}  // namespace hookgate::outbound
