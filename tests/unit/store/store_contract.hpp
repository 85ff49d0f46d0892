// The contract suite every store backend passes (store.hpp). Tests are written once against
// Store; each backend instantiates the suite with a factory for fresh, empty stores, e.g.
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Values(sqlite_backend()));
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hookgate/store/store.hpp"

namespace hookgate::store::testing {

// One empty store's location. open() may be called again after the previous Store is destroyed
// (reopen tests) and from a forked child; the destructor removes what the location holds.
class BackendInstance {
 public:
  virtual ~BackendInstance() = default;
  virtual Result<std::unique_ptr<Store>> open(const StoreOptions& options) = 0;
};

struct Backend {
  std::string name;
  std::function<std::unique_ptr<BackendInstance>()> fresh;
  // Why this backend cannot run here (e.g. no server configured); empty when it can. The
  // backend's tests are then skipped with that message instead of failing.
  std::function<std::string()> unavailable;
};

inline void PrintTo(const Backend& backend, std::ostream* os) {
  *os << backend.name;
}

// An event of source with one delivery per destination.
inline NewEvent event(std::string source, std::int64_t received_ms, std::string body = "{}",
                      std::vector<std::string> destinations = {}) {
  NewEvent e;
  e.source = std::move(source);
  e.event_type = "test.event";
  e.received_ms = received_ms;
  e.headers = R"({"content-type":"application/json"})";
  e.body = std::move(body);
  e.destinations = std::move(destinations);
  return e;
}

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam().unavailable) {
      if (const auto why = GetParam().unavailable(); !why.empty()) GTEST_SKIP() << why;
    }
    instance_ = GetParam().fresh();
    ASSERT_NE(instance_, nullptr);
    store_ = reopen();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    instance_.reset();
  }

  // A new Store on the same location; nullptr (with a test failure) if it cannot open.
  std::unique_ptr<Store> reopen(const StoreOptions& options = {}) {
    auto opened = instance_->open(options);
    EXPECT_TRUE(opened) << opened.error();
    return opened ? std::move(opened).value() : nullptr;
  }

  // Appends an event with one delivery per destination; returns its seq (0 after a failure).
  std::int64_t append_ok(NewEvent e) {
    auto appended = store_->append(std::move(e));
    EXPECT_TRUE(appended) << appended.error();
    return appended ? appended->seq : 0;
  }

  std::unique_ptr<BackendInstance> instance_;
  std::unique_ptr<Store> store_;
};

}  // namespace hookgate::store::testing
