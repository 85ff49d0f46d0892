// Reading the console's session cookie from request headers: the one parser of Cookie bytes in
// the gateway. Strict: one well-formed session id, or none.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hookgate/schemes/header_list.hpp"

namespace hookgate::api {

inline constexpr std::string_view kSessionCookie = "hg_session";
inline constexpr std::string_view kSessionPrefix = "hgs_";
inline constexpr std::size_t kSessionRandom = 43;  // alphanumeric: ~256 bits
inline constexpr std::size_t kMaxCookieHeader = 8192;

// "hgs_" and 43 letters or digits.
bool well_formed_session_id(std::string_view id);
// The session id in the Cookie headers: nullopt when there is none, when it is malformed, when
// a header is over kMaxCookieHeader, or when two session cookies are present (one may have been
// planted by a sibling domain: neither counts).
std::optional<std::string> session_cookie(const schemes::HeaderList& headers);

}  // namespace hookgate::api
