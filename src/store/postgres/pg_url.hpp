// Keeping a PostgreSQL URL's password out of messages: a store URL may carry one
// (postgres://user:password@host/db or ?password=...), and no error or log line may repeat it.
#pragma once

#include <string>
#include <string_view>

namespace hookgate::store::postgres {

// url with its password (in the user info or a password= parameter) replaced by "***".
std::string redact_url(std::string_view url);

// message with every occurrence of url's password, as written and percent-decoded, replaced by
// "***": libpq quotes parts of a malformed URL in its errors.
std::string scrub_password(std::string message, std::string_view url);

}  // namespace hookgate::store::postgres
