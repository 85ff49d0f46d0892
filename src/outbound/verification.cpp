// The echo, challenge and hmac_challenge handshakes, signed like deliveries so receivers can
// authenticate them, and the checks that an answer shows intent rather than reflection.
#include "outbound/verification.hpp"

#include <array>
#include <boost/json.hpp>

#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "hookgate/crypto/random.hpp"
#include "outbound/endpoint_targets.hpp"

namespace hookgate::outbound {

namespace {
constexpr std::string_view kTokenAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr std::size_t kTokenLength = 40;

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return !needle.empty() && haystack.find(needle) != std::string_view::npos;
}

// Whether the answer carries what only the request carried: the delivery id, a signature or the
// whole request body. A receiver that mirrors requests (a logger, a test server, an HTTP echo
// service) shows nothing about intent, whatever token it happens to return.
bool reflects(const net::HttpClientResponse& response, const std::string& request_body,
              const std::string& webhook_id, const std::string& signature) {
  if (contains(response.body, request_body) || contains(response.body, webhook_id) ||
      contains(response.body, signature)) {
    return true;
  }
  for (const auto& [name, value] : response.headers.items()) {
    if (contains(value, webhook_id) || contains(value, signature)) return true;
  }
  return false;
}

// The one member of a JSON object answer, when the answer is exactly {"<name>": "<string>"}.
std::optional<std::string> sole_member(const std::string& answer, std::string_view name) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(answer, ec);
  if (ec || !v.is_object() || v.as_object().size() != 1) return std::nullopt;
  const auto* m = v.as_object().if_contains(name);
  if (m == nullptr || !m->is_string()) return std::nullopt;
  return std::string(m->as_string());
}

bool challenge_answered(const std::string& body, const std::string& token) {
  const std::string answer = trim(body);
  if (crypto::constant_time_equal(answer, token)) return true;
  const auto value = sole_member(answer, "challenge");
  return value && crypto::constant_time_equal(*value, token);
}

// Any live key of the endpoint: a receiver mid-rotation may still hold the previous secret,
// which is still signed with.
bool hmac_answered(const Endpoint& e, std::int64_t now_ms, const std::string& body,
                   const std::string& token) {
  const auto value = sole_member(trim(body), "challenge_hmac");
  if (!value) return false;
  const auto mac = crypto::base64_decode(*value);
  if (!mac || mac->size() != 32) return false;
  const std::array<std::string_view, 2> message{kVerificationMacPrefix, token};
  bool ok = false;
  for (const auto& k : e.live_keys(now_ms)) {
    if (!k.secret.starts_with("whsec_")) continue;
    const auto secret = crypto::base64_decode(std::string_view(k.secret).substr(6));
    if (!secret) continue;
    const crypto::HmacKey key(crypto::DigestAlgorithm::sha256, *secret);
    ok = key.verify(message, *mac) || ok;  // every key checked: no early exit on a match
  }
  return ok;
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
  const std::string signature = request.headers.get("webhook-signature").value_or("");
  if (echo) request.headers.add("X-Hook-Secret", token);
  auto response = client_.post(request);
  if (!response) return {false, response.error()};
  if (response->status < 200 || response->status > 299) {
    return {false, "the endpoint answered " + std::to_string(response->status)};
  }
  if (reflects(*response, request.body, webhook_id, signature)) {
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
      if (!challenge_answered(response->body, token)) {
        return {false, "the endpoint did not return the challenge"};
      }
      return {true, ""};
    case Verification::hmac_challenge:
      if (!hmac_answered(e, now_ms_(), response->body, token)) {
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
