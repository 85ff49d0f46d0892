// OutboundPolicy: which addresses Hookgate may open connections to (SSRF defence). Only public
// unicast addresses pass by default; every special-purpose range of ip_address.hpp (loopback,
// private, link-local, cloud metadata, CGNAT, multicast, reserved, ...) is refused unless the
// operator lists it in allow. The HTTP client applies it to every resolved address before it
// connects and again to the address it actually connected to.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/net/http_url.hpp"
#include "hookgate/net/ip_address.hpp"
#include "hookgate/result.hpp"

namespace hookgate::net {

class OutboundPolicy {
 public:
  // Refuses every non-public address, allows http and https.
  OutboundPolicy() = default;
  OutboundPolicy(std::vector<CidrRange> allow, bool require_https);
  // allow holds CIDRs as written in configuration ("127.0.0.1/32", "10.1.0.0/16", "fd00::/8").
  static Result<OutboundPolicy> make(const std::vector<std::string>& allow, bool require_https);

  // Why connecting to address is refused ("127.0.0.1 is loopback"); nullopt when allowed. An
  // IPv4-mapped or NAT64 address is judged as the IPv4 address it embeds, for the allow list too.
  std::optional<std::string> refusal(const IpAddress& address) const;
  // Why the URL itself is refused before any lookup: plain http under require_https, or a literal
  // address that refusal() refuses. nullopt for names (their addresses are checked once known).
  std::optional<std::string> refusal(const HttpUrl& url) const;

  const std::vector<CidrRange>& allow() const { return allow_; }
  bool require_https() const { return require_https_; }

 private:
  std::vector<CidrRange> allow_;
  bool require_https_ = false;
};

// Errors of refused destinations start with this, so callers can tell a policy refusal (a
// configuration problem: retrying will not help) from a transport failure.
inline constexpr std::string_view kAddressRefused = "address_refused:";

}  // namespace hookgate::net
