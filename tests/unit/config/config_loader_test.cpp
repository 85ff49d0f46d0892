// The config loader: the annotated example loads; mistakes name file, line and key.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "hookgate/config/config.hpp"
#include "hookgate/net/http_url.hpp"
#include "hookgate/net/outbound_policy.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::config {
namespace {

class ConfigLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("GITHUB_WEBHOOK_SECRET", "gh-secret", 1);
    setenv("STRIPE_WEBHOOK_SECRET", "whsec_stripe", 1);
    setenv("STRIPE_PULL_TOKEN", "pull-token", 1);
    setenv("ORDERS_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1);
    setenv("HOOKGATE_ADMIN_KEY", "admin-key-for-the-example-config", 1);
  }
};

TEST_F(ConfigLoader, TheAnnotatedExampleLoads) {
  auto c = load_config(std::string(HOOKGATE_SOURCE_DIR) + "/examples/hookgate.toml");
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->listeners.size(), 1u);
  EXPECT_EQ(c->listeners[0].port, 8080);
  EXPECT_EQ(c->store_url, "sqlite://" + std::string(HOOKGATE_SOURCE_DIR) + "/examples/hookgate.db");
  ASSERT_EQ(c->sources.size(), 4u);
  EXPECT_EQ(c->sources[0].secrets[0].value, "gh-secret");
  EXPECT_EQ(c->sources[1].path, "/in/stripe");
  EXPECT_EQ(c->sources[2].handshake, "asana");
  EXPECT_EQ(c->sources[3].secrets[0].value, "acme-example-secret");  // file:, newline trimmed
  EXPECT_NE(c->catalogue.find("acme"), nullptr);
  ASSERT_EQ(c->destinations.size(), 3u);
  EXPECT_EQ(c->destinations[2].kind, Destination::Kind::command);
  EXPECT_EQ(c->routes[1].match.at("data.object.currency"), "eur");
  EXPECT_EQ(c->delivery.schedule.size(), 9u);
  EXPECT_EQ(c->delivery.lease, std::chrono::seconds(30));
  EXPECT_TRUE(c->api.enabled);
  ASSERT_EQ(c->api.admin_keys.size(), 1u);
  EXPECT_EQ(c->api.admin_keys[0].value, "admin-key-for-the-example-config");
  EXPECT_TRUE(c->outbound.require_https);
  EXPECT_EQ(c->outbound.operational_destinations, std::vector<std::string>{"audit"});
  EXPECT_EQ(c->retention.events, std::chrono::seconds(30 * 86400));
  EXPECT_EQ(c->retention.batch, 1000u);
}

struct Bad {
  const char* text;
  const char* message;
};

TEST_F(ConfigLoader, MistakesNameFileLineAndKey) {
  const Bad cases[] = {
      {"[server]\nlisten = \"127.0.0.1\"\n", "bad.toml:2: key 'server.listen': expected HOST:PORT"},
      {"[server]\nlisten = \"127.0.0.1:99999\"\n", "bad.toml:2: key 'server.listen': port"},
      {"[server]\nlisen = \"127.0.0.1:8080\"\n", "bad.toml:2: key 'server.lisen': unknown key"},
      {"[retention]\nevents_days = -1\n", "bad.toml:2: key 'retention.events_days'"},
      {"[retention]\nbatch = 0\n", "bad.toml:2: key 'retention.batch'"},
      {"[[source]]\nname = \"a\"\nscheme = \"nope\"\nsecrets = [\"x\"]\n",
       "bad.toml:3: key 'source[0].scheme': unknown scheme 'nope'"},
      {"[[source]]\nname = \"a\"\nscheme = \"github\"\n",
       "key 'source[0].secrets': source a has no secrets"},
      {"[[source]]\nname = \"a\"\nscheme = \"github\"\nsecrets = [\"env:HOOKGATE_UNSET_VAR\"]\n",
       "bad.toml:4: key 'source[0].secrets': environment variable HOOKGATE_UNSET_VAR is not set"},
      {"[[source]]\nname = \"a\"\nscheme = \"github\"\nsecrets = [\"file:/nonexistent/s\"]\n",
       "key 'source[0].secrets': cannot read /nonexistent/s"},
      {"[[route]]\nfrom = \"nobody\"\nto = [\"x\"]\n",
       "bad.toml:2: key 'route[0].from': no [[source]] is named 'nobody'"},
      {"[[destination]]\nname = \"d\"\nurl = \"ftp://x\"\n",
       "bad.toml:3: key 'destination[0].url': must be an http"},
      {"[[destination]]\nname = \"d\"\nurl = \"http://127.0.0.1:1/\"\n",
       "key 'destination[0].secret': standard-webhooks signing needs"},
      {"[[listener]]\nlisten = \":8443\"\nrequire_client_certificate = true\n",
       "client certificates need TLS"},
      {"[store]\nurl = \"mysql://x\"\n", "bad.toml:2: key 'store.url': expected sqlite://"},
      {"[delivery]\njitter = 2.0\n", "bad.toml:2: key 'delivery.jitter'"},
      {"[[scheme]]\nname = \"x\"\ncontent = \"{body}\"\n[scheme.signature]\nheader = \"X\"\n"
       "algorithm = \"md5\"\n",
       "bad.toml:6: key 'scheme[0].signature.algorithm': unknown algorithm 'md5'"},
      {"[server\n", "bad.toml:1:"},
      {"[api]\nadmin_keys = [\"short\"]\n",
       "bad.toml:2: key 'api.admin_keys': an admin key must be at least 24 characters"},
      {"[outbound]\nallow_cidr = []\n", "bad.toml:2: key 'outbound.allow_cidr': unknown key"},
      {"[outbound]\nallow_cidrs = [\"10.0.0.0/8\", \"x\"]\n",
       "bad.toml:2: key 'outbound.allow_cidrs': 'x': "},
      {"[[source]]\nname = \"a\"\nscheme = \"github\"\nsecrets = [\"s\"]\n"
       "allow_ips = [\"10.0.0.0/33\"]\n",
       "bad.toml:5: key 'source[0].allow_ips': '10.0.0.0/33': "},
      {"[[source]]\nname = \"a\"\nscheme = \"github\"\nsecrets = [\"s\"]\n"
       "trusted_proxies = [\"10.0.0.1/\"]\n",
       "bad.toml:5: key 'source[0].trusted_proxies': '10.0.0.1/': "},
      {"[metrics]\nallow = [\"::1/129\"]\n", "bad.toml:2: key 'metrics.allow': '::1/129': "},
      {"[metrics]\ntoken = \"short\"\n",
       "bad.toml:2: key 'metrics.token': a metrics token must be at least 24 characters"},
      {"[metrics]\nallowed = []\n", "bad.toml:2: key 'metrics.allowed': unknown key"},
      {"[outbound]\noperational_destinations = [\"ops\"]\n",
       "key 'outbound.operational_destinations': no [[destination]] is named 'ops'"},
      {"[delivery]\nlease_seconds = 5\n[[destination]]\nname = \"f\"\nfile = \"x\"\n",
       "key 'delivery.lease_seconds': must exceed destination f's timeout_ms"},
      {"[[source]]\nname = \"a\"\nscheme = \"standard-webhooks\"\nsecrets = "
       "[\"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"]\nexpect_app_id = \"a/b\"\n",
       "bad.toml:5: key 'source[0].expect_app_id'"},
  };
  for (const auto& c : cases) {
    auto r = parse_config(c.text, "bad.toml");
    ASSERT_FALSE(r) << c.text;
    EXPECT_NE(r.error().find(c.message), std::string::npos)
        << "got:  " << r.error() << "\nwant: " << c.message;
  }
}

TEST_F(ConfigLoader, SecretsAreNotEchoedInErrors) {
  auto r = parse_config(
      "[[source]]\nname = \"a\"\nscheme = \"zoho-projects\"\nsecrets = [\"tiny\"]\n"
      "[[source]]\nname = \"a\"\nscheme = \"github\"\nsecrets = [\"supersecretvalue\"]\n",
      "bad.toml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().find("supersecretvalue"), std::string::npos);
}

TEST_F(ConfigLoader, RequireHttpsDefaultsToTrueAndRefusesPlainHttpEndpoints) {
  auto c = parse_config("[outbound]\nallow_cidrs = [\"127.0.0.1/32\"]\n", "t.toml");
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->outbound.require_https);
  auto policy = net::OutboundPolicy::make(c->outbound.allow_cidrs, c->outbound.require_https);
  ASSERT_TRUE(policy) << policy.error();
  auto plain = net::parse_http_url("http://127.0.0.1:8080/hook");
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_TRUE(policy->refusal(*plain));
  auto tls = net::parse_http_url("https://127.0.0.1:8443/hook");
  ASSERT_TRUE(tls) << tls.error();
  EXPECT_FALSE(policy->refusal(*tls));
  // Only an explicit false lets plain http through.
  auto off = parse_config("[outbound]\nrequire_https = false\n", "t.toml");
  ASSERT_TRUE(off) << off.error();
  EXPECT_FALSE(off->outbound.require_https);
  // No [outbound] table at all: still the safe default.
  auto none = parse_config("", "t.toml");
  ASSERT_TRUE(none) << none.error();
  EXPECT_TRUE(none->outbound.require_https);
}

TEST_F(ConfigLoader, StoreUrlTakesEnvAndFileReferences) {
  setenv("HOOKGATE_TEST_STORE_URL", "postgres://hookgate:pg-pass-from-env@db.internal/hookgate", 1);
  auto env = parse_config("[store]\nurl = \"env:HOOKGATE_TEST_STORE_URL\"\n", "t.toml");
  ASSERT_TRUE(env) << env.error();
  EXPECT_EQ(env->store_url, "postgres://hookgate:pg-pass-from-env@db.internal/hookgate");

  const auto dir =
      std::filesystem::temp_directory_path() / ("hookgate-store-url-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "store-url") << "postgresql://hookgate:pg-pass-from-file@db/hookgate\n";
  std::ofstream(dir / "hookgate.toml") << "[store]\nurl = \"file:store-url\"\n";
  auto file = load_config((dir / "hookgate.toml").string());
  ASSERT_TRUE(file) << file.error();
  EXPECT_EQ(file->store_url, "postgresql://hookgate:pg-pass-from-file@db/hookgate");
  std::filesystem::remove_all(dir);

  // A reference to nothing names the variable, and a resolved URL is still checked.
  auto unset = parse_config("[store]\nurl = \"env:HOOKGATE_UNSET_STORE_URL\"\n", "t.toml");
  ASSERT_FALSE(unset);
  EXPECT_NE(unset.error().find("HOOKGATE_UNSET_STORE_URL"), std::string::npos);
  setenv("HOOKGATE_TEST_STORE_URL", "mysql://root:pg-pass-from-env@db/x", 1);
  auto wrong = parse_config("[store]\nurl = \"env:HOOKGATE_TEST_STORE_URL\"\n", "t.toml");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().find("pg-pass-from-env"), std::string::npos) << wrong.error();
  unsetenv("HOOKGATE_TEST_STORE_URL");
}

TEST_F(ConfigLoader, AStoreUrlPasswordNeverReachesAnError) {
  // Port 1 on loopback: the connection is refused and the error names the server.
  setenv("HOOKGATE_TEST_STORE_URL", "postgres://hookgate:Zq8-never-print@127.0.0.1:1/hookgate", 1);
  auto c = parse_config("[store]\nurl = \"env:HOOKGATE_TEST_STORE_URL\"\n", "t.toml");
  ASSERT_TRUE(c) << c.error();
  auto opened = store::open_store(c->store_url);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().find("Zq8-never-print"), std::string::npos) << opened.error();
  EXPECT_NE(opened.error().find("127.0.0.1"), std::string::npos) << opened.error();
  auto unknown = store::open_store("mysql://root:Zq8-never-print@db/x");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().find("Zq8-never-print"), std::string::npos) << unknown.error();
  unsetenv("HOOKGATE_TEST_STORE_URL");
}

TEST_F(ConfigLoader, MacHandshakesRefuseSchemesTheirAnswerCouldSignFor) {
  // X's CRC under a Mailgun source: HMAC(secret, token) would be Mailgun's signature of a body
  // whose signature.timestamp + signature.token are the token.
  auto mailgun = parse_config(
      "[[source]]\nname = \"m\"\nscheme = \"mailgun\"\nsecrets = [\"key-0123456789abcdef\"]\n"
      "handshake = \"twitter-crc\"\n",
      "t.toml");
  ASSERT_FALSE(mailgun);
  EXPECT_NE(mailgun.error().find("key 'source[0].handshake'"), std::string::npos)
      << mailgun.error();
  // The same secret on an X source and a GitHub source: the CRC would sign GitHub events.
  auto shared = parse_config(
      "[[source]]\nname = \"x\"\nscheme = \"x-twitter\"\nsecrets = [\"one-shared-secret\"]\n"
      "[[source]]\nname = \"gh\"\nscheme = \"github\"\nsecrets = [\"one-shared-secret\"]\n",
      "t.toml");
  ASSERT_FALSE(shared);
  EXPECT_NE(shared.error().find("source x: its secret is also a secret of source gh"),
            std::string::npos)
      << shared.error();
  EXPECT_EQ(shared.error().find("one-shared-secret"), std::string::npos);
  // The providers' own pairs load.
  auto own = parse_config(
      "[[source]]\nname = \"x\"\nscheme = \"x-twitter\"\nsecrets = [\"x-secret\"]\n"
      "[[source]]\nname = \"z\"\nscheme = \"zoom\"\nsecrets = [\"z-secret\"]\n",
      "t.toml");
  EXPECT_TRUE(own) << own.error();
}

TEST_F(ConfigLoader, ConnectionsPerIpAreBounded) {
  auto fallback = parse_config("[server]\nlisten = \"127.0.0.1:0\"\n", "c.toml");
  ASSERT_TRUE(fallback) << fallback.error();
  EXPECT_EQ(fallback->limits.max_connections_per_ip, 256u);
  auto set = parse_config("[server]\nmax_connections_per_ip = 8\n", "c.toml");
  ASSERT_TRUE(set) << set.error();
  EXPECT_EQ(set->limits.max_connections_per_ip, 8u);
  auto zero = parse_config("[server]\nmax_connections_per_ip = 0\n", "c.toml");
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().find("server.max_connections_per_ip"), std::string::npos) << zero.error();
}

TEST_F(ConfigLoader, StreamsAreBoundedAndCapabilitiesUnguessable) {
  auto fallback = parse_config("", "c.toml");
  ASSERT_TRUE(fallback) << fallback.error();
  EXPECT_EQ(fallback->streams.ping_interval, std::chrono::seconds(30));
  EXPECT_EQ(fallback->streams.max_streams, 1024u);
  auto set = parse_config(
      "[streams]\nping_interval_ms = 500\nbuffer_bytes = 65536\nmax_streams_per_ip = 2\n",
      "c.toml");
  ASSERT_TRUE(set) << set.error();
  EXPECT_EQ(set->streams.ping_interval, std::chrono::milliseconds(500));
  EXPECT_EQ(set->streams.buffer_bytes, 65536u);
  EXPECT_EQ(set->streams.max_streams_per_ip, 2u);
  for (const auto* bad : {"[streams]\nbuffer_bytes = 10\n", "[streams]\nmax_streams = 0\n",
                          "[streams]\nping = 1\n"}) {
    EXPECT_FALSE(parse_config(bad, "c.toml")) << bad;
  }
  const std::string source =
      "[[source]]\nname = \"gh\"\nscheme = \"github\"\nsecrets = [\"s\"]\n"
      "stream_capability = ";
  auto good = parse_config(source + "\"0123456789abcdef0123456789ABCDEF_-\"\n", "c.toml");
  ASSERT_TRUE(good) << good.error();
  EXPECT_EQ(good->sources[0].stream_capability->value, "0123456789abcdef0123456789ABCDEF_-");
  for (const auto* bad : {"\"short\"", "\"0123456789abcdef0123456789abcdef/..\"",
                          "\"0123456789abcdef0123456789abcdef?x=1\""}) {
    auto r = parse_config(source + bad + "\n", "c.toml");
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().find("stream_capability"), std::string::npos) << r.error();
  }
}

}  // namespace
}  // namespace hookgate::config
