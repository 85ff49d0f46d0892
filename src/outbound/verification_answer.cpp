// Exact-shape matching of handshake answers, and the reflection test.
#include "outbound/verification_answer.hpp"

#include <array>
#include <boost/json.hpp>
#include <optional>

#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"

namespace hookgate::outbound {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.remove_suffix(1);
  return s;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return !needle.empty() && haystack.find(needle) != std::string_view::npos;
}

// The one member of a JSON object answer, when the answer is exactly {"<name>": "<string>"}.
std::optional<std::string> sole_member(std::string_view answer, std::string_view name) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(answer, ec);
  if (ec || !v.is_object() || v.as_object().size() != 1) return std::nullopt;
  const auto* m = v.as_object().if_contains(name);
  if (m == nullptr || !m->is_string()) return std::nullopt;
  return std::string(m->as_string());
}

}  // namespace

bool reflects_request(std::string_view answer_body, const schemes::HeaderList& answer_headers,
                      const HandshakeRequest& request) {
  if (contains(answer_body, request.body) || contains(answer_body, request.webhook_id) ||
      contains(answer_body, request.signature)) {
    return true;
  }
  for (const auto& [name, value] : answer_headers.items()) {
    if (contains(value, request.webhook_id) || contains(value, request.signature)) return true;
  }
  return false;
}

bool is_challenge_answer(std::string_view answer_body, std::string_view token) {
  const auto answer = trim(answer_body);
  if (crypto::constant_time_equal(answer, token)) return true;
  const auto value = sole_member(answer, "challenge");
  return value && crypto::constant_time_equal(*value, token);
}

bool is_hmac_answer(std::string_view answer_body, std::string_view token,
                    const std::vector<std::string>& secrets) {
  const auto value = sole_member(trim(answer_body), "challenge_hmac");
  if (!value) return false;
  const auto mac = crypto::base64_decode(*value);
  if (!mac || mac->size() != 32) return false;
  const std::array<std::string_view, 2> message{kVerificationMacPrefix, token};
  bool ok = false;
  for (const auto& secret : secrets) {
    if (!secret.starts_with("whsec_")) continue;
    const auto raw = crypto::base64_decode(std::string_view(secret).substr(6));
    if (!raw) continue;
    const crypto::HmacKey key(crypto::DigestAlgorithm::sha256, *raw);
    ok = key.verify(message, *mac) || ok;  // every key checked: no early exit on a match
  }
  return ok;
}

}  // namespace hookgate::outbound
