// SQLite or a throwaway PostgreSQL database per test, chosen by the environment.
#include "test_store.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string_view>

#include "run_process.hpp"

namespace hookgate::e2e {

namespace {
std::atomic<int> counter{0};
constexpr const char* kPsql = "/usr/bin/psql";
}  // namespace

TestStore::TestStore() {
  const char* backend = std::getenv("HOOKGATE_E2E_BACKEND");
  if (backend == nullptr || std::string_view(backend) != "postgres") {
    url_ = "sqlite://events.db";
    return;
  }
  const char* server = std::getenv("HOOKGATE_TEST_POSTGRES_URL");
  if (server == nullptr || *server == '\0') {
    error_ = "HOOKGATE_E2E_BACKEND=postgres needs HOOKGATE_TEST_POSTGRES_URL";
    return;
  }
  admin_url_ = server;
  const auto slash = admin_url_.rfind('/');
  if (slash == std::string::npos || slash < 12) {
    error_ = "HOOKGATE_TEST_POSTGRES_URL has no database part";
    return;
  }
  const std::string name =
      "hookgate_e2e_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  const auto created = run_process({kPsql, admin_url_, "-qc", "CREATE DATABASE " + name}, "");
  if (created.exit_code != 0) {
    error_ = "CREATE DATABASE " + name + ": " + created.err;
    return;
  }
  database_ = name;
  url_ = admin_url_.substr(0, slash + 1) + name;
}

TestStore::~TestStore() {
  if (database_.empty()) return;
  (void)run_process(
      {kPsql, admin_url_, "-qc", "DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)"}, "");
}

}  // namespace hookgate::e2e
