// What an app-portal token may do, by the capabilities it was issued with (Svix's
// AppPortalCapability: ViewBase, ViewEndpointSecret, ManageEndpointSecret, ManageTransformations,
// CreateAttempts, ManageEndpoint). Portal tokens never publish, change the application, or touch
// API keys, whatever they hold.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hookgate::api {

inline constexpr std::string_view kPortalCapabilities[] = {
    "ViewBase",       "ViewEndpointSecret", "ManageEndpointSecret", "ManageTransformations",
    "CreateAttempts", "ManageEndpoint"};

bool known_portal_capability(std::string_view name);

// segments: the path under /api/v1/ split at '/'.
bool portal_allows(const std::vector<std::string>& capabilities, std::string_view method,
                   const std::vector<std::string>& segments);

}  // namespace hookgate::api
