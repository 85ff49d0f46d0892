// The store an end-to-end test runs on: SQLite in the test's directory by default, or a fresh
// PostgreSQL database when HOOKGATE_E2E_BACKEND=postgres (ctest runs the e2e suite both ways; the
// server comes from HOOKGATE_TEST_POSTGRES_URL). The database is dropped with the object.
#pragma once

#include <string>

namespace hookgate::e2e {

class TestStore {
 public:
  TestStore();
  ~TestStore();
  TestStore(const TestStore&) = delete;
  TestStore& operator=(const TestStore&) = delete;

  // The [store] url for a config: sqlite://<name>.db (relative to the config file) or the
  // PostgreSQL database's URL. Empty when PostgreSQL was asked for but could not be set up
  // (error() says why).
  const std::string& url() const { return url_; }
  const std::string& error() const { return error_; }
  bool postgres() const { return !database_.empty(); }

 private:
  std::string url_;
  std::string error_;
  std::string admin_url_;
  std::string database_;
};

}  // namespace hookgate::e2e
