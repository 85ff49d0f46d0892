// The outbound address policy: every special-purpose range refused by default, in IPv4 and IPv6
// and in the IPv6 forms that embed an IPv4 address; the allow list as the only way through.
#include "hookgate/net/outbound_policy.hpp"

#include <gtest/gtest.h>

namespace hookgate::net {
namespace {

IpAddress ip(std::string_view text) {
  const auto a = IpAddress::parse(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(IpAddress::v4(0));
}

OutboundPolicy allowing(const std::vector<std::string>& cidrs, bool require_https = false) {
  auto p = OutboundPolicy::make(cidrs, require_https);
  EXPECT_TRUE(p) << p.error();
  return p ? *p : OutboundPolicy();
}

constexpr const char* kRefused[] = {
    // IPv4
    "0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254",
    "127.0.0.1", "127.1.2.3", "169.254.0.1", "169.254.169.254", "169.254.170.2", "172.16.0.1",
    "172.31.255.255", "192.0.0.1", "192.0.2.1", "192.88.99.1", "192.168.0.1", "198.18.0.1",
    "198.51.100.1", "203.0.113.1", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
    // IPv6
    "::", "::1", "fc00::1", "fd00::1", "fd00:ec2::254", "fe80::1", "febf::1", "fec0::1", "ff02::1",
    "ff05::1:3", "100::1", "2001::1", "2001:db8::1", "2002:7f00:1::1", "2002:0808:0808::1",
    "3fff::1", "::127.0.0.1", "::8.8.8.8",
    // IPv6 forms embedding a refused IPv4 address
    "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe", "::ffff:100.64.0.1", "::ffff:0.0.0.0", "::ffff:255.255.255.255",
    "::ffff:224.0.0.1", "64:ff9b::127.0.0.1", "64:ff9b::a00:1", "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::8.8.8.8", "::ffff:0:8.8.8.8"};

TEST(OutboundPolicy, RefusesEverySpecialPurposeRangeByDefault) {
  const OutboundPolicy policy;
  for (const char* text : kRefused) {
    const auto why = policy.refusal(ip(text));
    ASSERT_TRUE(why) << text << " was allowed";
    EXPECT_NE(why->find(ip(text).to_string()), std::string::npos) << *why;
  }
}

TEST(OutboundPolicy, NamesTheReason) {
  const OutboundPolicy policy;
  EXPECT_EQ(policy.refusal(ip("169.254.169.254")), "169.254.169.254 is cloud metadata");
  EXPECT_EQ(policy.refusal(ip("fd00:ec2::254")), "fd00:ec2::254 is cloud metadata");
  EXPECT_EQ(policy.refusal(ip("::ffff:7f00:1")), "::ffff:127.0.0.1 is loopback");
  EXPECT_EQ(policy.refusal(ip("10.0.0.1")), "10.0.0.1 is private");
  EXPECT_EQ(policy.refusal(ip("100.64.0.1")), "100.64.0.1 is carrier-grade NAT");
  EXPECT_EQ(policy.refusal(ip("0.0.0.0")), "0.0.0.0 is unspecified");
  EXPECT_EQ(policy.refusal(ip("224.0.0.1")), "224.0.0.1 is multicast");
  EXPECT_EQ(policy.refusal(ip("255.255.255.255")), "255.255.255.255 is reserved");
}

TEST(OutboundPolicy, AllowsPublicUnicast) {
  const OutboundPolicy policy;
  for (const char* text :
       {"8.8.8.8", "1.1.1.1", "100.128.0.1", "172.32.0.1", "192.0.1.1", "2606:4700:4700::1111",
        "2a00:1450::1", "::ffff:8.8.8.8", "64:ff9b::808:808"}) {
    EXPECT_FALSE(policy.refusal(ip(text))) << text;
  }
}

TEST(OutboundPolicy, AllowListIsTheOnlyWayThrough) {
  const auto policy = allowing({"127.0.0.1/32", "fd12::/16"});
  EXPECT_FALSE(policy.refusal(ip("127.0.0.1")));
  EXPECT_FALSE(policy.refusal(ip("::ffff:127.0.0.1")));  // the same host, mapped
  EXPECT_FALSE(policy.refusal(ip("fd12:3456::1")));
  EXPECT_TRUE(policy.refusal(ip("127.0.0.2")));
  EXPECT_TRUE(policy.refusal(ip("::1")));
  EXPECT_TRUE(policy.refusal(ip("fd13::1")));
  EXPECT_TRUE(policy.refusal(ip("169.254.169.254")));
  EXPECT_TRUE(policy.refusal(ip("10.0.0.1")));

  // Allowing a private network does not open the metadata address inside link-local.
  const auto private_only = allowing({"10.0.0.0/8"});
  EXPECT_FALSE(private_only.refusal(ip("10.1.2.3")));
  EXPECT_TRUE(private_only.refusal(ip("169.254.169.254")));
  EXPECT_TRUE(private_only.refusal(ip("192.168.0.1")));
}

TEST(OutboundPolicy, BadAllowEntriesAreConfigurationErrors) {
  EXPECT_FALSE(OutboundPolicy::make({"127.0.0.1/33"}, false));
  EXPECT_FALSE(OutboundPolicy::make({"localhost"}, false));
  EXPECT_TRUE(OutboundPolicy::make({}, true));
}

TEST(OutboundPolicy, UrlChecks) {
  const auto https_only = allowing({"127.0.0.1/32"}, true);
  auto plain = parse_http_url("http://127.0.0.1:8080/");
  ASSERT_TRUE(plain);
  ASSERT_TRUE(https_only.refusal(*plain));
  EXPECT_NE(https_only.refusal(*plain)->find("https is required"), std::string::npos);
  auto tls = parse_http_url("https://127.0.0.1:8443/");
  ASSERT_TRUE(tls);
  EXPECT_FALSE(https_only.refusal(*tls));

  const OutboundPolicy defaults;
  auto literal = parse_http_url("http://[::ffff:169.254.169.254]/latest/meta-data/");
  ASSERT_TRUE(literal);
  EXPECT_TRUE(defaults.refusal(*literal));
  // A name is judged once its addresses are known.
  auto name = parse_http_url("http://hooks.example.com/");
  ASSERT_TRUE(name);
  EXPECT_FALSE(defaults.refusal(*name));
}

}  // namespace
}  // namespace hookgate::net
