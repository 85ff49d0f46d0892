// The console's admin-only /api/v1 resources through the real `hookgate serve` over loopback, on
// SQLite or (HOOKGATE_E2E_BACKEND=postgres) PostgreSQL: the inspector feed shows forged requests
// with their reason and redacted headers next to accepted events; a flood of forged requests
// stays within the ring's bounds and does not evict accepted history; a poller gets only newer
// rows; deliveries, attempts, retry now and bulk retry; destinations, stats, establishment; an
// app-portal token or application key gets 403 everywhere; and on PostgreSQL one node shows
// another node's refused requests.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <boost/json.hpp>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "api_fixture.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "json_fields.hpp"
#include "loopback_receiver.hpp"
#include "server_process.hpp"
#include "wait.hpp"

namespace hookgate::e2e {
namespace {

namespace json = boost::json;

constexpr const char* kSecret = "console-github-secret-4f1e";

class ConsoleApi : public ApiFixture {
 protected:
  ConsoleApi() : ApiFixture("hookgate-console-api") {}
  void SetUp() override {
    ApiFixture::SetUp();
    if (IsSkipped()) return;
    receiver_ = std::make_unique<LoopbackReceiver>([this](const ReceivedRequest&) {
      ReceiverAnswer a;
      a.status = failing_ ? 500 : 200;
      a.body = failing_ ? "down for maintenance" : "ok";
      return a;
    });
    server_ = start(1);
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
  }
  void TearDown() override {
    if (server2_) {
      EXPECT_EQ(server2_->stop(SIGTERM), 0) << server2_->stderr_text();
    }
    server2_.reset();
    ApiFixture::TearDown();
    receiver_.reset();
  }

  // Node `node` on the test's store: the github source routed to the receiver.
  std::unique_ptr<ServerProcess> start(int node) const {
    ApiConfig config;
    config.delivery = "schedule = [1]\njitter = 0\nlease_seconds = 5\nnode_id = \"node-" +
                      std::to_string(node) + "\"\n";
    config.extra = R"([[source]]
name = "github"
scheme = "github"
path = "/github"
secrets = [")" + std::string(kSecret) +
                   R"("]
event_type_from = "header:X-GitHub-Event"
keep_headers = ["X-GitHub-Event", "X-Hub-Signature-256"]
[[destination]]
name = "svc"
url = "http://127.0.0.1:)" +
                   std::to_string(receiver_->port()) +
                   R"(/forwarded?token=abc"
sign = "none"
timeout_ms = 2000
[[route]]
from = "github"
to = ["svc"]
)";
    return start_server("node" + std::to_string(node) + ".toml", config);
  }

  HttpResult signed_event(const std::string& body, const ServerProcess* on = nullptr) const {
    return http_request(
        (on ? on : server_.get())->port(), "POST", "/github",
        {{"Content-Type", "application/json"},
         {"X-GitHub-Event", "push"},
         {"X-Hub-Signature-256", "sha256=" + crypto::hex_encode(crypto::hmac(
                                                 crypto::DigestAlgorithm::sha256, kSecret, body))}},
        body);
  }
  // A request with a wrong signature and every kind of header that must not be shown.
  HttpResult forged(const std::string& body, const ServerProcess* on = nullptr) const {
    return http_request((on ? on : server_.get())->port(), "POST",
                        "/github?hookgate_code=one-time-code-xyz",
                        {{"Content-Type", "application/json"},
                         {"Authorization", "Bearer stolen-admin-key"},
                         {"Cookie", "session=abc"},
                         {"Proxy-Authorization", "Basic dXNlcjpwdw=="},
                         {"X-Hub-Signature-256", "sha256=" + std::string(64, '0')},
                         {"X-Echo", std::string("prefix ") + kSecret},
                         {"X-Trace", "<img src=x onerror=alert(1)>"}},
                        body);
  }
  json::object feed(const std::string& query = "", const ServerProcess* on = nullptr) const {
    const auto r = call("GET", "/source/github/request" + query, "", kAdminKey, on);
    EXPECT_EQ(r.status, 200) << r.body;
    return object_of(r);
  }
  // Every row of the feed, following iterators, as ids in page order.
  std::vector<std::string> all_ids(const std::string& filter, std::size_t limit) const {
    std::vector<std::string> ids;
    std::string query = "?limit=" + std::to_string(limit) + filter;
    for (int page = 0; page < 500; ++page) {
      const auto f = feed(query);
      for (const auto& row : arr(f, "data"))
        ids.push_back(str(row.as_object(), "id"));
      if (f.at("done").as_bool()) break;
      query = "?limit=" + std::to_string(limit) + filter + "&iterator=" + str(f, "iterator");
    }
    return ids;
  }

  std::atomic<bool> failing_{false};
  std::unique_ptr<LoopbackReceiver> receiver_;
  std::unique_ptr<ServerProcess> server2_;
};

TEST_F(ConsoleApi, ForgedRequestAppearsWithReasonNoMatchAndSecretsRedacted) {
  ASSERT_EQ(signed_event(R"({"n":1})").status, 200);
  const std::string body = R"({"forged":"<script>alert(1)</script>"})";
  ASSERT_EQ(forged(body).status, 401);

  const auto f = feed();
  const auto rows = arr(f, "data");
  ASSERT_EQ(rows.size(), 2u) << json::serialize(f);
  const auto& refused = rows[0].as_object();  // newest first
  EXPECT_EQ(str(refused, "verdict"), "refused");
  EXPECT_EQ(str(refused, "reason"), "no_match");
  EXPECT_EQ(num(refused, "status"), 401);
  EXPECT_EQ(str(refused, "path"), "/github");  // never the query (a one-time code)
  EXPECT_EQ(str(refused, "peer"), "127.0.0.1");
  EXPECT_EQ(str(refused, "node"), "node-1");
  EXPECT_EQ(num(refused, "bodySize"), static_cast<std::int64_t>(body.size()));
  const auto& accepted = rows[1].as_object();
  EXPECT_EQ(str(accepted, "verdict"), "accepted");
  EXPECT_EQ(str(accepted, "eventType"), "push");
  EXPECT_TRUE(str(accepted, "id").starts_with("evt_"));
  EXPECT_FALSE(str(f, "prevIterator").empty());

  const auto detail = call("GET", "/source/github/request/" + str(refused, "id"));
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_EQ(detail.body.find("stolen-admin-key"), std::string::npos) << detail.body;
  EXPECT_EQ(detail.body.find("session=abc"), std::string::npos) << detail.body;
  EXPECT_EQ(detail.body.find("dXNlcjpwdw=="), std::string::npos) << detail.body;
  EXPECT_EQ(detail.body.find(kSecret), std::string::npos) << detail.body;
  EXPECT_EQ(detail.body.find(std::string(64, '0')), std::string::npos) << detail.body;
  EXPECT_EQ(detail.body.find("one-time-code"), std::string::npos) << detail.body;
  const auto d = object_of(detail);
  std::set<std::string> redacted;
  for (const auto& n : arr(d, "redactedHeaders"))
    redacted.insert(std::string(n.as_string()));
  EXPECT_EQ(redacted, (std::set<std::string>{"Authorization", "Cookie", "Proxy-Authorization",
                                             "X-Hub-Signature-256", "X-Echo"}));
  bool trace_kept = false;
  for (const auto& h : arr(d, "headers")) {
    const auto& o = h.as_object();
    if (str(o, "name") == "X-Trace") trace_kept = str(o, "value") == "<img src=x onerror=alert(1)>";
  }
  EXPECT_TRUE(trace_kept) << detail.body;  // shown as data; the console renders it as text
  EXPECT_EQ(crypto::base64_decode(str(d, "body")).value_or(""), body);
  EXPECT_FALSE(d.at("bodyTruncated").as_bool());

  // The accepted event's detail: its kept headers, the signature redacted, and its delivery.
  const auto ev = object_of(call("GET", "/source/github/request/" + str(accepted, "id")));
  EXPECT_EQ(crypto::base64_decode(str(ev, "body")).value_or(""), R"({"n":1})");
  EXPECT_EQ(arr(ev, "redactedHeaders").size(), 1u) << json::serialize(ev);
  EXPECT_EQ(arr(ev, "deliveries").size(), 1u) << json::serialize(ev);

  // Filters.
  EXPECT_EQ(arr(feed("?verdict=refused"), "data").size(), 1u);
  EXPECT_EQ(arr(feed("?reason=no_match"), "data").size(), 1u);
  EXPECT_EQ(arr(feed("?verdict=accepted"), "data").size(), 1u);
  EXPECT_EQ(arr(feed("?reason=timestamp_too_old"), "data").size(), 0u);
  EXPECT_EQ(call("GET", "/source/github/request?verdict=bogus").status, 422);
  EXPECT_EQ(call("GET", "/source/github/request?iterator=zzz").status, 422);
  EXPECT_EQ(call("GET", "/source/nope/request").status, 404);
  EXPECT_EQ(call("GET", "/source/github/request/req_000000000000_1").status, 404);
  EXPECT_EQ(call("POST", "/source/github/request/" + str(refused, "id") + "/deliver").status, 409);

  const auto sources = object_of(call("GET", "/source"));
  ASSERT_EQ(arr(sources, "data").size(), 1u);
  const auto src = arr(sources, "data")[0].as_object();
  EXPECT_EQ(num(src, "accepted"), 1);
  EXPECT_EQ(num(src, "refused"), 1);
}

TEST_F(ConsoleApi, DuplicateIsShownWithTheFirstEventsSeq) {
  const auto first = signed_event(R"({"dup":true})");
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(signed_event(R"({"dup":true})").status, 200);
  const auto rows = arr(feed("?verdict=duplicate"), "data");
  ASSERT_EQ(rows.size(), 1u);
  const auto seq = num(object_of(first), "seq");
  EXPECT_EQ(num(rows[0].as_object(), "seq"), seq);
  const auto d = object_of(call("GET", "/source/github/request/" + str(rows[0].as_object(), "id")));
  EXPECT_EQ(crypto::base64_decode(str(d, "body")).value_or(""), R"({"dup":true})");
}

TEST_F(ConsoleApi, FloodOfForgedRequestsIsBoundedAndKeepsAcceptedHistory) {
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(signed_event(R"({"keep":)" + std::to_string(i) + "}").status, 200);
  // Bigger bodies than an entry keeps, more requests than a ring holds.
  const std::string big(20 << 10, 'x');
  for (int i = 0; i < 150; ++i)
    ASSERT_EQ(forged(big + std::to_string(i)).status, 401);

  const auto src = arr(object_of(call("GET", "/source")), "data")[0].as_object();
  const auto& ring = src.at("ring").as_object();
  EXPECT_LE(num(ring, "entries"), num(ring, "maxEntries"));
  EXPECT_LE(num(ring, "bytes"), num(ring, "maxBytes"));
  EXPECT_GT(num(ring, "entries"), 0);
  EXPECT_EQ(num(src, "refused"), 150);

  const auto refused = all_ids("&verdict=refused", 250);
  EXPECT_EQ(static_cast<std::int64_t>(refused.size()), num(ring, "entries"));
  const auto accepted = all_ids("&verdict=accepted", 250);
  EXPECT_EQ(accepted.size(), 3u);  // the flood evicted nothing of the stored history

  // The newest entry kept its first 8 KiB only.
  const auto d = object_of(call("GET", "/source/github/request/" + refused.front()));
  EXPECT_TRUE(d.at("bodyTruncated").as_bool());
  EXPECT_EQ(crypto::base64_decode(str(d, "body")).value_or("").size(), 8u << 10);
  EXPECT_EQ(num(d, "bodySize"), static_cast<std::int64_t>(big.size() + 3));
}

TEST_F(ConsoleApi, PagesShowEveryRowOnceAndAPollerGetsOnlyNewerRows) {
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(signed_event(R"({"page":)" + std::to_string(i) + "}").status, 200);
    ASSERT_EQ(forged(R"({"f":)" + std::to_string(i) + "}").status, 401);
  }
  const auto ids = all_ids("", 3);
  EXPECT_EQ(ids.size(), 8u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 8u);

  const auto first = feed("?limit=5");
  auto cursor = str(first, "prevIterator");
  ASSERT_FALSE(cursor.empty());
  EXPECT_EQ(arr(feed("?iterator=" + cursor), "data").size(), 0u);

  ASSERT_EQ(forged(R"({"late":1})").status, 401);
  ASSERT_EQ(signed_event(R"({"late":2})").status, 200);
  const auto newer = feed("?iterator=" + cursor);
  const auto rows = arr(newer, "data");
  ASSERT_EQ(rows.size(), 2u) << json::serialize(newer);
  // (Newest first; these two may share a millisecond, so their order is not asserted.)
  EXPECT_EQ((std::set<std::string>{str(rows[0].as_object(), "verdict"),
                                   str(rows[1].as_object(), "verdict")}),
            (std::set<std::string>{"accepted", "refused"}));
  cursor = str(newer, "prevIterator");
  EXPECT_EQ(arr(feed("?iterator=" + cursor), "data").size(), 0u);
  // A filtered poll.
  ASSERT_EQ(forged(R"({"late":3})").status, 401);
  const auto refused_only = feed("?verdict=refused&iterator=" + cursor);
  EXPECT_EQ(arr(refused_only, "data").size(), 1u);
}

TEST_F(ConsoleApi, DeliveriesAttemptsRetryNowAndBulkRetry) {
  failing_ = true;
  const auto t0 = call("GET", "/stats?seconds=1");
  const std::string since = str(object_of(t0), "start");
  ASSERT_EQ(signed_event(R"({"d":1})").status, 200);
  ASSERT_EQ(signed_event(R"({"d":2})").status, 200);
  // schedule = [1]: two attempts, then given up.
  ASSERT_TRUE(eventually([&] {
    return arr(object_of(call("GET", "/delivery?destination=svc&state=failed")), "data").size() ==
           2;
  })) << call("GET", "/delivery?destination=svc").body;
  const auto list = object_of(call("GET", "/delivery?destination=svc&limit=1"));
  ASSERT_EQ(arr(list, "data").size(), 1u);
  EXPECT_FALSE(list.at("done").as_bool());
  const auto next =
      object_of(call("GET", "/delivery?destination=svc&limit=1&iterator=" + str(list, "iterator")));
  ASSERT_EQ(arr(next, "data").size(), 1u);
  EXPECT_NE(str(arr(next, "data")[0].as_object(), "id"),
            str(arr(list, "data")[0].as_object(), "id"));

  const auto delivery = arr(list, "data")[0].as_object();
  const auto id = str(delivery, "id");
  EXPECT_EQ(str(delivery, "state"), "failed");
  EXPECT_EQ(num(delivery, "attempts"), 2);
  const auto attempts = arr(object_of(call("GET", "/delivery/" + id + "/attempt")), "data");
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(num(attempts[0].as_object(), "status"), 500);
  EXPECT_EQ(str(attempts[0].as_object(), "response"), "down for maintenance");
  EXPECT_EQ(str(attempts[1].as_object(), "trigger"), "scheduled");

  failing_ = false;
  const auto retried = call("POST", "/delivery/" + id + "/retry");
  ASSERT_EQ(retried.status, 202) << retried.body;
  EXPECT_EQ(num(object_of(retried), "requeued"), 1);
  ASSERT_TRUE(eventually(
      [&] { return str(object_of(call("GET", "/delivery/" + id)), "state") == "delivered"; }));
  const auto after = arr(object_of(call("GET", "/delivery/" + id + "/attempt")), "data");
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(num(after[2].as_object(), "status"), 200);
  EXPECT_EQ(str(after[2].as_object(), "trigger"), "manual");

  // Bulk: the other failed delivery.
  const auto bulk = call("POST", "/delivery/retry-failed",
                         json::serialize(json::object{{"destination", "svc"}, {"since", since}}));
  ASSERT_EQ(bulk.status, 202) << bulk.body;
  EXPECT_EQ(num(object_of(bulk), "requeued"), 1);
  ASSERT_TRUE(eventually([&] {
    return arr(object_of(call("GET", "/delivery?destination=svc&state=delivered")), "data")
               .size() == 2;
  }));
  EXPECT_EQ(call("POST", "/delivery/retry-failed", R"({"destination":"svc"})").status, 422);
  EXPECT_EQ(call("POST", "/delivery/retry-failed",
                 R"({"destination":"svc","since":"2026-01-01T00:00:00Z","x":1})")
                .status,
            422);
  EXPECT_EQ(call("GET", "/delivery").status, 422);
  EXPECT_EQ(call("GET", "/delivery/dlv_1_999999").status, 404);

  // Deliver an accepted event again from the inspector: a new attempt reaches the receiver.
  const auto events = arr(feed("?verdict=accepted"), "data");
  ASSERT_FALSE(events.empty());
  const auto before = receiver_->received().size();
  const auto again =
      call("POST", "/source/github/request/" + str(events[0].as_object(), "id") + "/deliver");
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(num(object_of(again), "requeued"), 1);
  ASSERT_TRUE(eventually([&] { return receiver_->received().size() > before; }));
}

TEST_F(ConsoleApi, DestinationsStatsAndEstablishment) {
  ASSERT_EQ(signed_event(R"({"s":1})").status, 200);
  ASSERT_EQ(forged("{}").status, 401);
  ASSERT_TRUE(eventually([&] {
    return arr(object_of(call("GET", "/delivery?destination=svc&state=delivered")), "data")
               .size() == 1;
  }));
  const auto dest = object_of(call("GET", "/destination"));
  const auto rows = arr(dest, "data");
  ASSERT_EQ(rows.size(), 1u) << json::serialize(dest);
  const auto& svc = rows[0].as_object();
  EXPECT_EQ(str(svc, "kind"), "http");
  // Never the URL's query (it may carry a credential).
  EXPECT_EQ(str(svc, "url").find("token"), std::string::npos) << str(svc, "url");
  EXPECT_TRUE(str(svc, "url").ends_with("/forwarded")) << str(svc, "url");
  EXPECT_EQ(num(svc.at("health").as_object(), "delivered"), 1);

  const auto total = [](const json::array& values) {
    std::int64_t sum = 0;
    for (const auto& v : values)
      sum += v.as_int64();
    return sum;
  };
  // The attempt's report reaches this node's rates just after the store shows the delivery as
  // delivered (on a busy machine the first look may come in between).
  json::object stats;
  ASSERT_TRUE(eventually([&] {
    stats = object_of(call("GET", "/stats?seconds=120"));
    return stats.contains("series") && total(arr(stats.at("series").as_object(), "delivered")) >= 1;
  })) << json::serialize(stats);
  const auto& series = stats.at("series").as_object();
  EXPECT_EQ(arr(series, "accepted").size(), 120u);
  const auto accepted = total(arr(series, "accepted"));
  const auto refused = total(arr(series, "refused"));
  const auto delivered = total(arr(series, "delivered"));
  const auto no_match = total(arr(series.at("refusedByReason").as_object(), "no_match"));
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(no_match, 1);
  EXPECT_EQ(delivered, 1);
  EXPECT_EQ(num(stats, "queueDepth"), 0);
  EXPECT_TRUE(stats.at("oldestPendingAt").is_null());
  EXPECT_EQ(call("GET", "/stats?seconds=0").status, 422);

  const auto est = object_of(call("GET", "/establishment"));
  EXPECT_EQ(arr(est, "data").size(), 0u);  // no asana source here
}

TEST_F(ConsoleApi, PortalTokensAndApplicationKeysGetForbiddenEverywhere) {
  const auto app = object_of(call("POST", "/app", R"({"name":"Acme"})"));
  const auto app_id = str(app, "id");
  ASSERT_FALSE(app_id.empty());
  const auto portal = object_of(call("POST", "/auth/app-portal-access/" + app_id, "{}"));
  const auto token = str(portal, "token");
  ASSERT_FALSE(token.empty());
  const auto key = object_of(
      call("POST", "/api-key", json::serialize(json::object{{"name", "k"}, {"scope", app_id}})));
  const auto app_key = str(key, "key");
  ASSERT_FALSE(app_key.empty()) << json::serialize(key);
  ASSERT_EQ(forged("{}").status, 401);
  const auto id = str(arr(feed(), "data")[0].as_object(), "id");
  for (const auto& k : {token, app_key}) {
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/source"},
             {"GET", "/source/github/request"},
             {"GET", "/source/github/request/" + id},
             {"POST", "/source/github/request/evt_1/deliver"},
             {"GET", "/delivery?destination=svc"},
             {"GET", "/delivery/dlv_1_1"},
             {"GET", "/delivery/dlv_1_1/attempt"},
             {"POST", "/delivery/dlv_1_1/retry"},
             {"POST", "/delivery/retry-failed"},
             {"GET", "/destination"},
             {"GET", "/stats"},
             {"GET", "/establishment"}}) {
      const auto r = call(method, path, "", k);
      EXPECT_EQ(r.status, 403) << method << " " << path << " " << r.body;
      EXPECT_EQ(r.body.find("stolen"), std::string::npos);
    }
  }
  EXPECT_EQ(call("GET", "/source", "", "").status, 401);
}

TEST_F(ConsoleApi, OneNodeShowsAnotherNodesRefusedRequests) {
  if (!store_.postgres()) GTEST_SKIP() << "one node per SQLite store";
  server2_ = start(2);
  ASSERT_TRUE(server2_->started()) << server2_->stderr_text();
  const auto cursor = str(feed(), "prevIterator");
  ASSERT_EQ(forged(R"({"from":"node2"})", server2_.get()).status, 401);
  ASSERT_EQ(signed_event(R"({"from":"node2"})", server2_.get()).status, 200);
  // Node 1 shows node 2's ring (mirrored within a second) and the stored event.
  json::array rows;
  ASSERT_TRUE(eventually([&] {
    rows = arr(feed("?iterator=" + cursor), "data");
    return rows.size() == 2;
  })) << json::serialize(rows);
  std::string remote_id;
  for (const auto& r : rows) {
    const auto& o = r.as_object();
    if (str(o, "verdict") == "refused") {
      EXPECT_EQ(str(o, "node"), "node-2");
      remote_id = str(o, "id");
    }
  }
  ASSERT_FALSE(remote_id.empty());
  const auto d = call("GET", "/source/github/request/" + remote_id);
  ASSERT_EQ(d.status, 200) << d.body;
  EXPECT_EQ(crypto::base64_decode(str(object_of(d), "body")).value_or(""), R"({"from":"node2"})");
  EXPECT_EQ(d.body.find("stolen-admin-key"), std::string::npos);
}

}  // namespace
}  // namespace hookgate::e2e
