// Provider handshakes and challenges (URL verification), as pure request -> response logic.
// The gateway asks answer() about every request to a source; when it is a handshake, the outcome
// says what to send back and whether the request's signature must be verified first. Nothing here
// does I/O: visiting an AWS SNS SubscribeURL or keeping an Asana secret is the caller's job.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hookgate/schemes/header_list.hpp"
#include "hookgate/schemes/scheme.hpp"

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
    refuse,         // not answered: response.status is 400 (token not in the provider's documented
                    // format) or 403 (wrong verify token, no key configured)
  };
  Action action = Action::not_handshake;
  bool verify_first = false;  // the provider signs its handshake: check it before responding
  Response response;
  std::string reason;          // for refuse, and for logs
  std::string offered_secret;  // Asana: the X-Hook-Secret offered (the caller decides to keep it)
  std::string visit_url;       // AWS SNS: the SubscribeURL to GET once verified
};

// Bound on a handshake token (challenge, crc_token, plainToken, ...): the providers send 20-100
// bytes; anything longer is refused rather than echoed or MACed. docs/security.md "Handshakes"
// lists each handshake's accepted format.
inline constexpr std::size_t kMaxTokenBytes = 255;

Outcome answer(Kind kind, const Request& request, const Context& context);

// True for handshakes whose answer is a MAC under the source's event-signing key (Zoom, X CRC).
bool answers_with_mac(Kind kind);

// For a handshake that answers with a MAC, why the scheme's signed content could equal a
// handshake token (making the answer a valid event signature), or nullopt when it cannot: the
// scheme must be an HMAC whose content holds the body (events of such sources are JSON objects,
// which tokens never are), the URL, or a literal byte no token has (Zoom's "v0:").
std::optional<std::string> signing_domain_conflict(Kind kind, const schemes::Scheme& scheme);

}  // namespace hookgate::handshakes
