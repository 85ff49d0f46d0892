// IP parsing, CIDR matching and the classification behind the SSRF policy.
#include "hookgate/net/ip_address.hpp"

#include <gtest/gtest.h>

namespace hookgate::net {
namespace {

AddressClass cls(std::string_view text) {
  const auto a = IpAddress::parse(text);
  EXPECT_TRUE(a) << text;
  return a ? classify(*a) : AddressClass::public_unicast;
}

TEST(IpAddress, ParsesStrictFormsOnly) {
  EXPECT_TRUE(IpAddress::parse("1.2.3.4"));
  EXPECT_TRUE(IpAddress::parse("[::1]"));
  EXPECT_EQ(IpAddress::parse("::ffff:127.0.0.1")->to_string(), "::ffff:127.0.0.1");
  // Forms some resolvers accept and SSRF filters miss: octal, hex, shortened.
  for (const char* bad :
       {"0177.0.0.1", "0x7f.0.0.1", "127.1", "2130706433", "1.2.3.4.5", "", "::g", "1.2.3.256"}) {
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
  }
}

TEST(IpAddress, Classification) {
  EXPECT_EQ(cls("8.8.8.8"), AddressClass::public_unicast);
  EXPECT_EQ(cls("2606:4700:4700::1111"), AddressClass::public_unicast);
  EXPECT_EQ(cls("127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(cls("127.255.255.254"), AddressClass::loopback);
  EXPECT_EQ(cls("::1"), AddressClass::loopback);
  EXPECT_EQ(cls("10.0.0.1"), AddressClass::private_net);
  EXPECT_EQ(cls("172.31.255.255"), AddressClass::private_net);
  EXPECT_EQ(cls("172.32.0.0"), AddressClass::public_unicast);
  EXPECT_EQ(cls("192.168.1.1"), AddressClass::private_net);
  EXPECT_EQ(cls("fd12:3456::1"), AddressClass::private_net);
  EXPECT_EQ(cls("169.254.169.254"), AddressClass::metadata);
  EXPECT_EQ(cls("fd00:ec2::254"), AddressClass::metadata);
  EXPECT_EQ(cls("169.254.1.1"), AddressClass::link_local);
  EXPECT_EQ(cls("fe80::1"), AddressClass::link_local);
  EXPECT_EQ(cls("100.64.0.1"), AddressClass::cgnat);
  EXPECT_EQ(cls("100.128.0.1"), AddressClass::public_unicast);
  EXPECT_EQ(cls("224.0.0.1"), AddressClass::multicast);
  EXPECT_EQ(cls("ff02::1"), AddressClass::multicast);
  EXPECT_EQ(cls("0.0.0.0"), AddressClass::unspecified);
  EXPECT_EQ(cls("::"), AddressClass::unspecified);
  EXPECT_EQ(cls("255.255.255.255"), AddressClass::reserved);
  EXPECT_EQ(cls("2002:7f00:1::"), AddressClass::reserved);  // 6to4 wrapping 127.0.0.1
}

TEST(IpAddress, MappedFormsAreJudgedByTheirIpv4Address) {
  EXPECT_EQ(cls("::ffff:127.0.0.1"), AddressClass::loopback);
  EXPECT_EQ(cls("::ffff:169.254.169.254"), AddressClass::metadata);
  EXPECT_EQ(cls("::ffff:10.0.0.1"), AddressClass::private_net);
  EXPECT_EQ(cls("64:ff9b::a00:1"), AddressClass::private_net);  // NAT64 of 10.0.0.1
  EXPECT_EQ(cls("::ffff:8.8.8.8"), AddressClass::public_unicast);
}

TEST(CidrRange, Contains) {
  const auto r = CidrRange::parse("140.82.112.0/20");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->contains(*IpAddress::parse("140.82.127.255")));
  EXPECT_FALSE(r->contains(*IpAddress::parse("140.82.128.0")));
  const auto v6 = CidrRange::parse("2001:db8::/33");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(*IpAddress::parse("2001:db8:7fff::1")));
  EXPECT_FALSE(v6->contains(*IpAddress::parse("2001:db8:8000::1")));
  EXPECT_TRUE(CidrRange::parse("0.0.0.0/0")->contains(*IpAddress::parse("1.2.3.4")));
  EXPECT_TRUE(CidrRange::parse("10.1.2.3")->contains(*IpAddress::parse("10.1.2.3")));
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "nope/8"}) {
    EXPECT_FALSE(CidrRange::parse(bad)) << bad;
  }
}

// A dual-stack ([::]) listener sees IPv4 clients as ::ffff:a.b.c.d: they are IPv4 peers, and
// must match IPv4 ranges (allow_ips, trusted_proxies) as such.
TEST(IpAddress, MappedPeersAreUnmapped) {
  EXPECT_EQ(IpAddress::parse("::ffff:140.82.112.1")->unmapped(), *IpAddress::parse("140.82.112.1"));
  EXPECT_TRUE(IpAddress::parse("::ffff:140.82.112.1")->unmapped().is_v4());
  EXPECT_EQ(IpAddress::parse("::ffff:7f00:1")->unmapped().to_string(), "127.0.0.1");
  // Only the mapping prefix: NAT64, IPv4-compatible and ordinary IPv6 addresses stay as they are.
  for (const char* other : {"64:ff9b::a00:1", "::a00:1", "::1", "2001:db8::1", "::ffff:0:a00:1"}) {
    EXPECT_EQ(IpAddress::parse(other)->unmapped(), *IpAddress::parse(other)) << other;
  }
  EXPECT_EQ(IpAddress::parse("10.0.0.1")->unmapped(), *IpAddress::parse("10.0.0.1"));
}

TEST(CidrRange, MatchesMappedPeersByTheirIpv4Address) {
  const auto r = CidrRange::parse("140.82.112.0/20");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->contains(*IpAddress::parse("::ffff:140.82.112.1")));
  EXPECT_FALSE(r->contains(*IpAddress::parse("::ffff:140.82.128.0")));
  EXPECT_FALSE(r->contains(*IpAddress::parse("64:ff9b::8c52:7001")));  // NAT64 is not the peer
  // A range written in the mapped form is the IPv4 range.
  const auto mapped = CidrRange::parse("::ffff:10.0.0.0/104");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->to_string(), "10.0.0.0/8");
  EXPECT_TRUE(mapped->contains(*IpAddress::parse("10.9.8.7")));
  EXPECT_TRUE(mapped->contains(*IpAddress::parse("::ffff:10.9.8.7")));
  EXPECT_FALSE(mapped->contains(*IpAddress::parse("11.0.0.1")));
  EXPECT_FALSE(CidrRange::parse("::ffff:10.0.0.0/80"));
  // IPv6 ranges never match an IPv4 peer, mapped or not.
  EXPECT_FALSE(CidrRange::parse("::/0")->contains(*IpAddress::parse("::ffff:1.2.3.4")));
}

// Per-client bounds count an IPv6 client by its /64: its hosts choose any address inside it.
TEST(IpAddress, ClientKeyIsTheIpv4AddressOrTheIpv6Slash64) {
  const auto key = [](std::string_view text) { return IpAddress::parse(text)->client_key(); };
  EXPECT_EQ(key("192.0.2.7"), "192.0.2.7");
  EXPECT_NE(key("192.0.2.7"), key("192.0.2.8"));
  EXPECT_EQ(key("::ffff:192.0.2.7"), "192.0.2.7");  // a dual-stack listener's IPv4 client
  EXPECT_EQ(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(key("2001:db8:1:2:ffff:ffff:ffff:ffff"), key("2001:db8:1:2::1"));
  EXPECT_EQ(key("2001:db8:1:2:a:b:c:d"), key("2001:db8:1:2::1"));
  EXPECT_NE(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
  EXPECT_EQ(key("::1"), "::/64");
  // Never the same key for an IPv4 client and an IPv6 one.
  EXPECT_NE(key("0.0.0.0"), key("::"));
}

}  // namespace
}  // namespace hookgate::net
