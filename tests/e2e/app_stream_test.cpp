// /api/v1/app/{app_id}/stream against the real binary over loopback (SQLite, or PostgreSQL with
// HOOKGATE_E2E_BACKEND=postgres): an application's messages as /api/v1 shows them with their
// message ids as SSE ids, resumption after a message id (Last-Event-ID or ?after=), filters by
// event type and channel, the /api/v1 authorisation (an application's key or portal token
// reaches its own stream only), bad cursors refused with a short reason, a consumer that stops
// reading cut off with the server's memory bounded, and on a shared PostgreSQL store a stream on
// one node seeing messages published on another.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>

#include "server_process.hpp"
#include "sse_client.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"
#include "wait.hpp"

namespace hookgate::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kAdminKey = "e2e-app-stream-admin-key-0123456789";
constexpr const char* kSealKey = "c2VhbGluZy1rZXktZm9yLW91dGJvdW5kLWUyZS10c3Q=";

json::object object_of(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}
std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

class AppStream : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    dir_ = fresh_test_dir("hookgate-app-stream");
    config_ = (dir_ / "hookgate.toml").string();
    write_config("");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_config(const std::string& streams) {
    std::ofstream(config_) << "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \""
                           << store_.url() << "\"\n[streams]\n"
                           << streams << "[outbound]\nsecret_key = \"" << kSealKey
                           << "\"\n[api]\nenabled = true\nadmin_keys = [\"" << kAdminKey << "\"]\n";
  }

  static HttpResult call(int port, const std::string& method, const std::string& path,
                         const std::string& body = "", const std::string& key = kAdminKey) {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return http_request(port, method, "/api/v1" + path, headers, body);
  }

  static std::string create_app(int port, const std::string& uid) {
    const auto r =
        call(port, "POST", "/app", json::serialize(json::object{{"name", uid}, {"uid", uid}}));
    EXPECT_EQ(r.status, 201) << r.body;
    return str(object_of(r.body), "id");
  }

  // Publishes one message; returns its id.
  static std::string publish(int port, const std::string& app, const std::string& type,
                             const json::value& payload, const json::array& channels = {}) {
    json::object m{{"eventType", type}, {"payload", payload}};
    if (!channels.empty()) m["channels"] = channels;
    const auto r = call(port, "POST", "/app/" + app + "/msg", json::serialize(m));
    EXPECT_EQ(r.status, 202) << r.body;
    return str(object_of(r.body), "id");
  }

  static std::vector<std::pair<std::string, std::string>> auth(
      const std::string& key = kAdminKey,
      std::vector<std::pair<std::string, std::string>> more = {}) {
    more.emplace_back("Authorization", "Bearer " + key);
    return more;
  }

  static double gauge(int port, const std::string& name) {
    const auto m = http_request(port, "GET", "/metrics", {}, "");
    const auto at = m.body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(m.body.substr(at + name.size() + 2));
  }

  static void expect_ready(SseClient& s, const std::string& app, const std::string& after) {
    ASSERT_EQ(s.status(), 200);
    EXPECT_EQ(s.headers().at("content-type"), "text/event-stream");
    const auto ready = s.next();
    ASSERT_TRUE(ready);
    EXPECT_EQ(ready->event, "ready");
    EXPECT_EQ(ready->retry, "3000");
    const auto data = object_of(ready->data);
    EXPECT_EQ(str(data, "app"), app);
    if (after.empty()) {
      EXPECT_TRUE(data.at("after").is_null());
    } else {
      EXPECT_EQ(str(data, "after"), after);
    }
  }

  // The stream's next message: its id and its data as /api/v1 shows the message.
  static std::pair<std::string, json::object> next(SseClient& s) {
    const auto m = s.next();
    if (!m) return {};
    return {m->id, object_of(m->data)};
  }

  std::filesystem::path dir_;
  std::string config_;
  TestStore store_;
};

TEST_F(AppStream, MessagesArriveAsTheApiShowsThemAndResumeAfterAMessageId) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  const int port = server.port();
  const auto app = create_app(port, "acme");
  const auto other = create_app(port, "other");
  // By uid as well as by id, like every /api/v1 path.
  SseClient live(port, "/api/v1/app/acme/stream", auth());
  expect_ready(live, app, "");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(publish(port, app, i == 1 ? "invoice.paid" : "user.created",
                          json::object{{"n", i}}, i == 2 ? json::array{"eu"} : json::array{}));
    publish(port, other, "user.created", json::object{{"other", i}});  // never on acme's stream
  }
  for (int i = 0; i < 3; ++i) {
    const auto [id, data] = next(live);
    ASSERT_EQ(id, ids[i]) << i;
    EXPECT_EQ(str(data, "id"), ids[i]);
    EXPECT_EQ(str(data, "eventType"), i == 1 ? "invoice.paid" : "user.created");
    EXPECT_EQ(data.at("payload").as_object().at("n").as_int64(), i);
    EXPECT_EQ(str(data, "timestamp").size(), 24U);
    // The message as GET /msg/{id} shows it.
    const auto shown = call(port, "GET", "/app/" + app + "/msg/" + ids[i]);
    EXPECT_EQ(object_of(shown.body), data);
  }
  // Resuming after the first message: exactly the two after it, by header or by query.
  SseClient by_header(port, "/api/v1/app/" + app + "/stream",
                      auth(kAdminKey, {{"Last-Event-ID", ids[0]}}));
  expect_ready(by_header, app, ids[0]);
  EXPECT_EQ(next(by_header).first, ids[1]);
  EXPECT_EQ(next(by_header).first, ids[2]);
  SseClient by_query(port, "/api/v1/app/" + app + "/stream?after=" + ids[0], auth());
  expect_ready(by_query, app, ids[0]);
  EXPECT_EQ(next(by_query).first, ids[1]);
  EXPECT_EQ(next(by_query).first, ids[2]);
  // Filters: by event type, by channel; the cursor moves past what they leave out.
  SseClient typed(
      port, "/api/v1/app/" + app + "/stream?after=" + ids[0] + "&event_types=user.created", auth());
  expect_ready(typed, app, ids[0]);
  EXPECT_EQ(next(typed).first, ids[2]);
  SseClient channel(port, "/api/v1/app/" + app + "/stream?channel=eu&after=" + ids[0], auth());
  expect_ready(channel, app, ids[0]);
  EXPECT_EQ(next(channel).first, ids[2]);
  const auto more = publish(port, app, "user.created", json::object{{"n", 3}});
  EXPECT_EQ(next(typed).first, more);
  EXPECT_EQ(next(live).first, more);  // and nothing of the other application's in between
  EXPECT_EQ(next(by_header).first, more);
}

TEST_F(AppStream, KeysAndPortalTokensReachTheirOwnApplicationsStreamOnly) {
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  const int port = server.port();
  const auto mine = create_app(port, "mine");
  const auto theirs = create_app(port, "theirs");
  const auto key = str(object_of(call(port, "POST", "/api-key",
                                      json::serialize(json::object{{"scope", mine}, {"name", "k"}}))
                                     .body),
                       "key");
  ASSERT_FALSE(key.empty());
  const auto token =
      str(object_of(call(port, "POST", "/auth/app-portal-access/mine", "{}").body), "token");
  ASSERT_FALSE(token.empty());
  const auto theirs_msg = publish(port, theirs, "user.created", json::object{{"secret", 1}});
  const auto status = [&](const std::string& target,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
    SseClient s(port, target, headers);
    return std::make_pair(s.status(), s.status() == 200 ? std::string() : s.body());
  };
  // Nothing but a key of this application (or an admin key) opens its stream.
  EXPECT_EQ(status("/api/v1/app/mine/stream", {}).first, 401);
  EXPECT_EQ(status("/api/v1/app/mine/stream", auth("not-a-key")).first, 401);
  EXPECT_EQ(status("/api/v1/app/theirs/stream", auth(key)).first, 403);
  EXPECT_EQ(status("/api/v1/app/" + theirs + "/stream", auth(token)).first, 403);
  EXPECT_EQ(status("/api/v1/app/nosuch/stream", auth(key)).first, 403);
  EXPECT_EQ(status("/api/v1/app/mine/stream", auth(key)).first, 200);
  EXPECT_EQ(status("/api/v1/app/mine/stream", auth(token)).first, 200);
  // Cursors: not a message id, far too long, or a message of another application: 400 with a
  // short reason, never that application's messages.
  const auto bad_id = status("/api/v1/app/mine/stream", auth(key, {{"Last-Event-ID", "12"}}));
  EXPECT_EQ(bad_id.first, 400);
  EXPECT_NE(bad_id.second.find("bad_last_event_id"), std::string::npos) << bad_id.second;
  const auto huge =
      status("/api/v1/app/mine/stream?after=msg_" + std::string(2000, 'a'), auth(key));
  EXPECT_EQ(huge.first, 400);
  EXPECT_NE(huge.second.find("bad_after"), std::string::npos) << huge.second;
  const auto foreign =
      status("/api/v1/app/mine/stream", auth(key, {{"Last-Event-ID", theirs_msg}}));
  EXPECT_EQ(foreign.first, 400);
  EXPECT_NE(foreign.second.find("unknown_cursor"), std::string::npos) << foreign.second;
  EXPECT_EQ(status("/api/v1/app/mine/stream?event_types=" + std::string(300, 'x'), auth(key)).first,
            422);
  EXPECT_EQ(call(port, "POST", "/app/mine/stream", "{}").status, 405);
  EXPECT_EQ(gauge(port, "hookgate_streams_open"), 0);
}

TEST_F(AppStream, AConsumerThatStopsReadingIsCutOffAndMemoryStaysBounded) {
  write_config("buffer_bytes = 65536\nwrite_timeout_ms = 2000\nping_interval_ms = 100000\n");
  ServerProcess server(config_);
  ASSERT_TRUE(server.started()) << server.stderr_text();
  const int port = server.port();
  const auto app = create_app(port, "big");
  const std::string filler(1000 * 1024, 'x');
  // A first round with no stream open: what publishing large messages costs the allocator
  // (request bodies and JSON on many API threads) is paid before the measurement.
  for (int i = 0; i < 32; ++i)
    ASSERT_FALSE(publish(port, app, "big.warm", json::string(std::to_string(i) + filler)).empty());
  SseClient stuck(port, "/api/v1/app/big/stream", auth(), 4096);
  expect_ready(stuck, app, "");
  ASSERT_TRUE(eventually([&] { return gauge(port, "hookgate_streams_open") == 1; }, 10s));
  [[maybe_unused]] const double rss_before = gauge(port, "process_resident_memory_bytes");
  // 32 MiB of messages while the consumer reads nothing: many times what its bound and the
  // socket buffers hold.
  std::string first;
  for (int i = 0; i < 32; ++i) {
    const auto id = publish(port, app, "big.one", json::string(std::to_string(i) + filler));
    ASSERT_FALSE(id.empty()) << i;
    if (i == 0) first = id;
  }
  ASSERT_TRUE(eventually([&] { return gauge(port, "hookgate_streams_open") == 0; }, 60s));
#if !defined(__SANITIZE_ADDRESS__)
  const double rss_after = gauge(port, "process_resident_memory_bytes");
  EXPECT_LT(rss_after - rss_before, 16.0 * 1024 * 1024) << rss_before << " -> " << rss_after;
#endif
  SseClient back(port, "/api/v1/app/big/stream", auth(kAdminKey, {{"Last-Event-ID", first}}));
  expect_ready(back, app, first);
  const auto m = back.next();
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->id.starts_with("msg_"));
  EXPECT_NE(m->id, first);
}

TEST_F(AppStream, AStreamOnOneNodeSeesMessagesPublishedOnAnother) {
  if (!store_.postgres()) GTEST_SKIP() << "needs a shared PostgreSQL store";
  ServerProcess one(config_);
  ASSERT_TRUE(one.started()) << one.stderr_text();
  ServerProcess two(config_);
  ASSERT_TRUE(two.started()) << two.stderr_text();
  const auto app = create_app(two.port(), "shared");
  SseClient s(one.port(), "/api/v1/app/" + app + "/stream", auth());
  expect_ready(s, app, "");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i)
    ids.push_back(publish(two.port(), app, "user.created", json::object{{"n", i}}));
  // Node one learns of them from the store's notifications (LISTEN/NOTIFY), not by polling.
  for (int i = 0; i < 3; ++i) {
    const auto m = s.next(20s);
    ASSERT_TRUE(m) << i;
    EXPECT_EQ(m->id, ids[i]);
  }
}

}  // namespace
}  // namespace hookgate::e2e
