// Provider handshakes and challenges (URL verification), as pure request -> response logic.
// The gateway asks answer() about every request to a source; when it is a handshake, the outcome
// says what to send back and whether the request's signature must be verified first. Nothing here
// does I/O: visiting an AWS SNS SubscribeURL or keeping an Asana secret is the caller's job.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hookgate/schemes/header_list.hpp"

namespace hookgate::handshakes {

enum class Kind {
  asana,                 // POST with X-Hook-Secret -> echo it in the response header
  slack,                 // signed POST {"type":"url_verification","challenge":..} -> challenge
  zoom,                  // signed POST endpoint.url_validation -> {plainToken, encryptedToken}
  msgraph,               // POST ?validationToken=.. -> the token as text/plain
  meta,                  // GET hub.mode=subscribe&hub.verify_token=..&hub.challenge=.. -> challenge
  dropbox,               // GET ?challenge=.. -> challenge, text/plain + nosniff
  twitter_crc,           // GET ?crc_token=.. -> {"response_token":"sha256=" + b64 HMAC}
  twitch,                // signed POST, message type webhook_callback_verification -> challenge
  discord_interactions,  // signed POST {"type":1} -> {"type":1}
  discord_events,        // signed POST {"type":0} (webhook events PING) -> 204
  okta,                  // GET with X-Okta-Verification-Challenge -> {"verification":..}
  aws_sns,               // signed SubscriptionConfirmation -> visit SubscribeURL
  hookgate,              // signed {"type":"endpoint.verification"} from a Hookgate sender ->
                         // echo X-Hook-Secret, return {"challenge": ..}
};
std::optional<Kind> parse_kind(std::string_view name);
std::string_view to_string(Kind kind);

struct Request {
  std::string_view method;
  std::string_view url;  // full URL, query included
  const schemes::HeaderList& headers;
  std::string_view body;
};

struct Response {
  int status = 200;
  schemes::HeaderList headers;  // Content-Type and any echoed header
  std::string body;
};

// Per-source values some handshakes need.
struct Context {
  std::string_view secret;        // Zoom secret token, X consumer secret
  std::string_view verify_token;  // Meta hub.verify_token
};

struct Outcome {
  enum class Action {
    not_handshake,  // an ordinary event: verify and accept it as usual
    respond,        // send response (after verifying the signature when verify_first)
    refuse,         // a handshake that must not be answered (bad verify token, ...): 403
  };
  Action action = Action::not_handshake;
  bool verify_first = false;  // the provider signs its handshake: check it before responding
  Response response;
  std::string reason;          // for refuse, and for logs
  std::string offered_secret;  // Asana: the X-Hook-Secret offered (the caller decides to keep it)
  std::string visit_url;       // AWS SNS: the SubscribeURL to GET once verified
};

// Bounds on echoed values: a challenge is short; a longer one is refused rather than reflected.
inline constexpr std::size_t kMaxChallengeBytes = 2048;

Outcome answer(Kind kind, const Request& request, const Context& context);

}  // namespace hookgate::handshakes
