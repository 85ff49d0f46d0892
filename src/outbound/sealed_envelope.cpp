// Sealing a payload to an endpoint's key and wrapping the box in the JSON envelope.
#include "outbound/sealed_envelope.hpp"

#include <boost/json.hpp>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/sealed_box.hpp"

namespace hookgate::outbound {

Result<std::string> sealed_envelope(std::string_view payload, std::string_view content_type,
                                    std::string_view public_key_b64) {
  const auto key = crypto::base64_decode(public_key_b64);
  if (!key) return Error{"encryption_key is not base64"};
  auto box = crypto::seal(payload, *key);
  if (!box) return Error{"sealing: " + box.error()};
  // boost::json keeps insertion order, so the documented member order is the order sent.
  return boost::json::serialize(boost::json::object{{"type", kSealedEnvelopeType},
                                                    {"alg", kSealedAlgorithm},
                                                    {"contentType", content_type},
                                                    {"sealed", crypto::base64_encode(*box)}});
}

}  // namespace hookgate::outbound
