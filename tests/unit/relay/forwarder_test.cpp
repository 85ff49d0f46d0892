// The request the local server receives: original headers and bytes, or a Standard Webhooks
// re-signature that verifies; and the retry rules against a real loopback server.
#include "hookgate/relay/forwarder.hpp"

#include <gtest/gtest.h>

#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/verify.hpp"

namespace hookgate::relay {
namespace {

StreamEvent sample() {
  StreamEvent e;
  e.seq = 12;
  e.source = "github";
  e.event_type = "push";
  e.body = "{ \"a\" :1 }";
  e.headers.add("X-Hub-Signature-256", "sha256=00");
  e.headers.add("Content-Type", "application/json; charset=utf-8");
  return e;
}

TEST(Forwarder, SendsTheOriginalHeadersAndBytes) {
  ForwardOptions o;
  o.target_url = "http://127.0.0.1:9/webhook";
  auto f = Forwarder::create(o);
  ASSERT_TRUE(f) << f.error();
  const auto r = f->request_for(sample());
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->url, o.target_url);
  EXPECT_EQ(r->body, "{ \"a\" :1 }");
  EXPECT_EQ(r->headers.get("X-Hub-Signature-256"), "sha256=00");
  EXPECT_EQ(r->headers.get("Content-Type"), "application/json; charset=utf-8");
  auto bare = sample();
  bare.headers = {};
  EXPECT_EQ(f->request_for(bare)->headers.get("Content-Type"), "application/json");
  bare.body = "\x01\x02";
  EXPECT_EQ(f->request_for(bare)->headers.get("Content-Type"), "application/octet-stream");
}

TEST(Forwarder, ReSignsWithStandardWebhooksSoTheLibraryVerifies) {
  ForwardOptions o;
  o.target_url = "http://127.0.0.1:9/webhook";
  o.sign_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  auto f = Forwarder::create(o);
  ASSERT_TRUE(f) << f.error();
  const auto r = f->request_for(sample());
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->headers.get("webhook-id"), "github-12");
  auto catalogue = schemes::Catalogue::with_builtins();
  const auto* scheme = catalogue->find("standard-webhooks");
  auto key = schemes::Key::parse_secret(*scheme, o.sign_secret);
  const schemes::RequestView in{"POST", o.target_url, r->headers, r->body};
  const auto keys = std::vector<schemes::Key>{*key};
  const auto verdict = schemes::verify(*scheme, in, keys);
  EXPECT_TRUE(verdict.ok()) << verdict.detail;
  EXPECT_EQ(verdict.id, "github-12");
}

TEST(Forwarder, RefusesABadTargetOrSecretWithoutEchoingIt) {
  ForwardOptions o;
  o.target_url = "ftp://localhost/x";
  EXPECT_FALSE(Forwarder::create(o));
  o.target_url = "http://localhost/x";
  o.sign_secret = "not-a-whsec-SECRETVALUE";
  const auto f = Forwarder::create(o);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().find("SECRETVALUE"), std::string::npos) << f.error();
}

}  // namespace
}  // namespace hookgate::relay
