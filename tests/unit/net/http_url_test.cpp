// The outbound URL parser: what it accepts, and every ambiguous form it refuses rather than
// guessing how a resolver or another parser would read it.
#include "hookgate/net/http_url.hpp"

#include <gtest/gtest.h>

namespace hookgate::net {
namespace {

TEST(HttpUrl, ParsesNamesAddressesPortsAndTargets) {
  auto u = parse_http_url("https://Hooks.Example.COM/in/x?a=1&b=%2F");
  ASSERT_TRUE(u) << u.error();
  EXPECT_TRUE(u->https);
  EXPECT_EQ(u->host, "hooks.example.com");
  EXPECT_FALSE(u->ip);
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->target, "/in/x?a=1&b=%2F");
  EXPECT_EQ(u->authority(), "hooks.example.com");

  u = parse_http_url("HTTP://127.0.0.1:8080");
  ASSERT_TRUE(u) << u.error();
  EXPECT_FALSE(u->https);
  ASSERT_TRUE(u->ip);
  EXPECT_EQ(u->ip->to_string(), "127.0.0.1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->target, "/");
  EXPECT_EQ(u->authority(), "127.0.0.1:8080");

  u = parse_http_url("http://[::1]:9000?q=1#frag");
  ASSERT_TRUE(u) << u.error();
  ASSERT_TRUE(u->ip);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9000);
  EXPECT_EQ(u->target, "/?q=1");  // the fragment is never sent
  EXPECT_EQ(u->authority(), "[::1]:9000");

  u = parse_http_url("http://[::FFFF:7f00:1]/");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->host, "::ffff:127.0.0.1");

  u = parse_http_url("http://my_service.internal.:80/a");
  ASSERT_TRUE(u) << u.error();
  EXPECT_EQ(u->host, "my_service.internal.");
  EXPECT_EQ(u->authority(), "my_service.internal.");

  u = parse_http_url("http://1.2.3.4./");  // the trailing dot of an absolute name
  ASSERT_TRUE(u) << u.error();
  ASSERT_TRUE(u->ip);
  EXPECT_EQ(u->host, "1.2.3.4");
}

TEST(HttpUrl, RefusesAmbiguousAndForeignForms) {
  for (const char* bad : {
           "ftp://example.com/",
           "file:///etc/passwd",
           "gopher://127.0.0.1:6379/_",
           "//example.com/",
           "example.com/",
           "http:/example.com/",
           "http:\\\\example.com/",
           "http://user:pass@example.com/",  // userinfo
           "http://example.com@127.0.0.1/",  // the classic confusion
           "http://@example.com/",
           "http:///path",
           "http://:80/",
           "http://example.com:/",
           "http://example.com:0/",
           "http://example.com:65536/",
           "http://example.com:80a/",
           "http://example.com:-1/",
           "http://127.1/",  // shortened IPv4
           "http://0x7f.0.0.1/",
           "http://0177.0.0.1/",
           "http://2130706433/",
           "http://127.0.0.1.5/",
           "http://example.123/",
           "http://[::1/",
           "http://[::1]x/",
           "http://[127.0.0.1]/",
           "http://[fe80::1%25eth0]/",  // zone id
           "http://[v1.fe80::1]/",
           "http://exa mple.com/",
           "http://example.com\\@evil.com/",
           "http://example.com/a b",
           "http://example.com/a\r\nX-Injected: 1",
           "http://example.com/\x7f",
           "http://ex\xc3\xa4mple.com/",
           "http://example.com/\xc3\xa4",
           "http://example.com/%",
           "http://example.com/%2",
           "http://example.com/%zz",
           "http://-bad..example.com/",
           "http://.example.com/",
           "http://a]b/",
       }) {
    EXPECT_FALSE(parse_http_url(bad)) << bad;
  }
  EXPECT_FALSE(parse_http_url("http://" + std::string(64, 'a') + ".com/"));
  EXPECT_FALSE(parse_http_url("http://" + std::string(kMaxUrlBytes, 'a')));
  std::string long_name;
  for (int i = 0; i < 64; ++i)
    long_name += "abc.";
  EXPECT_FALSE(parse_http_url("http://" + long_name + "com/"));
}

TEST(HttpUrl, ErrorsDoNotEchoTheUrl) {
  const auto r = parse_http_url("http://user:s3cr3t@example.com/?token=s3cr3t");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().find("s3cr3t"), std::string::npos) << r.error();
  const auto q = parse_http_url("http://example.com/?token=s3cr3t%zz");
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().find("s3cr3t"), std::string::npos) << q.error();
}

}  // namespace
}  // namespace hookgate::net
