// The verification engine on small user-defined schemes: every Reason, rotation, tolerance
// bounds and the order of checks. Provider vectors live in providers_*_test.cpp.
#include "hookgate/schemes/verify.hpp"

#include <gtest/gtest.h>

#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "hookgate/schemes/sign.hpp"

namespace hookgate::schemes {
namespace {

using crypto::DigestAlgorithm;
using std::chrono::seconds;
using std::chrono::system_clock;

Scheme load(std::string_view text) {
  auto s = load_scheme(text, "test.toml");
  EXPECT_TRUE(s) << s.error();
  return s.value();
}

Key secret(const Scheme& s, std::string_view text) {
  auto k = Key::parse_secret(s, text);
  EXPECT_TRUE(k) << k.error();
  return k.value();
}

system_clock::time_point at(std::int64_t unix) {
  return system_clock::time_point(seconds(unix));
}

constexpr std::string_view kListScheme = R"(name = "acme"
content = "{timestamp}.{body}"
[signature]
header = "Acme-Signature"
list = ","
versions = { v1 = "hmac-sha256" }
[timestamp]
field = "t"
tolerance_past = 300
tolerance_future = 60
)";

std::string acme_header(std::string_view key, std::int64_t t, std::string_view body) {
  const std::string ts = std::to_string(t);
  return "t=" + ts + ",v1=" +
         crypto::hex_encode(
             crypto::hmac(DigestAlgorithm::sha256, key, ts + "." + std::string(body)));
}

Verdict check(const Scheme& s, const HeaderList& h, std::string_view body,
              std::span<const Key> keys, std::int64_t now) {
  return verify(s, RequestView{"POST", "https://h.example/in", h, body}, keys, {at(now), {}});
}

TEST(Verify, ValidListSignature) {
  const auto s = load(kListScheme);
  const Key keys[] = {secret(s, "k1")};
  const HeaderList h{{"acme-signature", acme_header("k1", 1000, "hi")}};
  const auto v = check(s, h, "hi", keys, 1000);
  EXPECT_TRUE(v.ok()) << v.detail;
  EXPECT_EQ(v.key_index, 0);
  EXPECT_EQ(v.timestamp, 1000);
}

TEST(Verify, RotationAnyKeyAnySignature) {
  const auto s = load(kListScheme);
  const Key keys[] = {secret(s, "old"), secret(s, "new")};
  // Header carries a garbage v1, an unknown v0 and the new key's v1.
  const auto good = acme_header("new", 1000, "hi");
  const HeaderList h{{"Acme-Signature", "t=1000,v1=00ff,v0=zz," + good.substr(good.find("v1="))}};
  const auto v = check(s, h, "hi", keys, 1000);
  EXPECT_TRUE(v.ok()) << v.detail;
  EXPECT_EQ(v.key_index, 1);
}

TEST(Verify, ReasonsInOrder) {
  const auto s = load(kListScheme);
  const Key keys[] = {secret(s, "k1")};
  const auto good = acme_header("k1", 1000, "hi");
  struct Case {
    HeaderList headers;
    std::string body;
    std::int64_t now;
    Reason want;
  };
  const std::vector<Case> cases = {
      {{}, "hi", 1000, Reason::missing_signature},
      {{{"Acme-Signature", good}, {"acme-signature", good}}, "hi", 1000, Reason::duplicate_header},
      {{{"Acme-Signature", std::string(kMaxHeaderBytes + 1, 'a')}},
       "hi",
       1000,
       Reason::header_too_large},
      {{{"Acme-Signature", "garbage"}}, "hi", 1000, Reason::malformed_signature},
      {{{"Acme-Signature", ""}}, "hi", 1000, Reason::malformed_signature},
      {{{"Acme-Signature", "t=1000,v0=abcd"}}, "hi", 1000, Reason::no_supported_version},
      {{{"Acme-Signature", "v1=abcd"}}, "hi", 1000, Reason::missing_timestamp},
      {{{"Acme-Signature", "t=1000,t=1000,v1=abcd"}}, "hi", 1000, Reason::malformed_signature},
      {{{"Acme-Signature", "t=yesterday,v1=abcd"}}, "hi", 1000, Reason::malformed_timestamp},
      {{{"Acme-Signature", "t=1000,v1=nothex"}}, "hi", 1000, Reason::malformed_signature},
      {{{"Acme-Signature", good}}, "hi!", 1000, Reason::no_match},
      {{{"Acme-Signature", good}}, "hi", 1301, Reason::timestamp_too_old},
      {{{"Acme-Signature", good}}, "hi", 939, Reason::timestamp_in_future},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto v = check(s, cases[i].headers, cases[i].body, keys, cases[i].now);
    EXPECT_EQ(v.reason, cases[i].want)
        << "case " << i << ": got " << to_string(v.reason) << " (" << v.detail << ")";
  }
  // Exactly at the bounds is accepted.
  EXPECT_TRUE(check(s, {{"Acme-Signature", good}}, "hi", keys, 1300).ok());
  EXPECT_TRUE(check(s, {{"Acme-Signature", good}}, "hi", keys, 940).ok());
}

TEST(Verify, ToleranceOverrideAppliesBothWays) {
  const auto s = load(kListScheme);
  const Key keys[] = {secret(s, "k1")};
  const HeaderList h{{"Acme-Signature", acme_header("k1", 1000, "hi")}};
  const RequestView req{"POST", "", h, "hi"};
  EXPECT_TRUE(verify(s, req, keys, {at(1010), seconds(10)}).ok());
  EXPECT_EQ(verify(s, req, keys, {at(1011), seconds(10)}).reason, Reason::timestamp_too_old);
  EXPECT_EQ(verify(s, req, keys, {at(989), seconds(10)}).reason, Reason::timestamp_in_future);
}

TEST(Verify, NoKeyAndWrongKeyType) {
  const auto s = load(kListScheme);
  const HeaderList h{{"Acme-Signature", acme_header("k1", 1000, "hi")}};
  EXPECT_EQ(check(s, h, "hi", {}, 1000).reason, Reason::no_key);
  // An Ed25519 public key (RFC 8032 test 1) cannot check HMAC signatures.
  auto pub =
      Key::parse_public_key(s, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  ASSERT_TRUE(pub) << pub.error();
  const Key keys[] = {pub.value()};
  EXPECT_EQ(check(s, h, "hi", keys, 1000).reason, Reason::wrong_key_type);
}

TEST(Verify, DetailNeverContainsTheExpectedSignature) {
  const auto s = load(kListScheme);
  const Key keys[] = {secret(s, "k1")};
  const auto good = acme_header("k1", 1000, "hi");
  const auto v = check(s, {{"Acme-Signature", good}}, "tampered", keys, 1000);
  ASSERT_EQ(v.reason, Reason::no_match);
  const auto expected =
      crypto::hex_encode(crypto::hmac(DigestAlgorithm::sha256, "k1", "1000.tampered"));
  EXPECT_EQ(v.detail.find(expected), std::string::npos);
  EXPECT_EQ(v.detail.find("k1"), std::string::npos);
}

TEST(Verify, ExpectHeadersAndHeaderPlaceholder) {
  const auto s = load(R"(name = "hdr"
content = "{header:X-Nonce}|{body}"
[signature]
header = "X-Sig"
algorithm = "hmac-sha1"
encoding = "base64"
expect_headers = { "X-Sig-Version" = "1" }
)");
  const Key keys[] = {secret(s, "k")};
  const auto sig = crypto::base64_encode(crypto::hmac(DigestAlgorithm::sha1, "k", "n1|b"));
  EXPECT_TRUE(check(s, {{"X-Sig", sig}, {"X-Nonce", "n1"}}, "b", keys, 0).ok());
  EXPECT_TRUE(
      check(s, {{"X-Sig", sig}, {"X-Nonce", "n1"}, {"X-Sig-Version", "1"}}, "b", keys, 0).ok());
  EXPECT_EQ(
      check(s, {{"X-Sig", sig}, {"X-Nonce", "n1"}, {"X-Sig-Version", "2"}}, "b", keys, 0).reason,
      Reason::unexpected_header_value);
  EXPECT_EQ(check(s, {{"X-Sig", sig}}, "b", keys, 0).reason, Reason::missing_field);
}

TEST(Verify, TokenSchemeComparesTheSecret) {
  const auto s = load(R"(name = "tok"
content = "{body}"
[signature]
header = "Authorization"
prefix = "Bearer "
algorithm = "token"
encoding = "text"
)");
  const Key keys[] = {secret(s, "s3cret")};
  EXPECT_TRUE(check(s, {{"Authorization", "Bearer s3cret"}}, "", keys, 0).ok());
  EXPECT_EQ(check(s, {{"Authorization", "Bearer s3creT"}}, "", keys, 0).reason, Reason::no_match);
  EXPECT_EQ(check(s, {{"Authorization", "Basic s3cret"}}, "", keys, 0).reason,
            Reason::malformed_signature);
}

TEST(Verify, SignThenVerifyWithEveryTimestampFormat) {
  for (const char* format : {"unix", "unix-ms", "rfc3339"}) {
    const auto s = load(std::string(R"(name = "fmt"
content = "{id}.{timestamp}.{body}"
[signature]
header = "Sig"
list = " "
pair = ","
versions = { v1 = "hmac-sha512" }
encoding = "base64url"
[timestamp]
header = "Ts"
tolerance = 5
format = ")") + format + "\"\n[id]\nheader = \"Id\"\nsigned = true\n");
    const Key keys[] = {secret(s, "key")};
    auto headers = sign(s, SignInput{"POST", "", "body", "", at(5000)}, keys);
    ASSERT_TRUE(headers) << headers.error();
    const auto v = check(s, *headers, "body", keys, 5004);
    EXPECT_TRUE(v.ok()) << format << ": " << v.detail;
    EXPECT_EQ(v.timestamp, 5000);
    EXPECT_TRUE(v.id.starts_with("msg_"));
    EXPECT_EQ(check(s, *headers, "body", keys, 5006).reason, Reason::timestamp_too_old);
  }
}

// The replay digest identifies the signed message, not the header that carried it: a resend that
// reorders or drops one of several signatures (rotation), re-encodes one, or changes unsigned
// headers maps to the same digest; any change to the signed bytes does not.
TEST(Verify, ContentDigestIsTheSameForEveryValidVariantOfOneMessage) {
  const auto s = load(kListScheme);
  const Key keys[] = {secret(s, "old"), secret(s, "new")};
  const std::string body = R"({"id":"evt_1"})";
  const auto old_sig = acme_header("old", 1000, body);
  const auto new_sig = acme_header("new", 1000, body);
  const auto new_item = new_sig.substr(new_sig.find(",v1="));  // ",v1=<hex>"
  const auto old_item = old_sig.substr(old_sig.find(",v1="));
  std::string upper = new_item;
  for (auto& c : upper)
    c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 32 : c);

  const auto digest_of = [&](const std::string& value, const char* extra = nullptr) {
    HeaderList h{{"Acme-Signature", value}};
    if (extra != nullptr) h.add("X-Unsigned", extra);
    const auto v = check(s, h, body, keys, 1000);
    EXPECT_TRUE(v.ok()) << value << ": " << v.detail;
    EXPECT_EQ(v.content_digest.size(), 64u);
    return v.content_digest;
  };
  const auto both = digest_of("t=1000" + old_item + new_item);
  EXPECT_EQ(digest_of("t=1000" + new_item + old_item), both);  // reordered
  EXPECT_EQ(digest_of("t=1000" + new_item), both);             // the first one dropped
  EXPECT_EQ(digest_of("t=1000" + old_item), both);             // the second one dropped
  EXPECT_EQ(digest_of("t=1000" + upper), both);                // upper-case hex
  EXPECT_EQ(digest_of("t=1000" + old_item + ",v0=ignored"), both);
  EXPECT_EQ(digest_of("t=1000" + old_item, "anything"), both);

  HeaderList other{{"Acme-Signature", acme_header("old", 1001, body)}};
  const auto later = check(s, other, body, keys, 1001);
  ASSERT_TRUE(later.ok());
  EXPECT_NE(later.content_digest, both);  // another signed timestamp: another message
}

// A plain-hash scheme hashes its secret into the signed content; the digest leaves it out, so
// the stored key says nothing about the secret and is the same under either rotated secret.
TEST(Verify, ContentDigestLeavesTheSecretOut) {
  const auto s = load(R"(name = "plain"
content = "{secret}{body}"
[signature]
header = "Sig"
algorithm = "sha256"
)");
  const Key keys[] = {secret(s, "one"), secret(s, "two")};
  const auto with = [&](std::string_view key) {
    HeaderList h{{"Sig", crypto::hex_encode(
                             crypto::digest(DigestAlgorithm::sha256, std::string(key) + "body"))}};
    const auto v = check(s, h, "body", keys, 1000);
    EXPECT_TRUE(v.ok()) << v.detail;
    return v.content_digest;
  };
  EXPECT_EQ(with("one"), with("two"));
  const std::string_view pieces[] = {"hookgate-replay-v1\n", std::string_view("plain\0", 6),
                                     "body"};
  EXPECT_EQ(with("one"), crypto::hex_encode(crypto::digest(DigestAlgorithm::sha256, pieces)));
}

}  // namespace
}  // namespace hookgate::schemes
