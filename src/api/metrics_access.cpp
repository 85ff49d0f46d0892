// MetricsAccess: the address and token rules of /metrics (see the header).
#include "api/metrics_access.hpp"

#include <stdexcept>

#include "hookgate/crypto/compare.hpp"

namespace hookgate::api {
namespace {

net::HttpResponse refusal(int status, const std::string& reason) {
  net::HttpResponse r;
  r.status = status;
  r.headers.add("Content-Type", "text/plain; charset=utf-8");
  r.body = reason + "\n";
  return r;
}

// A proxy on the same machine makes every client a loopback peer: a request that says it was
// forwarded is not let in by its peer's address.
bool forwarded(const net::HttpRequest& request) {
  return request.headers.get("Forwarded") || request.headers.get("X-Forwarded-For") ||
         request.headers.get("X-Real-IP");
}

}  // namespace

MetricsAccess::MetricsAccess(const config::Metrics& config) {
  for (const auto& text : config.allow) {
    auto range = net::CidrRange::parse(text);
    if (!range) throw std::invalid_argument("[metrics] allow: '" + text + "': " + range.error());
    allow_.push_back(range.value());
  }
  if (config.token) token_ = config.token->value;
}

std::optional<net::HttpResponse> MetricsAccess::refuse(const net::HttpRequest& request) const {
  if (token_) {
    if (const auto auth = request.headers.get("Authorization")) {
      constexpr std::string_view kBearer = "Bearer ";
      if (auth->size() > kBearer.size() && auth->substr(0, kBearer.size()) == kBearer &&
          crypto::constant_time_equal(auth->substr(kBearer.size()), *token_)) {
        return std::nullopt;
      }
      auto r = refusal(401, "metrics: wrong token");
      r.headers.add("WWW-Authenticate", "Bearer");
      return r;
    }
  }
  if (request.peer && !forwarded(request)) {
    const auto peer = request.peer->unmapped();
    for (const auto& range : allow_) {
      if (range.contains(peer)) return std::nullopt;
    }
  }
  if (token_) {
    auto r = refusal(401, "metrics: a token is required from this address");
    r.headers.add("WWW-Authenticate", "Bearer");
    return r;
  }
  return refusal(403, "metrics: not allowed from this address (see [metrics] allow)");
}

}  // namespace hookgate::api
