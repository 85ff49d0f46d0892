// The fixture of the /api/v1 end-to-end suites (svix_api, console_api, console): a fresh
// directory on the test's store (SQLite, or PostgreSQL with HOOKGATE_E2E_BACKEND=postgres), the
// config of a `hookgate serve` with the API on (admin key kAdminKey) and endpoint secrets sealed
// with kSealKey, the servers started on it, and calls to /api/v1 with a Bearer key.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "server_process.hpp"
#include "test_store.hpp"

namespace hookgate::e2e {

inline constexpr const char* kAdminKey = "e2e-api-admin-key-0123456789abcdef";
inline constexpr const char* kSealKey = "c2VhbGluZy1rZXktZm9yLW91dGJvdW5kLWUyZS10c3Q=";

// What a suite's config holds beyond what every one needs: [server] on a free loopback port,
// [store], [outbound] allowing loopback receivers over plain HTTP with kSealKey, [api].
struct ApiConfig {
  std::string delivery;  // the lines of [delivery]; no such table when empty
  bool api = true;       // false: no [api] table
  std::string extra;     // more tables, written after [api]
};

class ApiFixture : public ::testing::Test {
 protected:
  explicit ApiFixture(std::string dir_prefix) : dir_prefix_(std::move(dir_prefix)) {}

  // Skips the test when its store could not be set up (a derived SetUp checks IsSkipped());
  // else makes the test's fresh directory.
  void SetUp() override;
  // Stops server_ (it must exit with 0) and removes the directory.
  void TearDown() override;

  // Writes the config as file `name` in the test's directory; answers its path.
  std::string write_config(const std::string& name, const ApiConfig& config) const;
  // Writes the config and starts a server on it; the caller asserts that it started.
  std::unique_ptr<ServerProcess> start_server(const std::string& name,
                                              const ApiConfig& config) const;

  // method /api/v1<path> with `Authorization: Bearer key` (none when key is empty) to `on`
  // (server_ when null); a body is sent as application/json.
  HttpResult call(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& key = kAdminKey, const ServerProcess* on = nullptr) const;
  HttpResult call(const std::string& method, const std::string& path,
                  const boost::json::object& body, const std::string& key = kAdminKey,
                  const ServerProcess* on = nullptr) const;

  TestStore store_;
  std::filesystem::path dir_;
  std::unique_ptr<ServerProcess> server_;

 private:
  std::string dir_prefix_;
};

}  // namespace hookgate::e2e
