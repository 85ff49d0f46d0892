// The console's session cookie (see console_cookie.hpp).
#include "api/console_cookie.hpp"

#include "hookgate/crypto/random.hpp"

namespace hookgate::api {

bool well_formed_session_id(std::string_view id) {
  if (id.size() != kSessionPrefix.size() + kSessionRandom || !id.starts_with(kSessionPrefix)) {
    return false;
  }
  for (const char c : id.substr(kSessionPrefix.size())) {
    if (crypto::kAlphanumeric.find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::optional<std::string> session_cookie(const schemes::HeaderList& headers) {
  std::optional<std::string> found;
  for (auto header : headers.all("Cookie")) {
    if (header.size() > kMaxCookieHeader) return std::nullopt;
    while (!header.empty()) {
      const auto semi = header.find(';');
      auto pair = header.substr(0, semi);
      header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
      while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t'))
        pair.remove_prefix(1);
      const auto eq = pair.find('=');
      if (eq == std::string_view::npos || pair.substr(0, eq) != kSessionCookie) continue;
      if (found) return std::nullopt;
      found = std::string(pair.substr(eq + 1));
    }
  }
  if (found && !well_formed_session_id(*found)) return std::nullopt;
  return found;
}

}  // namespace hookgate::api
