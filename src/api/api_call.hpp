// The state of one /api/v1 call while it is routed (internal to the resources of ManagementApi,
// which are split by resource over api/*_api.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/management_api.hpp"

namespace hookgate::api {

struct ManagementApi::Call {
  const net::HttpRequest& request;
  std::vector<std::string> segments;
  std::string scope;  // "admin" or the application id the key belongs to
  std::string& verdict;
  // Set by a publish the store took: the answer comes from its callback, not from route().
  const Answer* answer = nullptr;
  bool deferred = false;
  // The stored key that authenticated the call; empty for the configured admin keys.
  std::optional<outbound::ApiKey> key = std::nullopt;

  const std::string& method() const { return request.method; }
  std::size_t size() const { return segments.size(); }
};

}  // namespace hookgate::api
