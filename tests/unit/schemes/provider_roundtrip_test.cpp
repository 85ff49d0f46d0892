// For every built-in scheme that can sign: sign -> verify with a fresh key, and the negatives the
// issue lists (tampered body and signature, wrong secret, stale and future timestamps, duplicate,
// empty and huge headers, non-UTF-8 and empty bodies).
#include <gtest/gtest.h>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/secret.hpp"
#include "hookgate/schemes/sign.hpp"
#include "hookgate/schemes/verify.hpp"

namespace hookgate::schemes {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

const Catalogue& catalogue() {
  static const Catalogue c = Catalogue::with_builtins().value();
  return c;
}

constexpr std::int64_t kNow = 1700000000;
constexpr std::string_view kUrl = "https://hooks.example.com/in/x?a=1";

struct Signed {
  std::vector<Key> verify_keys;
  std::vector<Key> wrong_keys;
  HeaderList headers;
};

std::vector<Key> make_keys(const Scheme& s, bool* asymmetric, std::vector<Key>* verify_keys) {
  auto generated = generate_secret(s);
  EXPECT_TRUE(generated) << s.name << ": " << generated.error();
  std::vector<Key> sign_keys;
  if (!generated->public_key.empty()) {
    *asymmetric = true;
    sign_keys.push_back(Key::parse_private_key(s, generated->secret).value());
    verify_keys->push_back(Key::parse_public_key(s, generated->public_key).value());
  } else {
    *asymmetric = false;
    sign_keys.push_back(Key::parse_secret(s, generated->secret).value());
    *verify_keys = sign_keys;
  }
  return sign_keys;
}

Verdict check(const Scheme& s, const HeaderList& h, std::string_view body,
              const std::vector<Key>& keys, std::int64_t now = kNow) {
  VerifyOptions o;
  o.now = system_clock::time_point(seconds(now));
  return verify(s, RequestView{"POST", kUrl, h, body}, keys, o);
}

bool signable(const Scheme& s) {
  return s.procedure.empty() && s.signature_json_field.empty();
}

// A body carrying the timestamp for schemes that read it from the JSON body (Linear).
std::string body_for(const Scheme& s, std::string plain) {
  if (s.timestamp.kind != Location::Kind::json_field) return plain;
  return "{\"" + s.timestamp.name + "\":" + std::to_string(kNow * 1000) + ",\"x\":\"" +
         crypto::hex_encode(plain) + "\"}";
}

// Replaces the value of every signature header with f(value).
HeaderList edit_signature(const Scheme& s, HeaderList h,
                          const std::function<std::string(std::string)>& f) {
  HeaderList out;
  for (const auto& [name, value] : h.items()) {
    const bool is_sig = std::any_of(s.signature_headers.begin(), s.signature_headers.end(),
                                    [&](const std::string& n) { return iequals(n, name); });
    out.add(name, is_sig ? f(value) : value);
  }
  return out;
}

TEST(ProviderRoundTrip, EverySignableSchemeVerifiesWhatItSigns) {
  std::size_t tested = 0;
  for (const auto& s : catalogue().all()) {
    if (!signable(s)) continue;
    SCOPED_TRACE(s.name);
    bool asymmetric = false;
    std::vector<Key> verify_keys;
    const auto sign_keys = make_keys(s, &asymmetric, &verify_keys);
    for (const std::string& plain : {std::string(R"({"event":"x"})"), std::string(),
                                     std::string("\xff\xfe\x00\x80 not utf-8", 15)}) {
      const std::string body = body_for(s, plain);
      auto headers =
          sign(s, SignInput{"POST", kUrl, body, "msg_1", system_clock::time_point(seconds(kNow))},
               sign_keys);
      ASSERT_TRUE(headers) << headers.error();
      const auto v = check(s, *headers, body, verify_keys);
      EXPECT_TRUE(v.ok()) << to_string(v.reason) << ": " << v.detail;
      if (s.algorithms().front() == Algorithm::token) continue;  // the body is not signed
      // A leading space keeps a JSON body JSON, so the change reaches the signature check.
      EXPECT_EQ(check(s, *headers, " " + body, verify_keys).reason, Reason::no_match);
    }
    ++tested;
  }
  EXPECT_GE(tested, 30u);
}

TEST(ProviderRoundTrip, Negatives) {
  for (const auto& s : catalogue().all()) {
    if (!signable(s)) continue;
    SCOPED_TRACE(s.name);
    bool asymmetric = false;
    std::vector<Key> verify_keys;
    const auto sign_keys = make_keys(s, &asymmetric, &verify_keys);
    const std::string body = body_for(s, "event");
    const auto headers =
        sign(s, SignInput{"POST", kUrl, body, "msg_1", system_clock::time_point(seconds(kNow))},
             sign_keys)
            .value();

    // Wrong secret or key.
    bool ignored = false;
    std::vector<Key> other;
    make_keys(s, &ignored, &other);
    EXPECT_EQ(check(s, headers, body, other).reason, Reason::no_match);

    // Tampered signature: change the last character to another digit (hex is case-insensitive,
    // so 'a' -> 'A' would be no change at all).
    const auto flipped = edit_signature(s, headers, [](std::string v) {
      v.back() = v.back() == '0' ? '1' : '0';
      return v;
    });
    const auto tampered = check(s, flipped, body, verify_keys).reason;
    EXPECT_TRUE(tampered == Reason::no_match || tampered == Reason::malformed_signature)
        << to_string(tampered) << " " << *flipped.get(s.signature_headers.front());

    // Duplicate, empty and huge signature headers.
    HeaderList duplicated = headers;
    duplicated.add(s.signature_headers.front(),
                   std::string(*headers.get(s.signature_headers.front())));
    EXPECT_EQ(check(s, duplicated, body, verify_keys).reason, Reason::duplicate_header);
    const auto empty = edit_signature(s, headers, [](const std::string&) { return std::string(); });
    const auto empty_reason = check(s, empty, body, verify_keys).reason;
    EXPECT_TRUE(empty_reason == Reason::malformed_signature ||
                empty_reason == Reason::missing_timestamp)
        << to_string(empty_reason);
    const auto huge = edit_signature(
        s, headers, [](const std::string& v) { return v + std::string(100 << 10, 'a'); });
    EXPECT_EQ(check(s, huge, body, verify_keys).reason, Reason::header_too_large);
    HeaderList none;
    EXPECT_EQ(check(s, none, body, verify_keys).reason, Reason::missing_signature);

    // Timestamps outside the tolerance, for schemes that carry one in a header or signature list.
    if (s.timestamp.kind == Location::Kind::header ||
        s.timestamp.kind == Location::Kind::list_field) {
      if (s.tolerance_past) {
        EXPECT_EQ(check(s, headers, body, verify_keys, kNow + s.tolerance_past->count() + 1).reason,
                  Reason::timestamp_too_old);
        EXPECT_TRUE(check(s, headers, body, verify_keys, kNow + s.tolerance_past->count()).ok());
      }
      if (s.tolerance_future) {
        EXPECT_EQ(
            check(s, headers, body, verify_keys, kNow - s.tolerance_future->count() - 1).reason,
            Reason::timestamp_in_future);
      }
    }
  }
}

TEST(ProviderRoundTrip, RotationSignsWithEveryKeyWhereTheSchemeCarriesSeveral) {
  for (const char* name : {"standard-webhooks", "stripe", "pagerduty", "box"}) {
    SCOPED_TRACE(name);
    const Scheme& s = *catalogue().find(name);
    const std::vector<Key> keys = {Key::parse_secret(s, generate_secret(s)->secret).value(),
                                   Key::parse_secret(s, generate_secret(s)->secret).value()};
    const auto headers =
        sign(s, SignInput{"POST", kUrl, "b", "msg_1", system_clock::time_point(seconds(kNow))},
             keys)
            .value();
    // A receiver holding only the old key, or only the new one, accepts it.
    EXPECT_TRUE(check(s, headers, "b", {keys[0]}).ok());
    EXPECT_TRUE(check(s, headers, "b", {keys[1]}).ok());
  }
}

TEST(ProviderRoundTrip, WrongKeyTypeIsNamed) {
  const Scheme& discord = *catalogue().find("discord");
  const auto secret = Key::parse_secret(discord, "a-shared-secret").value();
  const HeaderList h{{"X-Signature-Ed25519", std::string(128, 'a')},
                     {"X-Signature-Timestamp", "1"}};
  EXPECT_EQ(check(discord, h, "{}", {secret}).reason, Reason::wrong_key_type);
}

TEST(ProviderRoundTrip, ZohoSecretsAre16To128Characters) {
  const Scheme& zoho = *catalogue().find("zoho-projects");
  for (int i = 0; i < 20; ++i) {
    const auto secret = generate_secret(zoho)->secret;
    EXPECT_GE(secret.size(), 16u);
    EXPECT_LE(secret.size(), 128u);
  }
  EXPECT_FALSE(Key::parse_secret(zoho, "short"));
  EXPECT_FALSE(Key::parse_secret(zoho, std::string(129, 'a')));
}

}  // namespace
}  // namespace hookgate::schemes
