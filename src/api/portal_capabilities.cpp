// The app-portal token rules (see portal_capabilities.hpp).
#include "api/portal_capabilities.hpp"

#include <algorithm>

namespace hookgate::api {

bool known_portal_capability(std::string_view name) {
  return std::find(std::begin(kPortalCapabilities), std::end(kPortalCapabilities), name) !=
         std::end(kPortalCapabilities);
}

bool portal_allows(const std::vector<std::string>& capabilities, std::string_view method,
                   const std::vector<std::string>& s) {
  const auto has = [&](std::string_view c) {
    return std::find(capabilities.begin(), capabilities.end(), c) != capabilities.end();
  };
  if (!has("ViewBase")) return false;
  const auto& last = s.empty() ? std::string() : s.back();
  // Signing out is always the token's own business.
  if (s.size() == 2 && s[0] == "auth" && s[1] == "logout") return method == "POST";
  if (s.empty() || s[0] == "api-key" || s[0] == "auth") return false;
  const bool endpoint_path = s.size() >= 4 && s[0] == "app" && s[2] == "endpoint";
  if (method == "GET" || method == "HEAD") {
    if (endpoint_path && s.size() == 5 && last == "secret") {
      return has("ViewEndpointSecret") || has("ManageEndpointSecret") || has("ManageEndpoint");
    }
    return true;
  }
  if (s[0] != "app" || s.size() < 3) return false;  // the application itself: read only
  if (endpoint_path && s.size() == 6 && s[4] == "secret" && last == "rotate") {
    return has("ManageEndpointSecret") || has("ManageEndpoint");
  }
  // Replaying to an endpoint: recover, replay-missing, send-example, and resending a message.
  if (endpoint_path && s.size() == 5 &&
      (last == "recover" || last == "replay-missing" || last == "send-example")) {
    return has("CreateAttempts");
  }
  if (s[2] == "msg" && last == "resend") return has("CreateAttempts");
  if (s[2] == "endpoint") return has("ManageEndpoint");
  return false;  // publishing and everything else
}

}  // namespace hookgate::api
