// /api/v1 called with a console session cookie instead of an API key: the session's key gives
// the scope and capabilities, and every method that can change state needs the session's CSRF
// token in X-CSRF-Token (a cross-site page can make the browser send the cookie, never the
// header: it cannot read the token, and SameSite=Strict keeps the cookie home besides).
#include "api/api_call.hpp"
#include "api/api_wire.hpp"

namespace hookgate::api {

std::optional<net::HttpResponse> ManagementApi::authenticate_session(Call& call,
                                                                     const std::string& session) {
  const auto& method = call.request.method;
  const bool safe = method == "GET" || method == "HEAD";
  // Checked before the session is even looked up: a forged request learns nothing.
  if (!safe && !ConsoleSessions::csrf_ok(call.request, session)) {
    call.verdict = "csrf";
    return http_error(403, "forbidden", "a console session needs its X-CSRF-Token here");
  }
  auto identity = sessions_->find(session);
  if (!identity) {
    call.verdict = "store_error";
    return from_error(identity.error());
  }
  if (!*identity) {
    call.verdict = "unauthorized";
    return http_error(401, "unauthorized", "the console session is over: log in again");
  }
  call.scope = (*identity)->scope;
  call.key = std::move((*identity)->key);
  return std::nullopt;
}

}  // namespace hookgate::api
