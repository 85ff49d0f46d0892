// The echo and challenge handshakes, signed like deliveries so receivers can authenticate them.
#include "outbound/verification.hpp"

#include <boost/json.hpp>

#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/random.hpp"
#include "outbound/endpoint_targets.hpp"

namespace hookgate::outbound {

namespace {
constexpr std::string_view kTokenAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}
}  // namespace

Verifier::Verifier(Registry& registry, const net::HttpClient& client,
                   std::function<std::int64_t()> now_ms)
    : registry_(registry), client_(client), now_ms_(std::move(now_ms)) {}

VerificationResult Verifier::attempt(const Endpoint& e) {
  if (e.verification == Verification::none) return {true, ""};
  const std::string token = crypto::random_string(40, kTokenAlphabet);
  const bool echo = e.verification == Verification::echo;
  boost::json::object body{
      {"type", "endpoint.verification"}, {"endpoint_id", e.id}, {"app_id", e.app_id}};
  if (!echo) body["challenge"] = token;
  // Sent in clear even to an encrypting endpoint: the challenge must be readable to be answered.
  Endpoint plain = e;
  plain.encryption_key.clear();
  auto signed_request =
      sign_for_endpoint(plain, e.app_id + "/verify_" + crypto::random_string(12, kTokenAlphabet),
                        boost::json::serialize(body), "application/json",
                        std::chrono::system_clock::now(), now_ms_());
  if (!signed_request) return {false, signed_request.error()};
  net::OutboundRequest request;
  request.url = e.url;
  request.headers = std::move(signed_request->headers);
  request.body = std::move(signed_request->body);
  if (echo) request.headers.add("X-Hook-Secret", token);
  auto response = client_.post(request);
  if (!response) return {false, response.error()};
  if (response->status < 200 || response->status > 299) {
    return {false, "the endpoint answered " + std::to_string(response->status)};
  }
  if (echo) {
    const auto echoed = response->headers.get("X-Hook-Secret");
    if (!echoed || !crypto::constant_time_equal(*echoed, token)) {
      return {false, "the endpoint did not echo X-Hook-Secret"};
    }
    return {true, ""};
  }
  std::string answer = trim(response->body);
  boost::system::error_code ec;
  const auto v = boost::json::parse(answer, ec);
  if (!ec && v.is_object()) {
    if (const auto* c = v.as_object().if_contains("challenge"); c && c->is_string()) {
      answer = std::string(c->as_string());
    }
  }
  if (!crypto::constant_time_equal(answer, token)) {
    return {false, "the endpoint did not return the challenge"};
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
