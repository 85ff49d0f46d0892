// The publish fan-out held in memory (FanoutCache behind Registry::subscribers): served without
// reading the endpoint rows while nothing changed, and never stale: a change made through another
// Registry (another node on PostgreSQL, the engine's disabling on SQLite's single node) or straight
// in the store is honoured by the very next publish. Both backends, real stores.
#include "outbound/fanout_cache.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "../store/postgres/postgres_backend.hpp"
#include "../store/sqlite/sqlite_backend.hpp"
#include "outbound/publisher.hpp"
#include "outbound/registry.hpp"

namespace hookgate::outbound {
namespace {

using store::testing::Backend;

class FanoutCacheTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam().unavailable) {
      if (const auto why = GetParam().unavailable(); !why.empty()) GTEST_SKIP() << why;
    }
    instance_ = GetParam().fresh();
    ASSERT_NE(instance_, nullptr);
    auto here = instance_->open({});
    ASSERT_TRUE(here) << here.error();
    store_here_ = std::move(here.value());
    // PostgreSQL: the other registry is another node, with its own store (connections) on the
    // same database. SQLite has one node: the other registry shares its store.
    Store* there = store_here_.get();
    if (GetParam().name == "Postgres") {
      auto other = instance_->open({});
      ASSERT_TRUE(other) << other.error();
      store_there_ = std::move(other.value());
      there = store_there_.get();
    }
    auto seal = SecretSeal::from_base64(SecretSeal::generate_base64());
    ASSERT_TRUE(seal) << seal.error();
    auto shared = std::make_shared<const SecretSeal>(std::move(seal.value()));
    auto policy = net::OutboundPolicy::make({"127.0.0.1/32"}, false);
    ASSERT_TRUE(policy) << policy.error();
    const RegistrySettings settings{*policy, std::chrono::hours(1), shared};
    here_ = std::make_unique<Registry>(*store_here_, settings, [] { return kNowMs; });
    there_ = std::make_unique<Registry>(*there, settings, [] { return kNowMs; });
  }
  void TearDown() override {
    here_.reset();
    there_.reset();
    store_there_.reset();
    store_here_.reset();
    instance_.reset();
  }

  using Store = store::Store;
  static constexpr std::int64_t kNowMs = 1'700'000'000'000;

  std::string endpoint(const std::string& app, std::vector<std::string> types = {}) {
    EndpointInput in;
    in.url = "https://receiver.example.com/hook";
    if (!types.empty()) in.event_types = std::move(types);
    auto e = here_->create_endpoint(app, in);
    EXPECT_TRUE(e) << e.error();
    return e ? e->endpoint.id : "";
  }

  // The fan-out the other registry computes for a publish of type, sorted.
  std::vector<std::string> fanout_there(const std::string& app, const std::string& type) {
    auto ids = there_->subscribers(app, type);
    EXPECT_TRUE(ids) << ids.error();
    if (!ids) return {"<error>"};
    std::sort(ids->begin(), ids->end());
    return *ids;
  }

  static std::vector<std::string> sorted(std::vector<std::string> ids) {
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  std::unique_ptr<store::testing::BackendInstance> instance_;
  std::unique_ptr<Store> store_here_;
  std::unique_ptr<Store> store_there_;
  std::unique_ptr<Registry> here_;
  std::unique_ptr<Registry> there_;
};

TEST_P(FanoutCacheTest, EveryEndpointChangeMadeElsewhereIsHonouredByTheNextPublish) {
  auto app = here_->create_app("shop");
  ASSERT_TRUE(app) << app.error();
  const auto a = app->id;
  EXPECT_EQ(fanout_there(a, "order.created"), std::vector<std::string>{});

  // Created on the other node.
  const auto e1 = endpoint(a);
  EXPECT_EQ(fanout_there(a, "order.created"), std::vector<std::string>{e1});
  const auto e2 = endpoint(a, {"order.created"});
  EXPECT_EQ(fanout_there(a, "order.created"), sorted({e1, e2}));
  EXPECT_EQ(fanout_there(a, "order.paid"), std::vector<std::string>{e1});

  // Subscription changed, disabled by a user, disabled by the engine (410 or failing too long
  // go through modify_endpoint), re-enabled, deleted.
  EndpointInput narrow;
  narrow.event_types = std::vector<std::string>{"order.paid"};
  ASSERT_TRUE(here_->update_endpoint(a, e1, narrow));
  EXPECT_EQ(fanout_there(a, "order.created"), std::vector<std::string>{e2});
  EndpointInput off;
  off.enabled = false;
  ASSERT_TRUE(here_->update_endpoint(a, e1, off));
  EXPECT_EQ(fanout_there(a, "order.paid"), std::vector<std::string>{});
  ASSERT_TRUE(here_->modify_endpoint(e2, [](Endpoint& e) {
    e.enabled = false;
    e.disabled_reason = "the endpoint answered 410 Gone";
    return true;
  }));
  EXPECT_EQ(fanout_there(a, "order.created"), std::vector<std::string>{});
  EndpointInput on;
  on.enabled = true;
  ASSERT_TRUE(here_->update_endpoint(a, e2, on));
  EXPECT_EQ(fanout_there(a, "order.created"), std::vector<std::string>{e2});
  ASSERT_TRUE(here_->delete_endpoint(a, e2));
  EXPECT_EQ(fanout_there(a, "order.created"), std::vector<std::string>{});

  // Verification pending, then passed.
  EndpointInput challenge;
  challenge.url = "https://receiver.example.com/verified";
  challenge.verification = "challenge";
  auto e3 = here_->create_endpoint(a, challenge);
  ASSERT_TRUE(e3) << e3.error();
  EXPECT_EQ(fanout_there(a, "order.paid"), std::vector<std::string>{});
  ASSERT_TRUE(here_->modify_endpoint(e3->endpoint.id, [](Endpoint& e) {
    e.verified = true;
    return true;
  }));
  EXPECT_EQ(fanout_there(a, "order.paid"), std::vector<std::string>{e3->endpoint.id});

  // The application deleted: its endpoints go, and publishing to it is refused.
  ASSERT_TRUE(here_->delete_app(a));
  auto gone = there_->subscribers(a, "order.paid");
  ASSERT_FALSE(gone);
  EXPECT_TRUE(gone.error().starts_with("not_found")) << gone.error();
}

TEST_P(FanoutCacheTest, AnUnchangedApplicationIsServedFromMemoryAndAChangedOneReloadedOnce) {
  auto app = here_->create_app("shop");
  ASSERT_TRUE(app) << app.error();
  std::vector<std::string> ids;
  ids.reserve(300);
  for (int i = 0; i < 300; ++i)  // more than one page of rows
    ids.push_back(endpoint(app->id));
  Store& there = store_there_ ? *store_there_ : *store_here_;
  FanoutCache cache(there);
  for (int i = 0; i < 20; ++i) {
    auto got = cache.subscribers(app->id, "order.created");
    ASSERT_TRUE(got) << got.error();
    EXPECT_EQ(sorted(*got), sorted(ids));
  }
  EXPECT_EQ(cache.loads(), 1U);

  // A write straight to the store (any writer, not only a Registry) moves the generation.
  auto row = store_here_->record(kEndpointKind, ids.front());
  ASSERT_TRUE(row && row->has_value());
  auto e = endpoint_from_json((*row)->body, (*row)->version);
  ASSERT_TRUE(e) << e.error();
  e->enabled = false;
  ASSERT_TRUE(store_here_
                  ->put_record({std::string(kEndpointKind), e->id, e->app_id, to_json(*e), 0},
                               (*row)->version)
                  .value());
  for (int i = 0; i < 5; ++i) {
    auto got = cache.subscribers(app->id, "order.created");
    ASSERT_TRUE(got) << got.error();
    EXPECT_EQ(sorted(*got), sorted(std::vector<std::string>(ids.begin() + 1, ids.end())));
  }
  EXPECT_EQ(cache.loads(), 2U);
}

TEST_P(FanoutCacheTest, TheLeastRecentlyPublishedApplicationIsEvictedFirst) {
  Store& there = store_there_ ? *store_there_ : *store_here_;
  FanoutCache cache(there, 2);
  std::vector<std::string> apps;
  for (int i = 0; i < 3; ++i) {
    auto app = here_->create_app("shop" + std::to_string(i));
    ASSERT_TRUE(app) << app.error();
    apps.push_back(app->id);
    endpoint(app->id);
  }
  ASSERT_TRUE(cache.subscribers(apps[0], "t"));
  ASSERT_TRUE(cache.subscribers(apps[1], "t"));
  ASSERT_TRUE(cache.subscribers(apps[0], "t"));  // 1 is now the least recent
  ASSERT_TRUE(cache.subscribers(apps[2], "t"));  // evicts 1
  EXPECT_EQ(cache.loads(), 3U);
  ASSERT_TRUE(cache.subscribers(apps[0], "t"));
  ASSERT_TRUE(cache.subscribers(apps[2], "t"));
  EXPECT_EQ(cache.loads(), 3U);
  ASSERT_TRUE(cache.subscribers(apps[1], "t"));
  EXPECT_EQ(cache.loads(), 4U);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, FanoutCacheTest,
                         ::testing::Values(store::testing::sqlite_backend()),
                         [](const auto& param_info) { return param_info.param.name; });
INSTANTIATE_TEST_SUITE_P(Postgres, FanoutCacheTest,
                         ::testing::Values(store::testing::postgres_backend()),
                         [](const auto& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace hookgate::outbound
