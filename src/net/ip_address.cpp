// IP parsing via inet_pton (strict forms only: no octal or shortened IPv4), CIDR matching, and
// the special-purpose address registry (RFC 6890 and its successors) used for SSRF decisions.
#include "hookgate/net/ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace hookgate::net {

IpAddress IpAddress::v4(std::uint32_t host_order) {
  IpAddress a;
  a.v4_ = true;
  a.bytes_[0] = static_cast<std::uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<std::uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<std::uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<std::uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& bytes) {
  IpAddress a;
  a.v4_ = false;
  a.bytes_ = bytes;
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  std::array<std::uint8_t, 16> buf{};
  if (inet_pton(AF_INET, s.c_str(), buf.data()) == 1) {
    return v4((std::uint32_t{buf[0]} << 24) | (std::uint32_t{buf[1]} << 16) |
              (std::uint32_t{buf[2]} << 8) | buf[3]);
  }
  if (inet_pton(AF_INET6, s.c_str(), buf.data()) == 1) return v6(buf);
  return std::nullopt;
}

std::uint32_t IpAddress::v4_value() const {
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
         (std::uint32_t{bytes_[2]} << 8) | bytes_[3];
}

std::optional<IpAddress> IpAddress::embedded_v4() const {
  if (v4_) return std::nullopt;
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr std::uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(bytes_.data(), kMapped, 12) == 0 || std::memcmp(bytes_.data(), kNat64, 12) == 0) {
    return v4((std::uint32_t{bytes_[12]} << 24) | (std::uint32_t{bytes_[13]} << 16) |
              (std::uint32_t{bytes_[14]} << 8) | bytes_[15]);
  }
  return std::nullopt;
}

IpAddress IpAddress::unmapped() const {
  static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (v4_ || std::memcmp(bytes_.data(), kMapped, 12) != 0) return *this;
  return v4((std::uint32_t{bytes_[12]} << 24) | (std::uint32_t{bytes_[13]} << 16) |
            (std::uint32_t{bytes_[14]} << 8) | bytes_[15]);
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v4_ ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

std::string IpAddress::client_key() const {
  const auto address = unmapped();
  if (address.is_v4()) return address.to_string();
  auto prefix = address.bytes_;
  std::fill(prefix.begin() + 8, prefix.end(), std::uint8_t{0});
  return v6(prefix).to_string() + "/64";
}

Result<CidrRange> CidrRange::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return Error{"'" + std::string(text) + "' is not an IP address or CIDR range"};
  const int max = address->is_v4() ? 32 : 128;
  int prefix = max;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3)
      return Error{"'" + std::string(text) + "': bad prefix"};
    prefix = 0;
    for (const char c : digits) {
      if (c < '0' || c > '9') return Error{"'" + std::string(text) + "': bad prefix"};
      prefix = prefix * 10 + (c - '0');
    }
    if (prefix > max) return Error{"'" + std::string(text) + "': prefix longer than the address"};
  }
  CidrRange r;
  r.base_ = address->unmapped();
  r.prefix_ = prefix;
  if (r.base_.is_v4() && !address->is_v4()) {
    // A mapped range shorter than the mapping prefix spans non-mapped IPv6 space too.
    if (prefix < 96)
      return Error{"'" + std::string(text) + "': an IPv4-mapped range needs /96 or longer"};
    r.prefix_ = prefix - 96;
  }
  return r;
}

bool CidrRange::contains(const IpAddress& peer) const {
  const auto address = peer.unmapped();
  if (address.is_v4() != base_.is_v4()) return false;
  const auto& a = address.v6_bytes();
  const auto& b = base_.v6_bytes();
  int bits = prefix_;
  for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
    const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff);
    if ((a[i] & mask) != (b[i] & mask)) return false;
  }
  return true;
}

std::string CidrRange::to_string() const {
  return base_.to_string() + "/" + std::to_string(prefix_);
}

std::string_view to_string(AddressClass c) {
  switch (c) {
    case AddressClass::public_unicast:
      return "public";
    case AddressClass::unspecified:
      return "unspecified";
    case AddressClass::loopback:
      return "loopback";
    case AddressClass::private_net:
      return "private";
    case AddressClass::link_local:
      return "link-local";
    case AddressClass::cgnat:
      return "carrier-grade NAT";
    case AddressClass::multicast:
      return "multicast";
    case AddressClass::reserved:
      return "reserved";
    case AddressClass::metadata:
      return "cloud metadata";
  }
  return "unknown";
}

namespace {

struct Block {
  const char* cidr;
  AddressClass cls;
};

// Order matters: the first matching block wins, so the specific metadata addresses come first.
constexpr Block kBlocks[] = {
    {"169.254.169.254/32", AddressClass::metadata},
    {"169.254.170.2/32", AddressClass::metadata},  // ECS task metadata
    {"fd00:ec2::254/128", AddressClass::metadata},
    {"0.0.0.0/8", AddressClass::unspecified},
    {"10.0.0.0/8", AddressClass::private_net},
    {"100.64.0.0/10", AddressClass::cgnat},
    {"127.0.0.0/8", AddressClass::loopback},
    {"169.254.0.0/16", AddressClass::link_local},
    {"172.16.0.0/12", AddressClass::private_net},
    {"192.0.0.0/24", AddressClass::reserved},
    {"192.0.2.0/24", AddressClass::reserved},
    {"192.88.99.0/24", AddressClass::reserved},
    {"192.168.0.0/16", AddressClass::private_net},
    {"198.18.0.0/15", AddressClass::reserved},
    {"198.51.100.0/24", AddressClass::reserved},
    {"203.0.113.0/24", AddressClass::reserved},
    {"224.0.0.0/4", AddressClass::multicast},
    {"240.0.0.0/4", AddressClass::reserved},  // includes 255.255.255.255
    {"::/128", AddressClass::unspecified},
    {"::1/128", AddressClass::loopback},
    {"::/96", AddressClass::reserved},            // deprecated IPv4-compatible
    {"::ffff:0:0:0/96", AddressClass::reserved},  // SIIT IPv4-translated: embeds any IPv4
    {"64:ff9b:1::/48", AddressClass::reserved},   // local-use NAT64: embeds any IPv4
    {"100::/64", AddressClass::reserved},         // discard-only
    {"2001::/23", AddressClass::reserved},        // IETF protocol assignments (Teredo, ...)
    {"2001:db8::/32", AddressClass::reserved},    // documentation
    {"2002::/16", AddressClass::reserved},        // 6to4: embeds arbitrary IPv4
    {"3fff::/20", AddressClass::reserved},        // documentation (RFC 9637)
    {"fc00::/7", AddressClass::private_net},
    {"fe80::/10", AddressClass::link_local},
    {"fec0::/10", AddressClass::link_local},  // deprecated site-local
    {"ff00::/8", AddressClass::multicast},
};

}  // namespace

AddressClass classify(const IpAddress& address) {
  if (const auto v4 = address.embedded_v4()) return classify(*v4);
  // Parsed once; immutable afterwards, so safe to share between threads.
  static const auto ranges = [] {
    std::vector<std::pair<CidrRange, AddressClass>> out;
    for (const auto& block : kBlocks)
      out.emplace_back(CidrRange::parse(block.cidr).value(), block.cls);
    return out;
  }();
  for (const auto& [range, cls] : ranges) {
    if (range.contains(address)) return cls;
  }
  return AddressClass::public_unicast;
}

}  // namespace hookgate::net
