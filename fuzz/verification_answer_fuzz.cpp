// Fuzzes the checks on an endpoint's answer to a verification handshake (the bytes come from the
// endpoint, anyone's server): no crash on any body, an accepted challenge answer is exactly one
// of the two documented shapes, an answer holding the request is always a reflection, and an
// HMAC answer is accepted only when it is the MAC under the secret.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "outbound/verification_answer.hpp"

namespace {
constexpr std::string_view kToken = "Q2hhbGxlbmdlVmFsdWUwMTIzNDU2Nzg5YWJjZGVm";
constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view kRequest =
    R"({"type":"endpoint.verification","challenge":"Q2hhbGxlbmdlVmFsdWUwMTIzNDU2Nzg5YWJjZGVm"})";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hookgate;
  const std::string body(reinterpret_cast<const char*>(data), size);
  schemes::HeaderList headers;
  const auto newline = body.find('\n');
  if (newline != std::string::npos) headers.add("X-Answer", body.substr(0, newline));
  const outbound::HandshakeRequest request{kRequest, "app_1/verify_abc", "v1,c2lnbmF0dXJl"};

  const bool reflected = outbound::reflects_request(body, headers, request);
  if (body.find(kRequest) != std::string::npos && !reflected) std::abort();

  if (outbound::is_challenge_answer(body, kToken)) {
    std::string_view trimmed(body);
    while (!trimmed.empty() &&
           (trimmed.back() == '\n' || trimmed.back() == '\r' || trimmed.back() == ' '))
      trimmed.remove_suffix(1);
    if (trimmed != kToken) {
      boost::system::error_code ec;
      const auto v = boost::json::parse(trimmed, ec);
      if (ec || !v.is_object() || v.as_object().size() != 1) std::abort();
      const auto* c = v.as_object().if_contains("challenge");
      if (c == nullptr || !c->is_string() || c->as_string() != kToken) std::abort();
    }
  }

  if (outbound::is_hmac_answer(body, kToken, {std::string(kSecret)})) {
    const auto key = crypto::base64_decode(kSecret.substr(6)).value();
    const auto mac =
        crypto::hmac(crypto::DigestAlgorithm::sha256, key,
                     std::string(outbound::kVerificationMacPrefix) + std::string(kToken));
    boost::system::error_code ec;
    const auto v = boost::json::parse(body, ec);
    if (ec || !v.is_object() || v.as_object().size() != 1) std::abort();
    const auto* m = v.as_object().if_contains("challenge_hmac");
    if (m == nullptr || !m->is_string()) std::abort();
    const auto decoded = crypto::base64_decode(std::string(m->as_string()));
    if (!decoded || *decoded != mac) std::abort();
  }
  return 0;
}
