// The PostgreSQL backend for the contract suite: each instance is a fresh schema in the database
// that HOOKGATE_TEST_POSTGRES_URL names, dropped with the instance. Without that variable the
// PostgreSQL tests are skipped; scripts/start-postgres.sh starts a server and prints the URL.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "../store_contract.hpp"
#include "store/postgres/pg_conn.hpp"

namespace hookgate::store::testing {

inline std::string postgres_test_url() {
  const char* url = std::getenv("HOOKGATE_TEST_POSTGRES_URL");
  return url != nullptr ? url : "";
}

inline std::string postgres_unavailable() {
  if (!postgres_test_url().empty()) return {};
  return "HOOKGATE_TEST_POSTGRES_URL is not set, so the PostgreSQL tests are skipped; run "
         "`export HOOKGATE_TEST_POSTGRES_URL=$(./scripts/start-postgres.sh)` to run them";
}

class PostgresInstance : public BackendInstance {
 public:
  PostgresInstance() {
    static std::atomic<int> counter = 0;
    // pid and counter keep parallel test processes apart; the clock keeps a schema left behind
    // by a crashed run from colliding with a new one of the same pid.
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    schema_ = "hookgate_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) +
              "_" +
              std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
    auto admin = postgres::Conn::open(postgres_test_url());
    if (!admin) {
      error_ = admin.error();
      return;
    }
    if (auto created = admin->run("CREATE SCHEMA " + schema_); !created) error_ = created.error();
  }
  ~PostgresInstance() override {
    // A connection of its own, not one held open: a forked child must not share it.
    auto admin = postgres::Conn::open(postgres_test_url());
    if (admin) (void)admin->run("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
  }
  PostgresInstance(const PostgresInstance&) = delete;
  PostgresInstance& operator=(const PostgresInstance&) = delete;

  Result<std::unique_ptr<Store>> open(const StoreOptions& options) override {
    if (!error_.empty()) return Error{error_};
    return open_store(url(), options);
  }

  // The server URL with the instance's schema first on the search path. The application name
  // (the schema unless given) lets a test find, and cut, the store's connections.
  [[nodiscard]] std::string url(const std::string& application_name = {}) const {
    const std::string base = postgres_test_url();
    return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema_ + "&application_name=" + (application_name.empty() ? schema_ : application_name);
  }
  [[nodiscard]] const std::string& schema() const { return schema_; }

 private:
  std::string schema_;
  std::string error_;
};

// Tests of several nodes on one schema: each test gets a fresh instance, skipped without a
// server.
class PostgresSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const auto why = postgres_unavailable(); !why.empty()) GTEST_SKIP() << why;
    instance_ = std::make_unique<PostgresInstance>();
  }

  // One gateway node: its own store (connections, writer) on the shared schema.
  std::unique_ptr<Store> node(const StoreOptions& options = {}) {
    auto opened = instance_->open(options);
    EXPECT_TRUE(opened) << opened.error();
    return opened ? std::move(opened).value() : nullptr;
  }

  // A connection of the test's own, on the instance's schema.
  postgres::Conn admin() {
    auto conn = postgres::Conn::open(instance_->url(instance_->schema() + "_admin"));
    EXPECT_TRUE(conn) << conn.error();
    return std::move(conn).value();
  }

  std::unique_ptr<PostgresInstance> instance_;
};

inline Backend postgres_backend() {
  return {"Postgres", [] { return std::make_unique<PostgresInstance>(); }, postgres_unavailable};
}

}  // namespace hookgate::store::testing
