// IP addresses and CIDR ranges without sockets: parsing, matching, and the classification the
// outbound address policy (SSRF protection) and source allowlists are built on.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/result.hpp"

namespace hookgate::net {

// An IPv4 or IPv6 address. IPv4 is kept as such; IPv4-mapped IPv6 (::ffff:a.b.c.d) is a
// distinct IPv6 value whose embedded IPv4 address embedded_v4() exposes, so a policy can judge it
// by the IPv4 rules (a mapped loopback is loopback). Where an address names a peer (accepted
// connections, X-Forwarded-For, CIDR matching) it is unmapped() first: a dual-stack listener sees
// IPv4 clients as ::ffff:a.b.c.d, and they must match IPv4 allowlists.
class IpAddress {
 public:
  static std::optional<IpAddress> parse(std::string_view text);  // "1.2.3.4", "::1", "[::1]"
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);

  bool is_v4() const { return v4_; }
  std::uint32_t v4_value() const;  // host order; only for is_v4()
  const std::array<std::uint8_t, 16>& v6_bytes() const { return bytes_; }
  // The IPv4 address inside an IPv4-mapped (::ffff:0:0/96) or IPv4-compatible-by-NAT64
  // (64:ff9b::/96) IPv6 address; nullopt otherwise.
  std::optional<IpAddress> embedded_v4() const;
  // The IPv4 address for an IPv4-mapped IPv6 address (::ffff:0:0/96, and only that: NAT64 and
  // other embeddings are different hosts); the address itself otherwise.
  IpAddress unmapped() const;
  std::string to_string() const;
  // What per-client bounds (connections, streams, login failures) count by: an IPv4 address, or
  // the /64 an IPv6 address is in, written "2001:db8:1:2::/64". A /64 is the least a network
  // gives one subscriber, and its hosts pick any address inside it at will: counted per address,
  // one IPv6 client would be 2^64 clients. IPv4-mapped addresses count as their IPv4 address.
  std::string client_key() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  bool v4_ = true;
  std::array<std::uint8_t, 16> bytes_{};  // IPv4 in the first 4 bytes, network order
};

class CidrRange {
 public:
  // "10.0.0.0/8", "fd00::/8", or a bare address (a /32 or /128). An IPv4-mapped range
  // (::ffff:10.0.0.0/104) is the IPv4 range it maps (10.0.0.0/8).
  static Result<CidrRange> parse(std::string_view text);
  // Compares address.unmapped(): IPv4 ranges match IPv4 peers however the socket spelled them.
  bool contains(const IpAddress& address) const;
  std::string to_string() const;

 private:
  IpAddress base_;
  int prefix_ = 0;
};

// Why an address is not a public unicast destination; none = public.
enum class AddressClass {
  public_unicast,
  unspecified,  // 0.0.0.0/8, ::
  loopback,     // 127.0.0.0/8, ::1
  private_net,  // 10/8, 172.16/12, 192.168/16, fc00::/7
  link_local,   // 169.254/16 (cloud metadata lives here), fe80::/10
  cgnat,        // 100.64.0.0/10
  multicast,    // 224/4, ff00::/8
  reserved,     // 240/4, 255.255.255.255, 192.0.0/24, 198.18/15, documentation ranges,
                // 2001:db8::/32, discard 100::/64 and other special-purpose blocks
  metadata,     // 169.254.169.254, fd00:ec2::254 (named apart: the classic SSRF target)
};
std::string_view to_string(AddressClass c);

// Mapped / NAT64 IPv6 forms are classified by their embedded IPv4 address.
AddressClass classify(const IpAddress& address);

}  // namespace hookgate::net
