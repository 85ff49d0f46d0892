// Routing: which destinations an accepted event goes to, from the config's [[route]] tables.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hookgate/config/config.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::engine {

// The destinations of every route from source whose event-type filter and JSON-field matches
// accept the event; each destination once, in first-seen order.
std::vector<std::string> route(const std::vector<config::Route>& routes, std::string_view source,
                               std::string_view event_type, const schemes::JsonBody& body);

}  // namespace hookgate::engine
