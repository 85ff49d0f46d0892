// Handshake detection and answers, one small function per provider pattern (providers.md §1).
#include "hookgate/handshakes/handshake.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::handshakes {
namespace {

using schemes::JsonBody;
using schemes::url_query_param;
using Action = Outcome::Action;

constexpr std::string_view kTokenFormat = "a token of 1-255 letters, digits, '-_+/=' (not JSON)";
constexpr std::size_t kMinAsanaSecretBytes = 32;
constexpr std::size_t kMaxMetaChallengeDigits = 20;
constexpr std::size_t kMaxSubscribeUrlBytes = 2048;

constexpr std::pair<std::string_view, Kind> kNames[] = {
    {"asana", Kind::asana},
    {"slack", Kind::slack},
    {"zoom", Kind::zoom},
    {"msgraph", Kind::msgraph},
    {"meta", Kind::meta},
    {"dropbox", Kind::dropbox},
    {"twitter-crc", Kind::twitter_crc},
    {"twitch", Kind::twitch},
    {"discord-interactions", Kind::discord_interactions},
    {"discord-events", Kind::discord_events},
    {"okta", Kind::okta},
    {"aws-sns", Kind::aws_sns},
    {"hookgate", Kind::hookgate},
};

// 403: the request is well formed but not allowed (wrong verify token, no key configured).
Outcome refuse(std::string reason) {
  Outcome o;
  o.action = Action::refuse;
  o.response.status = 403;
  o.reason = std::move(reason);
  return o;
}

// 400: the token is not in the provider's documented format; nothing is echoed or computed.
Outcome malformed(std::string reason) {
  auto o = refuse(std::move(reason));
  o.response.status = 400;
  return o;
}

Outcome text(std::string body, bool verify_first, bool nosniff = false) {
  Outcome o;
  o.action = Action::respond;
  o.verify_first = verify_first;
  o.response.headers.add("Content-Type", "text/plain; charset=utf-8");
  if (nosniff) o.response.headers.add("X-Content-Type-Options", "nosniff");
  o.response.body = std::move(body);
  return o;
}

Outcome json(const boost::json::object& body, bool verify_first, int status = 200) {
  Outcome o;
  o.action = Action::respond;
  o.verify_first = verify_first;
  o.response.status = status;
  o.response.headers.add("Content-Type", "application/json");
  o.response.body = boost::json::serialize(body);
  return o;
}

// Base64, base64url, hex and UUIDs: every opaque token the providers document. It has no '{', '"',
// ':', '.', space or control byte, so a token is never a JSON object or string and never equals
// content that holds any of those (signing_domain_conflict relies on this).
bool token_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '+' || c == '/' || c == '=';
}

bool opaque_token(std::string_view value, std::size_t min, std::size_t max) {
  if (value.size() < min || value.size() > max) return false;
  if (!std::all_of(value.begin(), value.end(), [](char c) { return token_char(c); })) return false;
  // "123", "-1", "1e5" are JSON numbers made of token characters: a body of such bytes would
  // parse as JSON, so a token never may be one.
  boost::system::error_code ec;
  (void)boost::json::parse(value, ec);
  return static_cast<bool>(ec);
}

bool digits(std::string_view value, std::size_t max) {
  return !value.empty() && value.size() <= max &&
         std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Printable ASCII with spaces (Microsoft Graph's "Validation: Testing client application
// reachability ... Request-Id: <uuid>"), never something that starts like a JSON, XML or HTML
// document: a reflected structure could pass for an answer to someone else's challenge.
bool printable_text(std::string_view value, std::size_t max) {
  if (value.empty() || value.size() > max) return false;
  if (!std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c <= 0x7e; })) {
    return false;
  }
  const auto first = value.find_first_not_of(' ');
  if (first == std::string_view::npos) return false;
  if (std::string_view("{[\"<").find(value[first]) != std::string_view::npos) return false;
  boost::system::error_code ec;
  (void)boost::json::parse(value, ec);
  return static_cast<bool>(ec);
}

std::string bad(std::string_view what, std::string_view format) {
  return std::string(what) + " is not " + std::string(format);
}

// Sources whose handshake answers with a MAC take only JSON-object events (what X and Zoom send):
// with tokens restricted to token_char, no event's signed content can then equal a token.
bool json_object_start(std::string_view body) {
  const auto first = body.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && body[first] == '{';
}

Outcome query_echo(const Request& r, std::string_view method, std::string_view param,
                   bool (*valid)(std::string_view), std::string_view format) {
  if (r.method != method) return {};
  auto value = url_query_param(r.url, param);
  if (!value) return {};
  if (!valid(*value)) return malformed(bad(param, format));
  return text(std::move(*value), false, true);
}

Outcome asana(const Request& r) {
  const auto secret = r.headers.get("X-Hook-Secret");
  if (!secret) return {};
  // It becomes the source's HMAC key: at least 128 bits' worth of hex (Asana sends 64 hex).
  if (!opaque_token(*secret, kMinAsanaSecretBytes, kMaxTokenBytes)) {
    return malformed(bad("X-Hook-Secret", "a token of 32-255 letters, digits, '-_+/='"));
  }
  Outcome o;
  o.action = Action::respond;
  o.response.headers.add("X-Hook-Secret", std::string(*secret));
  o.offered_secret = std::string(*secret);
  return o;
}

Outcome slack(const Request& r) {
  if (r.method != "POST") return {};
  const JsonBody body(r.body);
  if (body.field("type") != "url_verification") return {};
  auto challenge = body.field("challenge");
  if (!challenge) return malformed("url_verification without a challenge");
  if (!opaque_token(*challenge, 1, kMaxTokenBytes))
    return malformed(bad("challenge", kTokenFormat));
  return text(std::move(*challenge), true);
}

Outcome zoom(const Request& r, const Context& c) {
  if (r.method != "POST") return {};
  if (!json_object_start(r.body)) return malformed("Zoom events are JSON objects");
  const JsonBody body(r.body);
  if (body.field("event") != "endpoint.url_validation") return {};
  auto token = body.field("payload.plainToken");
  if (!token) return malformed("url_validation without a plainToken");
  if (!opaque_token(*token, 1, kMaxTokenBytes)) return malformed(bad("plainToken", kTokenFormat));
  if (c.secret.empty()) return refuse("no secret token configured for this source");
  const auto encrypted =
      crypto::hex_encode(crypto::hmac(crypto::DigestAlgorithm::sha256, c.secret, *token));
  return json({{"plainToken", *token}, {"encryptedToken", encrypted}}, true);
}

Outcome meta(const Request& r, const Context& c) {
  if (r.method != "GET") return {};
  const auto mode = url_query_param(r.url, "hub.mode");
  if (!mode) return {};
  if (*mode != "subscribe") return refuse("hub.mode is not subscribe");
  const auto token = url_query_param(r.url, "hub.verify_token");
  if (c.verify_token.empty() || !token || !crypto::constant_time_equal(*token, c.verify_token)) {
    return refuse("hub.verify_token does not match");
  }
  auto challenge = url_query_param(r.url, "hub.challenge");
  // Meta documents hub.challenge as an int.
  if (!challenge || !digits(*challenge, kMaxMetaChallengeDigits)) {
    return malformed(bad("hub.challenge", "an integer"));
  }
  return text(std::move(*challenge), false);
}

Outcome twitter(const Request& r, const Context& c) {
  if (r.method == "POST" && !json_object_start(r.body)) {
    return malformed("X events are JSON objects");
  }
  if (r.method != "GET") return {};
  const auto token = url_query_param(r.url, "crc_token");
  if (!token) return {};
  if (!opaque_token(*token, 1, kMaxTokenBytes)) return malformed(bad("crc_token", kTokenFormat));
  if (c.secret.empty()) return refuse("no consumer secret configured for this source");
  const auto mac = crypto::hmac(crypto::DigestAlgorithm::sha256, c.secret, *token);
  return json({{"response_token", "sha256=" + crypto::base64_encode(mac)}}, false);
}

Outcome twitch(const Request& r) {
  const auto type = r.headers.get("Twitch-Eventsub-Message-Type");
  if (type != "webhook_callback_verification") return {};
  const JsonBody body(r.body);
  auto challenge = body.field("challenge");
  if (!challenge) return malformed("verification without a challenge");
  if (!opaque_token(*challenge, 1, kMaxTokenBytes))
    return malformed(bad("challenge", kTokenFormat));
  return text(std::move(*challenge), true);
}

Outcome discord(const Request& r, std::string_view ping_type, bool events) {
  if (r.method != "POST") return {};
  const JsonBody body(r.body);
  if (body.field("type") != ping_type) return {};
  if (events) {
    Outcome o;
    o.action = Action::respond;
    o.verify_first = true;
    o.response.status = 204;
    return o;
  }
  return json({{"type", 1}}, true);
}

Outcome okta(const Request& r) {
  if (r.method != "GET") return {};
  const auto challenge = r.headers.get("X-Okta-Verification-Challenge");
  if (!challenge) return {};
  if (!opaque_token(*challenge, 1, kMaxTokenBytes)) {
    return malformed(bad("X-Okta-Verification-Challenge", kTokenFormat));
  }
  return json({{"verification", *challenge}}, false);
}

// The gateway will GET this URL, so it must be exactly the confirmation SNS documents: https,
// bounded, Action=ConfirmSubscription, for the TopicArn and Token of the (signed) message. The
// host is checked by the caller (schemes::sns_subscribe_url_allowed) before the visit.
Outcome aws_sns(const Request& r) {
  const auto type = r.headers.get("x-amz-sns-message-type");
  if (type != "SubscriptionConfirmation") return {};
  const JsonBody body(r.body);
  auto url = body.field("SubscribeURL");
  if (!url) return malformed("SubscriptionConfirmation without a SubscribeURL");
  const auto topic = body.field("TopicArn");
  const auto token = body.field("Token");
  const bool printable =
      std::all_of(url->begin(), url->end(), [](char c) { return c > 0x20 && c <= 0x7e; });
  if (url->size() > kMaxSubscribeUrlBytes || !printable || !url->starts_with("https://") ||
      url_query_param(*url, "Action") != "ConfirmSubscription" || !topic || !token ||
      token->size() > kMaxSubscribeUrlBytes || url_query_param(*url, "TopicArn") != *topic ||
      url_query_param(*url, "Token") != *token) {
    return malformed("SubscribeURL is not a ConfirmSubscription URL for this message");
  }
  Outcome o;
  o.action = Action::respond;
  o.verify_first = true;
  o.visit_url = std::move(*url);
  return o;
}

// A Hookgate sender verifying an endpoint (echo or challenge mode), signed like its deliveries.
Outcome hookgate(const Request& r) {
  if (r.method != "POST") return {};
  const JsonBody body(r.body);
  if (body.field("type") != "endpoint.verification") return {};
  Outcome o;
  o.action = Action::respond;
  o.verify_first = true;
  o.response.headers.add("Content-Type", "application/json");
  if (const auto secret = r.headers.get("X-Hook-Secret")) {
    if (!opaque_token(*secret, 1, kMaxTokenBytes)) {
      return malformed(bad("X-Hook-Secret", kTokenFormat));
    }
    o.response.headers.add("X-Hook-Secret", std::string(*secret));
  }
  boost::json::object answer;
  if (const auto challenge = body.field("challenge")) {
    if (!opaque_token(*challenge, 1, kMaxTokenBytes)) {
      return malformed(bad("challenge", kTokenFormat));
    }
    answer["challenge"] = *challenge;
  }
  o.response.body = boost::json::serialize(answer);
  return o;
}

}  // namespace

std::optional<Kind> parse_kind(std::string_view name) {
  for (const auto& [n, k] : kNames) {
    if (n == name) return k;
  }
  return std::nullopt;
}

std::string_view to_string(Kind kind) {
  for (const auto& [n, k] : kNames) {
    if (k == kind) return n;
  }
  return "unknown";
}

Outcome answer(Kind kind, const Request& request, const Context& context) {
  switch (kind) {
    case Kind::asana:
      return asana(request);
    case Kind::slack:
      return slack(request);
    case Kind::zoom:
      return zoom(request, context);
    case Kind::msgraph:
      return query_echo(
          request, "POST", "validationToken",
          [](std::string_view v) { return printable_text(v, kMaxTokenBytes * 4); },
          "printable text");
    case Kind::meta:
      return meta(request, context);
    case Kind::dropbox:
      return query_echo(
          request, "GET", "challenge",
          [](std::string_view v) { return opaque_token(v, 1, kMaxTokenBytes); }, kTokenFormat);
    case Kind::twitter_crc:
      return twitter(request, context);
    case Kind::twitch:
      return twitch(request);
    case Kind::discord_interactions:
      return discord(request, "1", false);
    case Kind::discord_events:
      return discord(request, "0", true);
    case Kind::okta:
      return okta(request);
    case Kind::aws_sns:
      return aws_sns(request);
    case Kind::hookgate:
      return hookgate(request);
  }
  return {};
}

bool answers_with_mac(Kind kind) {
  return kind == Kind::zoom || kind == Kind::twitter_crc;
}

std::optional<std::string> signing_domain_conflict(Kind kind, const schemes::Scheme& scheme) {
  if (!answers_with_mac(kind)) return std::nullopt;
  const std::string prefix = "handshake " + std::string(to_string(kind)) + " answers with an HMAC ";
  const auto algorithms = scheme.algorithms();
  const bool hmac = scheme.procedure.empty() && !algorithms.empty() &&
                    std::all_of(algorithms.begin(), algorithms.end(), [](schemes::Algorithm a) {
                      return a == schemes::Algorithm::hmac_sha1 ||
                             a == schemes::Algorithm::hmac_sha256 ||
                             a == schemes::Algorithm::hmac_sha512;
                    });
  if (!hmac) return prefix + "but scheme " + scheme.name + " is not an HMAC scheme";
  for (const auto& segment : scheme.content) {
    using K = schemes::Segment::Kind;
    if (segment.kind == K::body || segment.kind == K::url || segment.kind == K::url_decoded) {
      return std::nullopt;
    }
    if (segment.kind == K::literal &&
        !std::all_of(segment.text.begin(), segment.text.end(),
                     [](char c) { return token_char(static_cast<unsigned char>(c)); })) {
      return std::nullopt;
    }
  }
  return prefix + "of a token, and scheme " + scheme.name +
         " signs content that could equal one: its answer would be a valid event signature";
}

}  // namespace hookgate::handshakes
