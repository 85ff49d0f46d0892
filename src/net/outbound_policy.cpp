// The outbound address policy: the special-purpose classification of ip_address.cpp, softened
// only by the operator's allow list.
#include "hookgate/net/outbound_policy.hpp"

#include <algorithm>

namespace hookgate::net {

OutboundPolicy::OutboundPolicy(std::vector<CidrRange> allow, bool require_https)
    : allow_(std::move(allow)), require_https_(require_https) {}

Result<OutboundPolicy> OutboundPolicy::make(const std::vector<std::string>& allow,
                                            bool require_https) {
  std::vector<CidrRange> ranges;
  ranges.reserve(allow.size());
  for (const auto& text : allow) {
    auto range = CidrRange::parse(text);
    if (!range) return Error{range.error()};
    ranges.push_back(*range);
  }
  return OutboundPolicy(std::move(ranges), require_https);
}

std::optional<std::string> OutboundPolicy::refusal(const IpAddress& address) const {
  // A mapped address reaches the IPv4 host it embeds, so it is judged, and allowed, as that host.
  const auto effective = address.embedded_v4().value_or(address);
  const auto cls = classify(effective);
  if (cls == AddressClass::public_unicast) return std::nullopt;
  const bool allowed = std::any_of(allow_.begin(), allow_.end(), [&](const CidrRange& r) {
    return r.contains(effective) || r.contains(address);
  });
  if (allowed) return std::nullopt;
  return address.to_string() + " is " + std::string(to_string(cls));
}

std::optional<std::string> OutboundPolicy::refusal(const HttpUrl& url) const {
  if (require_https_ && !url.https) return "plain http is refused (https is required)";
  if (url.ip) return refusal(*url.ip);
  return std::nullopt;
}

}  // namespace hookgate::net
