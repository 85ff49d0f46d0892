// The app-portal token rules: what each capability opens, and what no token ever reaches.
#include "api/portal_capabilities.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace hookgate::api {
namespace {

std::vector<std::string> path(const std::string& p) {
  std::vector<std::string> out;
  std::stringstream in(p);
  for (std::string s; std::getline(in, s, '/');)
    out.push_back(s);
  return out;
}

bool allows(const std::vector<std::string>& caps, const std::string& method, const std::string& p) {
  return portal_allows(caps, method, path(p));
}

const std::vector<std::string> kAll(std::begin(kPortalCapabilities), std::end(kPortalCapabilities));

TEST(PortalCapabilities, ViewBaseReadsEverythingButTheSecret) {
  const std::vector<std::string> view{"ViewBase"};
  EXPECT_TRUE(allows(view, "GET", "app/app_1"));
  EXPECT_TRUE(allows(view, "GET", "app/app_1/endpoint/ep_1"));
  EXPECT_TRUE(allows(view, "GET", "app/app_1/msg"));
  EXPECT_TRUE(allows(view, "GET", "event-type"));
  EXPECT_FALSE(allows(view, "GET", "app/app_1/endpoint/ep_1/secret"));
  EXPECT_FALSE(allows(view, "POST", "app/app_1/endpoint"));
  EXPECT_FALSE(allows(view, "PATCH", "app/app_1/endpoint/ep_1"));
  EXPECT_FALSE(allows(view, "POST", "app/app_1/endpoint/ep_1/secret/rotate"));
  EXPECT_FALSE(allows(view, "POST", "app/app_1/endpoint/ep_1/recover"));
  // Without ViewBase nothing at all.
  EXPECT_FALSE(allows({"ManageEndpoint"}, "GET", "app/app_1"));
}

TEST(PortalCapabilities, EachCapabilityOpensItsOwnCalls) {
  EXPECT_TRUE(allows({"ViewBase", "ViewEndpointSecret"}, "GET", "app/a/endpoint/e/secret"));
  EXPECT_FALSE(
      allows({"ViewBase", "ViewEndpointSecret"}, "POST", "app/a/endpoint/e/secret/rotate"));
  EXPECT_TRUE(
      allows({"ViewBase", "ManageEndpointSecret"}, "POST", "app/a/endpoint/e/secret/rotate"));
  EXPECT_TRUE(allows({"ViewBase", "CreateAttempts"}, "POST", "app/a/endpoint/e/recover"));
  EXPECT_TRUE(allows({"ViewBase", "CreateAttempts"}, "POST", "app/a/msg/m/endpoint/e/resend"));
  EXPECT_FALSE(allows({"ViewBase", "CreateAttempts"}, "PATCH", "app/a/endpoint/e"));
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    EXPECT_TRUE(allows({"ViewBase", "ManageEndpoint"}, method, "app/a/endpoint/e")) << method;
  }
  EXPECT_TRUE(allows({"ViewBase", "ManageEndpoint"}, "PUT", "app/a/endpoint/e/headers"));
}

TEST(PortalCapabilities, NoTokenPublishesChangesItsApplicationOrMakesKeys) {
  for (const auto& [method, p] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "app/a/msg"},
                                                        {"PATCH", "app/a"},
                                                        {"PUT", "app/a"},
                                                        {"DELETE", "app/a"},
                                                        {"POST", "app"},
                                                        {"GET", "api-key"},
                                                        {"POST", "api-key"},
                                                        {"POST", "auth/app-portal-access/a"},
                                                        {"POST", "auth/app/a/expire-all"},
                                                        {"POST", "event-type"},
                                                        {"DELETE", "event-type/x"}}) {
    EXPECT_FALSE(allows(kAll, method, p)) << method << " " << p;
  }
  EXPECT_TRUE(allows(kAll, "POST", "auth/logout"));
  EXPECT_TRUE(allows({"ViewBase"}, "POST", "auth/logout"));
}

}  // namespace
}  // namespace hookgate::api
