// Handshake detection and answers, one small function per provider pattern (providers.md §1).
#include "hookgate/handshakes/handshake.hpp"

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

Outcome refuse(std::string reason) {
  Outcome o;
  o.action = Action::refuse;
  o.response.status = 403;
  o.reason = std::move(reason);
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

// Challenges are echoed to the provider; anything long or with control characters is refused
// rather than reflected (Microsoft and Dropbox both warn these values are attacker-controlled).
bool echoable(std::string_view value) {
  if (value.empty() || value.size() > kMaxChallengeBytes) return false;
  for (const unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

Outcome query_echo(const Request& r, std::string_view method, std::string_view param,
                   bool verify_first, bool nosniff) {
  if (r.method != method) return {};
  auto value = url_query_param(r.url, param);
  if (!value) return {};
  if (!echoable(*value)) return refuse(std::string(param) + " is empty, too long or not text");
  return text(std::move(*value), verify_first, nosniff);
}

Outcome asana(const Request& r) {
  const auto secret = r.headers.get("X-Hook-Secret");
  if (!secret) return {};
  if (!echoable(*secret)) return refuse("X-Hook-Secret is empty, too long or not text");
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
  if (!challenge || !echoable(*challenge)) return refuse("url_verification without a challenge");
  return text(std::move(*challenge), true);
}

Outcome zoom(const Request& r, const Context& c) {
  if (r.method != "POST") return {};
  const JsonBody body(r.body);
  if (body.field("event") != "endpoint.url_validation") return {};
  auto token = body.field("payload.plainToken");
  if (!token || !echoable(*token)) return refuse("url_validation without a plainToken");
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
  if (!challenge || !echoable(*challenge)) return refuse("hub.challenge is missing or invalid");
  return text(std::move(*challenge), false);
}

Outcome twitter(const Request& r, const Context& c) {
  if (r.method != "GET") return {};
  const auto token = url_query_param(r.url, "crc_token");
  if (!token) return {};
  if (!echoable(*token)) return refuse("crc_token is empty, too long or not text");
  if (c.secret.empty()) return refuse("no consumer secret configured for this source");
  const auto mac = crypto::hmac(crypto::DigestAlgorithm::sha256, c.secret, *token);
  return json({{"response_token", "sha256=" + crypto::base64_encode(mac)}}, false);
}

Outcome twitch(const Request& r) {
  const auto type = r.headers.get("Twitch-Eventsub-Message-Type");
  if (type != "webhook_callback_verification") return {};
  const JsonBody body(r.body);
  auto challenge = body.field("challenge");
  if (!challenge || !echoable(*challenge)) return refuse("verification without a challenge");
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
  if (!echoable(*challenge)) return refuse("verification challenge is empty, too long or not text");
  return json({{"verification", *challenge}}, false);
}

Outcome aws_sns(const Request& r) {
  const auto type = r.headers.get("x-amz-sns-message-type");
  if (type != "SubscriptionConfirmation") return {};
  const JsonBody body(r.body);
  auto url = body.field("SubscribeURL");
  if (!url) return refuse("SubscriptionConfirmation without a SubscribeURL");
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
    if (!echoable(*secret)) return refuse("X-Hook-Secret is empty, too long or not text");
    o.response.headers.add("X-Hook-Secret", std::string(*secret));
  }
  boost::json::object answer;
  if (const auto challenge = body.field("challenge")) {
    if (!echoable(*challenge)) return refuse("challenge is empty, too long or not text");
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
      return query_echo(request, "POST", "validationToken", false, true);
    case Kind::meta:
      return meta(request, context);
    case Kind::dropbox:
      return query_echo(request, "GET", "challenge", false, true);
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

}  // namespace hookgate::handshakes
