// The outbound side as a customer's integration uses it, through the real `hookgate serve` and
// its management API over loopback: applications and endpoints (secrets shown once, verification
// handshakes), publishing (exact bytes, Standard Webhooks signatures that the project's own
// verifier accepts, idempotency), retries with recorded attempts, rotation, 410 disabling and
// recovery, the SSRF policy and redirects, API key scopes, Ed25519 and sealed-box endpoints, and a
// second Hookgate process verifying as a receiver what the first one signs as a sender.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/hmac.hpp"
#include "hookgate/crypto/random.hpp"
#include "hookgate/crypto/sealed_box.hpp"
#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/key.hpp"
#include "hookgate/schemes/secret.hpp"
#include "hookgate/schemes/verify.hpp"
#include "loopback_receiver.hpp"
#include "server_process.hpp"
#include "test_dir.hpp"
#include "test_store.hpp"
#include "wait.hpp"

namespace hookgate::e2e {
namespace {

namespace json = boost::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kAdminKey = "e2e-admin-key-0123456789abcdef";
constexpr const char* kPullToken = "e2e-receiver-pull-token";
constexpr const char* kSealKey = "c2VhbGluZy1rZXktZm9yLW91dGJvdW5kLWUyZS10c3Q=";

// Lenient accessors: a missing or mistyped member fails the comparison that uses it instead of
// throwing out of the test.
json::object object_of(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}
json::object object_of(const HttpResult& r) {
  return object_of(r.body);
}
std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}
std::int64_t num(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? v->as_int64() : -1;
}
bool flag(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}
json::array arr(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? v->as_array() : json::array();
}
json::object obj(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? v->as_object() : json::object();
}
// The field errors of a 422 (Svix's {"detail": [{"loc", "msg", "type"}]}) as "field: msg" lines,
// the field being the last element of loc.
std::string field_errors(const HttpResult& r) {
  std::string out;
  const auto v = json::parse(r.body);
  for (const auto& e : v.as_object().at("detail").as_array()) {
    const auto& loc = e.as_object().at("loc").as_array();
    out += std::string(loc.back().as_string()) + ": " +
           std::string(e.as_object().at("msg").as_string()) + "\n";
  }
  return out;
}

std::vector<std::string> strings(const json::array& a) {
  std::vector<std::string> out;
  for (const auto& v : a) {
    if (v.is_string()) out.emplace_back(v.as_string());
  }
  return out;
}

const schemes::Scheme& standard_webhooks() {
  static const auto catalogue = schemes::Catalogue::with_builtins();
  return *catalogue->find("standard-webhooks");
}

schemes::Key hmac_key(const std::string& secret) {
  return schemes::Key::parse_secret(standard_webhooks(), secret).value();
}

// What the receiving side of an integration runs: the project's own Standard Webhooks verifier.
schemes::Verdict verify(const ReceivedRequest& r, const std::vector<schemes::Key>& keys) {
  schemes::HeaderList headers;
  for (const auto& [k, v] : r.headers)
    headers.add(k, v);
  return schemes::verify(standard_webhooks(), {"POST", "", headers, r.body}, keys);
}

// The items of a webhook-signature header ("v1,abc v1,def").
std::set<std::string> signature_items(const ReceivedRequest& r) {
  std::set<std::string> out;
  std::istringstream in(r.headers.count("webhook-signature") ? r.headers.at("webhook-signature")
                                                             : "");
  for (std::string item; in >> item;)
    out.insert(item);
  return out;
}

// The v1 item a given whsec_ secret produces for this request, computed from the specification.
std::string expected_v1(const ReceivedRequest& r, const std::string& secret) {
  const auto key = crypto::base64_decode(std::string_view(secret).substr(6)).value_or("");
  const std::string content =
      r.headers.at("webhook-id") + "." + r.headers.at("webhook-timestamp") + "." + r.body;
  return "v1," + crypto::base64_encode(crypto::hmac(crypto::DigestAlgorithm::sha256, key, content));
}

// Concatenation in one allocation (paths built inside loops).
std::string join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const auto part : parts)
    out += part;
  return out;
}

std::string header(const HttpResult& r, const std::string& name) {
  const auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

std::vector<ReceivedRequest> with_id(const LoopbackReceiver& receiver, const std::string& id) {
  std::vector<ReceivedRequest> out;
  for (const auto& r : receiver.received()) {
    const auto it = r.headers.find("webhook-id");
    if (it != r.headers.end() && it->second == id) out.push_back(r);
  }
  return out;
}

ReceiverAnswer ok_answer(const ReceivedRequest& /*request*/) {
  return {200, {}, "ok"};
}

class Outbound : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!store_.error().empty()) GTEST_SKIP() << store_.error();
    dir_ = fresh_test_dir("hookgate-outbound");
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // The sender: API on, loopback allowed for endpoints, quick retries (4 attempts a second apart).
  // outbound_extra: more [outbound] keys. PostgreSQL needs a secret_key (nodes share it);
  // SQLite uses the key file generated next to the database unless the test sets one.
  void start_sender(std::string outbound_extra = "") {
    if (outbound_extra.empty() && store_.postgres()) {
      outbound_extra = "secret_key = \"" + std::string(kSealKey) + "\"\n";
    }
    const auto path = (dir_ / "sender.toml").string();
    std::ofstream(path) << R"([server]
listen = "127.0.0.1:0"
[store]
url = ")" << store_.url()
                        << R"("
[delivery]
schedule = [1, 1, 1]
jitter = 0
lease_seconds = 5
[outbound]
allow_cidrs = ["127.0.0.1/32"]
require_https = false
timeout_ms = 2000
)" << outbound_extra << R"([api]
enabled = true
admin_keys = [")" << kAdminKey
                        << R"("]
)";
    server_ = std::make_unique<ServerProcess>(path);
  }

  HttpResult call(const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& key = kAdminKey, Headers headers = {}) const {
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + key);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return http_request(server_->port(), method, path, headers, body);
  }

  std::string create_app(const std::string& name) const {
    const auto r = call("POST", "/api/v1/app", json::serialize(json::object{{"name", name}}));
    EXPECT_EQ(r.status, 201) << r.body;
    return str(object_of(r), "id");
  }

  // The 201 answer's body (the endpoint view plus secret and verificationResult).
  json::object create_endpoint(const std::string& app, const json::object& input) const {
    const auto r = call("POST", "/api/v1/app/" + app + "/endpoint", json::serialize(input));
    EXPECT_EQ(r.status, 201) << r.body;
    return object_of(r);
  }

  json::object get(const std::string& path) const {
    const auto r = call("GET", path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return object_of(r);
  }

  // The publish answer; payload is raw JSON text, inserted as written.
  json::object publish(const std::string& app, const std::string& event_type,
                       const std::string& payload, Headers headers = {}) const {
    const auto r = call("POST", "/api/v1/app/" + app + "/msg",
                        R"({"eventType":")" + event_type + R"(","payload":)" + payload + "}",
                        kAdminKey, std::move(headers));
    EXPECT_EQ(r.status, 202) << r.body;
    return object_of(r);
  }

  // A message's attempts (MessageAttemptOut), oldest first (the API lists newest first).
  json::array attempts(const std::string& app, const std::string& msg) const {
    auto data = arr(get("/api/v1/app/" + app + "/attempt/msg/" + msg), "data");
    std::reverse(data.begin(), data.end());
    return data;
  }

  // The message's state at its only endpoint: "delivered", "pending" or "failed".
  std::string delivery_state(const std::string& app, const std::string& msg) const {
    const auto endpoints = arr(get("/api/v1/app/" + app + "/msg/" + msg + "/endpoint"), "data");
    if (endpoints.size() != 1 || !endpoints[0].is_object()) return "";
    const auto status = num(endpoints[0].as_object(), "status");
    return status == 0 ? "delivered" : status == 2 ? "failed" : "pending";
  }

  // The endpoints a message was sent to (MessageEndpointOut ids).
  std::vector<std::string> sent_to(const std::string& app, const std::string& msg) const {
    std::vector<std::string> ids;
    for (const auto& e : arr(get("/api/v1/app/" + app + "/msg/" + msg + "/endpoint"), "data"))
      ids.push_back(str(e.as_object(), "id"));
    return ids;
  }

  std::string url_of(const LoopbackReceiver& r, const std::string& path = "/hooks") const {
    return "http://127.0.0.1:" + std::to_string(r.port()) + path;
  }

  std::filesystem::path dir_;
  TestStore store_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(Outbound, ApplicationsAndEndpointsWithTheSecretShownOnce) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  LoopbackReceiver receiver(ok_answer);

  const auto acme = create_app("Acme");
  const auto beta = create_app("Beta");
  EXPECT_TRUE(acme.starts_with("app_")) << acme;
  EXPECT_EQ(str(get("/api/v1/app/" + acme), "name"), "Acme");
  // Iterator pagination visits both applications once.
  const auto first = get("/api/v1/app?limit=1");
  ASSERT_EQ(arr(first, "data").size(), 1U);
  EXPECT_FALSE(flag(first, "done"));
  const auto next = str(first, "iterator");
  ASSERT_FALSE(next.empty());
  const auto second = get("/api/v1/app?limit=1&iterator=" + next);
  ASSERT_EQ(arr(second, "data").size(), 1U);
  EXPECT_TRUE(second.at("iterator").is_null());
  EXPECT_TRUE(flag(second, "done"));
  EXPECT_EQ((std::set<std::string>{str(arr(first, "data")[0].as_object(), "id"),
                                   str(arr(second, "data")[0].as_object(), "id")}),
            (std::set<std::string>{acme, beta}));

  // Errors are Svix's: {"code","detail"}, and 422 a list of field errors.
  const auto not_allowed = call("PUT", "/api/v1/app");
  EXPECT_EQ(not_allowed.status, 405);
  EXPECT_EQ(header(not_allowed, "allow"), "GET, POST");
  EXPECT_EQ(str(object_of(not_allowed), "code"), "method_not_allowed");
  const auto bad_json = call("POST", "/api/v1/app", "{\"name\":");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(str(object_of(bad_json), "code"), "bad_request");
  const auto no_name = call("POST", "/api/v1/app", "{}");
  EXPECT_EQ(no_name.status, 422);
  EXPECT_TRUE(field_errors(no_name).starts_with("name: ")) << no_name.body;
  EXPECT_EQ(call("GET", "/api/v1/app?limit=0").status, 422);
  EXPECT_EQ(call("GET", "/api/v1/app?limit=251").status, 422);
  EXPECT_EQ(call("GET", "/api/v1/nothing").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/app/app_doesnotexist").status, 404);

  const auto created = create_endpoint(
      acme,
      {{"url", url_of(receiver)}, {"description", "primary"}, {"eventTypes", json::array{"a.b"}}});
  const auto ep = str(created, "id");
  const auto secret = str(created, "secret");
  EXPECT_TRUE(ep.starts_with("ep_")) << ep;
  EXPECT_TRUE(secret.starts_with("whsec_")) << secret;
  EXPECT_EQ(str(obj(created, "verificationResult"), "state"), "not_needed");
  EXPECT_TRUE(flag(created, "verified"));
  EXPECT_FALSE(flag(created, "disabled"));
  EXPECT_EQ(str(created, "signing"), "hmac");
  EXPECT_EQ(num(created, "signingKeys"), 1);
  const auto location = call("POST", "/api/v1/app/" + acme + "/endpoint",
                             json::serialize(json::object{{"url", url_of(receiver, "/two")}}));
  EXPECT_EQ(location.status, 201);
  EXPECT_EQ(header(location, "location"),
            "/api/v1/app/" + acme + "/endpoint/" + str(object_of(location), "id"));

  // The secret is in the creating answer only, and in the explicit reveal call.
  const auto shown = call("GET", "/api/v1/app/" + acme + "/endpoint/" + ep);
  EXPECT_EQ(shown.status, 200);
  EXPECT_EQ(object_of(shown).if_contains("secret"), nullptr);
  EXPECT_EQ(shown.body.find(secret), std::string::npos);
  EXPECT_EQ(str(object_of(shown), "description"), "primary");
  const auto listed = call("GET", "/api/v1/app/" + acme + "/endpoint");
  EXPECT_EQ(listed.status, 200);
  EXPECT_EQ(arr(object_of(listed), "data").size(), 2U);
  EXPECT_EQ(listed.body.find(secret), std::string::npos);
  EXPECT_EQ(header(shown, "cache-control"), "no-store");
  const auto revealed = call("GET", "/api/v1/app/" + acme + "/endpoint/" + ep + "/secret");
  EXPECT_EQ(revealed.status, 200);
  EXPECT_EQ(str(object_of(revealed), "key"), secret);
  EXPECT_EQ(header(revealed, "cache-control"), "no-store");

  // Strict input: unknown fields and creation-only fields are refused, not ignored.
  const auto typo = call("POST", "/api/v1/app/" + acme + "/endpoint",
                         R"({"url":")" + url_of(receiver) + R"(","event_type":["a.b"]})");
  EXPECT_EQ(typo.status, 422) << typo.body;
  EXPECT_NE(field_errors(typo).find("event_type"), std::string::npos) << typo.body;
  EXPECT_EQ(call("PATCH", "/api/v1/app/" + acme + "/endpoint/" + ep,
                 R"({"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})")
                .status,
            422);
  const auto patched = call("PATCH", "/api/v1/app/" + acme + "/endpoint/" + ep,
                            R"({"description":"changed","eventTypes":[]})");
  EXPECT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(str(object_of(patched), "description"), "changed");
  EXPECT_TRUE(object_of(patched).at("eventTypes").is_null());

  // Another application's endpoint is as absent as a missing one.
  EXPECT_EQ(call("GET", "/api/v1/app/" + beta + "/endpoint/" + ep).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/app/" + beta + "/endpoint/" + ep + "/secret").status, 404);

  EXPECT_EQ(call("DELETE", "/api/v1/app/" + acme + "/endpoint/" + ep).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/app/" + acme + "/endpoint/" + ep).status, 404);
  EXPECT_EQ(call("DELETE", "/api/v1/app/" + beta).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/app/" + beta).status, 404);
  EXPECT_TRUE(receiver.received().empty());  // nothing published, nothing to verify
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

TEST_F(Outbound, VerificationModesDecideWhoReceivesMessages) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  std::atomic<bool> mute_learns_to_echo{false};
  LoopbackReceiver plain(ok_answer);
  const auto echo_back = [](const ReceivedRequest& r) {
    const auto it = r.headers.find("x-hook-secret");
    return it == r.headers.end() ? ReceiverAnswer{200, {}, ""}
                                 : ReceiverAnswer{200, {{"X-Hook-Secret", it->second}}, ""};
  };
  LoopbackReceiver echoing(echo_back);
  LoopbackReceiver mute([&](const ReceivedRequest& r) {
    return mute_learns_to_echo ? echo_back(r) : ReceiverAnswer{200, {}, "hello"};
  });
  LoopbackReceiver challenged([](const ReceivedRequest& r) {
    const auto body = object_of(r.body);
    if (body.if_contains("challenge") == nullptr) return ReceiverAnswer{204, {}, ""};
    return ReceiverAnswer{200,
                          {{"Content-Type", "application/json"}},
                          json::serialize(json::object{{"challenge", str(body, "challenge")}})};
  });
  const auto app = create_app("verifying");

  const auto none = create_endpoint(app, {{"url", url_of(plain)}});
  EXPECT_EQ(str(obj(none, "verificationResult"), "state"), "not_needed");
  EXPECT_TRUE(flag(none, "verified"));
  EXPECT_TRUE(plain.received().empty());

  const auto echo = create_endpoint(app, {{"url", url_of(echoing)}, {"verification", "echo"}});
  EXPECT_EQ(str(obj(echo, "verificationResult"), "state"), "verified") << json::serialize(echo);
  EXPECT_TRUE(flag(echo, "verified"));
  ASSERT_EQ(echoing.received().size(), 1U);
  {
    // The handshake is itself signed, with an id in the application's namespace.
    const auto handshake = echoing.received().front();
    EXPECT_EQ(handshake.headers.count("x-hook-secret"), 1U);
    EXPECT_TRUE(handshake.headers.at("webhook-id").starts_with(app + "/verify_"));
    EXPECT_EQ(str(object_of(handshake.body), "type"), "endpoint.verification");
    const auto verdict = verify(handshake, {hmac_key(str(echo, "secret"))});
    EXPECT_TRUE(verdict.ok()) << schemes::to_string(verdict.reason);
  }

  const auto silent = create_endpoint(app, {{"url", url_of(mute)}, {"verification", "echo"}});
  const auto silent_id = str(silent, "id");
  EXPECT_EQ(str(obj(silent, "verificationResult"), "state"), "failed");
  EXPECT_NE(str(obj(silent, "verificationResult"), "reason").find("X-Hook-Secret"),
            std::string::npos);
  EXPECT_FALSE(flag(silent, "verified"));
  const auto stored = get("/api/v1/app/" + app + "/endpoint/" + silent_id);
  EXPECT_FALSE(flag(stored, "verified"));
  EXPECT_FALSE(str(stored, "verificationError").empty());

  const auto challenge =
      create_endpoint(app, {{"url", url_of(challenged)}, {"verification", "challenge"}});
  EXPECT_EQ(str(obj(challenge, "verificationResult"), "state"), "verified")
      << json::serialize(challenge);
  EXPECT_EQ(str(challenge, "verification"), "challenge");

  const auto first = publish(app, "user.created", R"({"n":1})");
  const auto first_id = str(first, "id");
  const auto fanned = sent_to(app, first_id);
  EXPECT_EQ(std::set<std::string>(fanned.begin(), fanned.end()),
            (std::set<std::string>{str(none, "id"), str(echo, "id"), str(challenge, "id")}));
  ASSERT_TRUE(eventually([&] {
    return with_id(plain, first_id).size() == 1 && with_id(echoing, first_id).size() == 1 &&
           with_id(challenged, first_id).size() == 1;
  })) << server_->stderr_text();
  // The endpoint that never proved it wants events got the handshake and nothing else.
  EXPECT_EQ(mute.received().size(), 1U);
  EXPECT_TRUE(with_id(mute, first_id).empty());

  // Once it answers the handshake, a new verification lets it receive what comes next.
  mute_learns_to_echo = true;
  const auto again = call("POST", "/api/v1/app/" + app + "/endpoint/" + silent_id + "/verify");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_TRUE(flag(object_of(again), "verified"));
  const auto now_verified = get("/api/v1/app/" + app + "/endpoint/" + silent_id);
  EXPECT_TRUE(flag(now_verified, "verified"));
  EXPECT_EQ(now_verified.if_contains("verificationError"), nullptr);
  const auto second = publish(app, "user.created", R"({"n":2})");
  const auto second_id = str(second, "id");
  ASSERT_TRUE(eventually([&] { return with_id(mute, second_id).size() == 1; }))
      << server_->stderr_text();
  EXPECT_TRUE(with_id(mute, first_id).empty());
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

// Verification must show intent: a receiver that mirrors its requests (body or headers, as
// loggers and echo services do) is never verified, in any mode; the right answers are; and
// hmac_challenge tells a receiver holding the secret from one that does not.
TEST_F(Outbound, VerificationRefusesReflectedRequestsAndHmacProvesTheSecret) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  const auto json_answer = [](std::string body) {
    return ReceiverAnswer{200, {{"Content-Type", "application/json"}}, std::move(body)};
  };
  LoopbackReceiver body_mirror([&](const ReceivedRequest& r) { return json_answer(r.body); });
  LoopbackReceiver header_mirror([](const ReceivedRequest& r) {
    ReceiverAnswer a{200, {}, "ok"};
    for (const auto& [k, v] : r.headers) {
      if (k != "content-length" && k != "connection" && k != "host") a.headers.emplace_back(k, v);
    }
    return a;
  });
  // An echo service in the httpbin style: the challenge at the top, the request beside it.
  LoopbackReceiver inspector([&](const ReceivedRequest& r) {
    json::object headers;
    for (const auto& [k, v] : r.headers)
      headers[k] = v;
    const auto body = object_of(r.body);
    return json_answer(json::serialize(
        json::object{{"challenge", body.if_contains("challenge") ? str(body, "challenge") : ""},
                     {"headers", headers}}));
  });
  LoopbackReceiver plain_challenge([&](const ReceivedRequest& r) {
    return ReceiverAnswer{200, {}, str(object_of(r.body), "challenge") + "\n"};
  });
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const auto hmac_answer = [&](const std::string& key) {
    return [&, key](const ReceivedRequest& r) {
      const auto raw = crypto::base64_decode(std::string_view(key).substr(6)).value();
      const auto mac =
          crypto::hmac(crypto::DigestAlgorithm::sha256, raw,
                       "hookgate-endpoint-verification:" + str(object_of(r.body), "challenge"));
      return json_answer(
          json::serialize(json::object{{"challenge_hmac", crypto::base64_encode(mac)}}));
    };
  };
  LoopbackReceiver holds_secret(hmac_answer(secret));
  LoopbackReceiver wrong_secret(hmac_answer("whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="));
  const auto app = create_app("intent");
  const auto state = [&](const LoopbackReceiver& r, const std::string& mode,
                         const std::string& with_secret = "") {
    json::object input{{"url", url_of(r)}, {"verification", mode}};
    if (!with_secret.empty()) input["secret"] = with_secret;
    const auto e = create_endpoint(app, input);
    EXPECT_EQ(flag(e, "verified"), str(obj(e, "verificationResult"), "state") == "verified");
    return str(obj(e, "verificationResult"), "state") + " " +
           str(obj(e, "verificationResult"), "reason");
  };
  EXPECT_EQ(state(body_mirror, "challenge"),
            "failed the endpoint reflected the request instead of answering it");
  EXPECT_EQ(state(body_mirror, "echo").substr(0, 6), "failed");
  EXPECT_EQ(state(body_mirror, "hmac_challenge").substr(0, 6), "failed");
  EXPECT_EQ(state(header_mirror, "echo"),
            "failed the endpoint reflected the request instead of answering it");
  EXPECT_EQ(state(header_mirror, "challenge").substr(0, 6), "failed");
  EXPECT_EQ(state(inspector, "challenge").substr(0, 6), "failed");
  EXPECT_EQ(state(plain_challenge, "challenge"), "verified ");
  // The bare value proves intent, not the secret.
  EXPECT_EQ(state(plain_challenge, "hmac_challenge", secret).substr(0, 6), "failed");
  EXPECT_EQ(state(holds_secret, "hmac_challenge", secret), "verified ");
  EXPECT_EQ(state(wrong_secret, "hmac_challenge", secret),
            "failed the endpoint did not return the challenge's HMAC under its secret");
  // A receiver that holds the secret answers the plain challenge wrongly: modes are not mixed.
  EXPECT_EQ(state(holds_secret, "challenge", secret).substr(0, 6), "failed");
  {
    // The handshake tells the receiver what to answer, and is signed with the secret.
    const auto handshake = holds_secret.received().front();
    const auto body = object_of(handshake.body);
    EXPECT_EQ(str(body, "answer"), "challenge_hmac");
    EXPECT_EQ(str(body, "challenge").size(), 40U);
    EXPECT_TRUE(verify(handshake, {hmac_key(secret)}).ok());
  }
  // An Ed25519 receiver holds no shared secret: the mode is refused, not silently weakened.
  const auto ed = call("POST", "/api/v1/app/" + app + "/endpoint",
                       json::serialize(json::object{{"url", url_of(holds_secret)},
                                                    {"signing", "ed25519"},
                                                    {"verification", "hmac_challenge"}}));
  EXPECT_EQ(ed.status, 422) << ed.body;
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

// Endpoint secrets at rest: a SQLite node without configuration generates a private key file;
// with [outbound] secret_key (here file:) nothing on disk holds the secret, deliveries are signed
// with it, and a start with another key stops with an error naming the problem instead of
// signing with a wrong secret.
TEST_F(Outbound, EndpointSecretsAreSealedAtRestAndAWrongKeyStopsTheStart) {
  const auto database = dir_ / store_.url().substr(std::string_view("sqlite://").size());
  if (store_.postgres()) {
    // Nodes share a PostgreSQL store: without a shared key configured the start is refused.
    start_sender("# no secret_key\n");
    EXPECT_FALSE(server_->started());
    EXPECT_NE(server_->stop(SIGTERM), 0);
    EXPECT_NE(server_->stderr_text().find("secret_key is required with a PostgreSQL store"),
              std::string::npos)
        << server_->stderr_text();
  } else {
    start_sender();
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
    EXPECT_EQ(server_->stop(SIGTERM), 0);
    EXPECT_NE(server_->stderr_text().find("generated the key sealing endpoint secrets"),
              std::string::npos)
        << server_->stderr_text();
    const auto mode = std::filesystem::status(database.string() + ".key").permissions();
    EXPECT_EQ(mode, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  const auto write_key = [&](const std::string& text) {
    std::ofstream(dir_ / "seal.key") << text << "\n";
  };
  write_key(kSealKey);
  const std::string by_file = "secret_key = \"file:seal.key\"\n";
  start_sender(by_file);
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  LoopbackReceiver receiver(ok_answer);
  const auto app = create_app("sealed");
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const auto endpoint = create_endpoint(app, {{"url", url_of(receiver)}, {"secret", secret}});
  const auto ep_path = "/api/v1/app/" + app + "/endpoint/" + str(endpoint, "id");
  const auto msg = str(publish(app, "a.b", R"({"n":1})"), "id");
  ASSERT_TRUE(eventually([&] { return with_id(receiver, msg).size() == 1; }))
      << server_->stderr_text();
  EXPECT_TRUE(verify(with_id(receiver, msg).front(), {hmac_key(secret)}).ok());
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();

  if (!store_.postgres()) {
    // The database and its log, read as bytes: the secret is not there.
    std::string disk;
    for (const auto& file : {database.string(), database.string() + "-wal"}) {
      std::ifstream in(file, std::ios::binary);
      std::stringstream bytes;
      bytes << in.rdbuf();
      disk += bytes.str();
    }
    ASSERT_NE(disk.find(str(endpoint, "id")), std::string::npos);  // the row is there
    EXPECT_EQ(disk.find("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), std::string::npos);
    EXPECT_NE(disk.find("sealed:v1:"), std::string::npos);
  }

  // Another key (valid, just not this one): no start, and the error says what is wrong.
  write_key("YW5vdGhlci1rZXktdGhhdC1pcy1ub3QtcmlnaHQtMzI=");
  start_sender(by_file);
  EXPECT_FALSE(server_->started());
  EXPECT_NE(server_->stop(SIGTERM), 0);
  EXPECT_NE(server_->stderr_text().find("does not open"), std::string::npos)
      << server_->stderr_text();
  EXPECT_NE(server_->stderr_text().find("secret_key"), std::string::npos);
  EXPECT_EQ(server_->stderr_text().find("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), std::string::npos);
  // A key that is not 32 bytes is a configuration error, before the store is touched.
  write_key("c2hvcnQ=");
  start_sender(by_file);
  EXPECT_FALSE(server_->started());
  EXPECT_NE(server_->stop(SIGTERM), 0);
  EXPECT_NE(server_->stderr_text().find("32"), std::string::npos) << server_->stderr_text();

  // The right key again: the secret is back, unchanged.
  write_key(kSealKey);
  start_sender(by_file);
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  EXPECT_EQ(str(get(ep_path + "/secret"), "key"), secret);
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

TEST_F(Outbound, PublishedBytesArriveSignedWithStandardWebhooks) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  LoopbackReceiver receiver(ok_answer);
  const auto app = create_app("publisher");
  const auto endpoint = create_endpoint(app, {{"url", url_of(receiver, "/hooks?tenant=7")}});
  const auto secret = str(endpoint, "secret");

  // Spacing, key order, number format and escapes must survive: receivers sign-check the bytes.
  const std::string payload = R"({"order" : 7, "total": 1.50, "note":"caf\u00e9",  "tags":[ ]})";
  const auto published = publish(app, "order.created", payload);
  const auto msg = str(published, "id");
  EXPECT_TRUE(msg.starts_with("msg_")) << msg;
  EXPECT_EQ(str(published, "eventType"), "order.created");
  EXPECT_EQ(num(obj(published, "payload"), "order"), 7);
  EXPECT_TRUE(published.at("eventId").is_null());
  EXPECT_EQ(str(published, "timestamp").size(), 24U);  // 2026-11-30T22:17:08.123Z
  EXPECT_EQ(sent_to(app, msg), std::vector<std::string>{str(endpoint, "id")});

  ASSERT_TRUE(eventually([&] { return !receiver.received().empty(); })) << server_->stderr_text();
  const auto got = receiver.received().front();
  EXPECT_EQ(got.method, "POST");
  EXPECT_EQ(got.target, "/hooks?tenant=7");
  EXPECT_EQ(got.body, payload);
  EXPECT_EQ(got.headers.at("content-type"), "application/json");
  EXPECT_EQ(got.headers.at("webhook-id"), msg);  // the id the API returned
  EXPECT_EQ(got.headers.at("webhook-app-id"), app);
  EXPECT_TRUE(got.headers.at("user-agent").starts_with("Hookgate/"));
  const auto sent_at = std::stoll(got.headers.at("webhook-timestamp"));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_LE(std::llabs(now - sent_at), 120);
  const auto verdict = verify(got, {hmac_key(secret)});
  EXPECT_TRUE(verdict.ok()) << schemes::to_string(verdict.reason) << " " << verdict.detail;
  EXPECT_EQ(verdict.id, msg);
  const auto stranger = verify(got, {hmac_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")});
  EXPECT_EQ(stranger.reason, schemes::Reason::no_match);

  ASSERT_TRUE(eventually([&] { return delivery_state(app, msg) == "delivered"; }));
  const auto message = get("/api/v1/app/" + app + "/msg/" + msg);
  EXPECT_EQ(str(message, "eventType"), "order.created");
  EXPECT_EQ(num(obj(message, "payload"), "order"), 7);
  const auto listed = get("/api/v1/app/" + app + "/msg");
  ASSERT_EQ(arr(listed, "data").size(), 1U);
  EXPECT_EQ(str(arr(listed, "data")[0].as_object(), "id"), msg);
  EXPECT_TRUE(listed.at("iterator").is_null());
  EXPECT_EQ(call("GET", "/api/v1/app/" + app + "/msg?iterator=nonsense").status, 422);

  // Malformed publishes are refused before anything is stored.
  const auto path = "/api/v1/app/" + app + "/msg";
  EXPECT_EQ(call("POST", path, R"({"eventType":"x"})").status, 422);
  EXPECT_EQ(call("POST", path, R"({"payload":{}})").status, 422);
  EXPECT_EQ(call("POST", path, R"({"eventType":"x","payload":{},"extra":1})").status, 422);
  EXPECT_EQ(call("POST", path, R"({"eventType":"x","payload":)").status, 400);
  EXPECT_EQ(call("POST", "/api/v1/app/app_missing/msg", R"({"eventType":"x","payload":1})").status,
            404);
  EXPECT_EQ(arr(get("/api/v1/app/" + app + "/msg"), "data").size(), 1U);
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

// Publishes are answered from the store's commit, many at once: every one answered 202 is
// stored with its own id and fanned out, and concurrent publishes with one idempotency key make
// one message, whichever answer comes first.
TEST_F(Outbound, ManyConcurrentPublishesAreAllStoredAnsweredAndDelivered) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  LoopbackReceiver receiver(ok_answer);
  const auto app = create_app("busy");
  const auto endpoint = str(create_endpoint(app, {{"url", url_of(receiver)}}), "id");

  constexpr int kClients = 24;
  constexpr int kEach = 25;
  std::mutex m;
  std::map<std::string, std::string> payload_of;       // message id -> payload
  std::map<std::string, std::set<std::string>> keyed;  // idempotency key -> ids answered
  std::vector<std::string> failures;
  std::vector<std::thread> clients;
  clients.reserve(kClients);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        const std::string payload =
            R"({"client":)" + std::to_string(c) + R"(,"n":)" + std::to_string(i) + "}";
        // Every client also publishes the same five keyed messages: one message each.
        const bool shared = i < 5;
        Headers headers;
        if (shared) headers.emplace_back("Idempotency-Key", "shared-" + std::to_string(i));
        const auto r =
            call("POST", "/api/v1/app/" + app + "/msg",
                 R"({"eventType":"load.test","payload":)" +
                     (shared ? R"({"shared":)" + std::to_string(i) + "}" : payload) + "}",
                 kAdminKey, headers);
        const auto answer = object_of(r);
        const std::lock_guard lock(m);
        if (r.status != 202) {
          failures.push_back(std::to_string(r.status) + " " + r.body);
          continue;
        }
        const auto id = str(answer, "id");
        if (shared) {
          keyed["shared-" + std::to_string(i)].insert(id);
          continue;
        }
        if (!payload_of.emplace(id, payload).second) failures.push_back("id twice: " + id);
      }
    });
  }
  for (auto& t : clients)
    t.join();
  ASSERT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  ASSERT_EQ(payload_of.size(), static_cast<std::size_t>(kClients) * (kEach - 5));
  ASSERT_EQ(keyed.size(), 5U);
  for (const auto& [key, ids] : keyed)
    EXPECT_EQ(ids.size(), 1U) << key << " made more than one message";

  // The log holds exactly these messages (paged), and each stored payload is the one answered.
  std::set<std::string> listed;
  std::string cursor;
  for (int page = 0; page < 100; ++page) {
    const auto list = get("/api/v1/app/" + app + "/msg?limit=250" +
                          (cursor.empty() ? "" : "&iterator=" + cursor));
    for (const auto& item : arr(list, "data"))
      listed.insert(str(item.as_object(), "id"));
    if (flag(list, "done")) break;
    cursor = str(list, "iterator");
  }
  EXPECT_EQ(listed.size(), payload_of.size() + keyed.size());
  for (const auto& [id, payload] : payload_of)
    EXPECT_EQ(listed.count(id), 1U) << id;
  for (const auto& [key, ids] : keyed)
    EXPECT_EQ(listed.count(*ids.begin()), 1U) << key;
  std::size_t checked = 0;
  for (const auto& [id, payload] : payload_of) {
    if (checked++ % 50 != 0) continue;
    const auto stored = get(join({"/api/v1/app/", app, "/msg/", id}));
    EXPECT_EQ(json::serialize(obj(stored, "payload")), payload) << id;
  }
  // And every message reaches the endpoint: the answer's wake-up reaches the dispatcher.
  const auto expected = payload_of.size() + keyed.size();
  EXPECT_TRUE(eventually([&] {
    std::set<std::string> ids;
    for (const auto& r : receiver.received())
      ids.insert(r.headers.at("webhook-id"));
    return ids.size() == expected;
  })) << receiver.received().size()
      << " of " << expected;
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

// The durability promise for publishing: clients publish without pause and the sender is
// SIGKILLed at a random moment; after a restart every message answered 202 is there, with the
// payload it was answered for. Bounded in requests and time.
TEST_F(Outbound, APublishAnswered2xxSurvivesSigkill) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  const auto app = create_app("durable");
  std::mt19937 rng(static_cast<unsigned>(std::random_device{}()));
  std::map<std::string, std::string> acknowledged;  // message id -> payload
  for (int round = 0; round < 2; ++round) {
    if (round > 0) {
      start_sender();
      ASSERT_TRUE(server_->started()) << server_->stderr_text();
    }
    std::mutex m;
    std::atomic<bool> stop{false};
    std::atomic<int> sent{0};
    std::vector<std::thread> clients;
    clients.reserve(8);
    for (int c = 0; c < 8; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0; !stop && i < 2000; ++i) {
          const std::string payload = R"({"round":)" + std::to_string(round) + R"(,"client":)" +
                                      std::to_string(c) + R"(,"n":)" + std::to_string(i) + "}";
          const auto r = call("POST", "/api/v1/app/" + app + "/msg",
                              R"({"eventType":"kill.test","payload":)" + payload + "}");
          ++sent;
          if (r.status == 202) {
            const std::lock_guard lock(m);
            acknowledged.emplace(str(object_of(r), "id"), payload);
          }
          if (r.status == 0) break;  // the server is gone
        }
      });
    }
    const int kill_after = 100 + static_cast<int>(rng() % 300);
    EXPECT_TRUE(eventually([&] { return sent >= kill_after; }, std::chrono::seconds(30)));
    EXPECT_EQ(server_->stop(SIGKILL), 128 + SIGKILL);
    stop = true;
    for (auto& t : clients)
      t.join();
  }
  ASSERT_GT(acknowledged.size(), 100U);
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  std::map<std::string, std::string> stored;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    const auto list = get("/api/v1/app/" + app + "/msg?limit=250" +
                          (cursor.empty() ? "" : "&iterator=" + cursor));
    for (const auto& item : arr(list, "data"))
      stored.emplace(str(item.as_object(), "id"), "");
    if (flag(list, "done")) break;
    cursor = str(list, "iterator");
  }
  std::size_t lost = 0;
  for (const auto& [id, payload] : acknowledged)
    lost += stored.count(id) == 0 ? 1 : 0;
  EXPECT_EQ(lost, 0U) << "of " << acknowledged.size() << " acknowledged messages";
  std::size_t checked = 0;
  for (const auto& [id, payload] : acknowledged) {
    if (checked++ % 25 != 0) continue;
    EXPECT_EQ(json::serialize(obj(get(join({"/api/v1/app/", app, "/msg/", id})), "payload")),
              payload)
        << id;
  }
  std::cout << "[ sigkill ] publishes acknowledged " << acknowledged.size() << ", stored "
            << stored.size() << ", lost " << lost << "\n";
}

TEST_F(Outbound, AnIdempotencyKeyOrEventIdPublishesOnce) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  LoopbackReceiver receiver(ok_answer);
  const auto app = create_app("idempotent");
  const auto ep = str(create_endpoint(app, {{"url", url_of(receiver)}}), "id");

  const auto first =
      publish(app, "invoice.paid", R"({"invoice":"in_1"})", {{"Idempotency-Key", "invoice-in_1"}});
  const auto retried =
      publish(app, "invoice.paid", R"({"invoice":"in_1"})", {{"Idempotency-Key", "invoice-in_1"}});
  EXPECT_EQ(str(retried, "id"), str(first, "id"));
  EXPECT_EQ(str(retried, "timestamp"), str(first, "timestamp"));

  // Svix's eventId: the sender's own id, idempotent per application whatever the header says
  // (the svix client sends a fresh auto_ key with every create).
  const auto path = "/api/v1/app/" + app + "/msg";
  const std::string with_event_id =
      R"({"eventType":"invoice.paid","payload":{"invoice":"in_2"},"eventId":"evt-in_2"})";
  const auto a = call("POST", path, with_event_id, kAdminKey, {{"Idempotency-Key", "auto_1"}});
  const auto b = call("POST", path, with_event_id, kAdminKey, {{"Idempotency-Key", "auto_2"}});
  ASSERT_EQ(a.status, 202) << a.body;
  ASSERT_EQ(b.status, 202) << b.body;
  EXPECT_EQ(str(object_of(a), "eventId"), "evt-in_2");
  EXPECT_EQ(str(object_of(b), "id"), str(object_of(a), "id"));
  EXPECT_NE(str(object_of(a), "id"), str(first, "id"));
  // The same eventId in another application is another message.
  const auto other_app = create_app("other");
  const auto elsewhere = call("POST", "/api/v1/app/" + other_app + "/msg", with_event_id);
  ASSERT_EQ(elsewhere.status, 202);
  EXPECT_NE(str(object_of(elsewhere), "id"), str(object_of(a), "id"));

  const auto once = str(first, "id");
  const auto twice = str(object_of(a), "id");
  ASSERT_TRUE(eventually([&] {
    return delivery_state(app, once) == "delivered" && delivery_state(app, twice) == "delivered";
  })) << server_->stderr_text();
  // One delivery each in the store, and one request each at the receiver.
  for (const auto& id : {once, twice}) {
    EXPECT_EQ(sent_to(app, id), std::vector<std::string>{ep});
    EXPECT_EQ(attempts(app, id).size(), 1U);
    EXPECT_EQ(with_id(receiver, id).size(), 1U);
  }
  EXPECT_EQ(receiver.received().size(), 2U);
  EXPECT_EQ(arr(get("/api/v1/app/" + app + "/msg"), "data").size(), 2U);
  EXPECT_EQ(str(get(path + "/" + twice), "eventId"), "evt-in_2");
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

// Message ids are random (msg_ + 36 base62 digits), not a count: two applications publishing in
// turn get ids that say nothing about each other's traffic, lists page newest first by an
// iterator that is itself a message id, and one application never reads another's messages.
TEST_F(Outbound, MessageIdsRevealNothingAcrossApplications) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  const auto a = create_app("tenant-a");
  const auto b = create_app("tenant-b");
  std::vector<std::string> of_a;
  std::vector<std::string> of_b;
  for (int i = 0; i < 3; ++i) {
    of_a.push_back(str(publish(a, "x.y", R"({"i":)" + std::to_string(i) + "}"), "id"));
    of_b.push_back(str(publish(b, "x.y", R"({"i":)" + std::to_string(i) + "}"), "id"));
  }
  std::set<std::string> all;
  for (const auto* list : {&of_a, &of_b}) {
    for (const auto& id : *list) {
      EXPECT_EQ(id.size(), 40U) << id;
      EXPECT_TRUE(id.starts_with("msg_")) << id;
      EXPECT_EQ(
          id.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", 4),
          std::string::npos)
          << id;
      // Not a number after the prefix (the old msg_<seq>): a counter would end in digits only.
      EXPECT_NE(id.find_first_not_of("0123456789", 4), std::string::npos) << id;
      all.insert(id);
    }
  }
  EXPECT_EQ(all.size(), 6U);
  // Newest first, paged by an iterator that is the last message's id.
  const auto page1 = get("/api/v1/app/" + a + "/msg?limit=2");
  ASSERT_EQ(arr(page1, "data").size(), 2U);
  EXPECT_EQ(str(arr(page1, "data")[0].as_object(), "id"), of_a[2]);
  EXPECT_EQ(str(arr(page1, "data")[1].as_object(), "id"), of_a[1]);
  EXPECT_FALSE(flag(page1, "done"));
  EXPECT_EQ(str(page1, "iterator"), of_a[1]);
  const auto page2 = get("/api/v1/app/" + a + "/msg?limit=2&iterator=" + of_a[1]);
  ASSERT_EQ(arr(page2, "data").size(), 1U);
  EXPECT_EQ(str(arr(page2, "data")[0].as_object(), "id"), of_a[0]);
  EXPECT_TRUE(flag(page2, "done"));
  EXPECT_TRUE(page2.at("iterator").is_null());
  // with_content=false leaves the payload out, as Svix does.
  const auto bare = get("/api/v1/app/" + a + "/msg/" + of_a[0] + "?with_content=false");
  EXPECT_TRUE(obj(bare, "payload").empty());
  EXPECT_EQ(num(obj(get("/api/v1/app/" + a + "/msg/" + of_a[0]), "payload"), "i"), 0);
  // Another application's message, or its id as an iterator, is not there.
  EXPECT_EQ(call("GET", "/api/v1/app/" + b + "/msg/" + of_a[0]).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/app/" + b + "/msg?iterator=" + of_a[0]).status, 422);
  EXPECT_EQ(call("GET", "/api/v1/app/" + b + "/attempt/msg/" + of_a[0]).status, 404);
  // Filters: event types (comma-separated, as the svix client sends them), time.
  publish(a, "other.type", "{}");
  EXPECT_EQ(arr(get("/api/v1/app/" + a + "/msg?event_types=x.y"), "data").size(), 3U);
  EXPECT_EQ(arr(get("/api/v1/app/" + a + "/msg?event_types=x.y,other.type"), "data").size(), 4U);
  EXPECT_EQ(arr(get("/api/v1/app/" + a + "/msg?before=2000-01-01T00:00:00Z"), "data").size(), 0U);
  EXPECT_EQ(arr(get("/api/v1/app/" + a + "/msg?after=2000-01-01T00:00:00Z"), "data").size(), 4U);
  EXPECT_EQ(call("GET", "/api/v1/app/" + a + "/msg?before=yesterday").status, 422);
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

// Bad input is a 4xx with Svix's error body, and nothing is stored or delivered.
TEST_F(Outbound, MalformedMessagesAreRefusedWithSvixErrorsAndNothingStored) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  LoopbackReceiver receiver(ok_answer);
  const auto app = create_app("strict");
  create_endpoint(app, {{"url", url_of(receiver)}});
  const auto path = "/api/v1/app/" + app + "/msg";
  const std::vector<std::pair<std::string, std::string>> refused{
      {R"({"eventType":"x"})", "payload"},
      {R"({"payload":{}})", "eventType"},
      {R"({"eventType":"has space","payload":{}})", "eventType"},
      {R"({"eventType":7,"payload":{}})", "eventType"},
      {R"({"eventType":"x","payload":null})", "payload"},
      {R"({"eventType":"x","payload":{},"eventId":"bad id"})", "eventId"},
      {R"({"eventType":"x","payload":{},"eventId":5})", "eventId"},
      {R"({"eventType":"x","payload":{},"channels":"a"})", "channels"},
      {R"({"eventType":"x","payload":{},"channels":["a b"]})", "channels"},
      {R"({"eventType":"x","payload":{},"channels":["1","2","3","4","5","6","7","8","9","10","11"]})",
       "channels"},
      {R"({"eventType":"x","payload":{},"tags":["1","2","3","4","5","6"]})", "tags"},
      {R"({"eventType":"x","payload":{},"payloadRetentionPeriod":0})", "payloadRetentionPeriod"},
      {R"({"eventType":"x","payload":{},"deliverAt":"2030-01-01T00:00:00Z"})", "deliverAt"},
      {R"({"eventType":"x","payload":{},"application":{"name":"auto"}})", "application"},
      {R"({"eventType":"x","payload":{},"event_type":"x"})", "event_type"}};
  for (const auto& [body, field] : refused) {
    const auto r = call("POST", path, body);
    EXPECT_EQ(r.status, 422) << body << ": " << r.body;
    EXPECT_TRUE(field_errors(r).starts_with(field + ": ")) << body << ": " << r.body;
  }
  const auto broken = call("POST", path, R"({"eventType":"x","payload":)");
  EXPECT_EQ(broken.status, 400);
  EXPECT_EQ(str(object_of(broken), "code"), "bad_request");
  const auto missing = call("GET", path + "/msg_0ujsswThIGTUYm2K8FjOOfXtY1K");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(str(object_of(missing), "code"), "not_found");
  EXPECT_EQ(call("GET", path + "?limit=0").status, 422);
  EXPECT_EQ(call("GET", path + "?with_content=maybe").status, 422);
  EXPECT_TRUE(arr(get(path), "data").empty());
  // Null optional fields are "not given", as the svix client may send them.
  const auto ok = call("POST", path,
                       R"({"eventType":"x","payload":{},"eventId":null,"channels":null,)"
                       R"("tags":["t/1"],"payloadRetentionPeriod":90})");
  EXPECT_EQ(ok.status, 202) << ok.body;
  EXPECT_EQ(arr(object_of(ok), "tags").size(), 1U);
  EXPECT_EQ(arr(get(path), "data").size(), 1U);
  ASSERT_TRUE(eventually([&] { return receiver.received().size() == 1; }));
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

// An endpoint's view: its messages with their state, its attempts (Svix status enum), its
// stats, and recover: failed messages since a time sent again.
TEST_F(Outbound, EndpointAttemptsStatsAndRecoverSince) {
  // No circuit breaker: the second message must fail on its own schedule, not wait it out.
  start_sender("breaker_failures = 1000\nsecret_key = \"" + std::string(kSealKey) + "\"\n");
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  std::atomic<bool> failing{true};
  LoopbackReceiver receiver([&](const ReceivedRequest&) {
    return failing ? ReceiverAnswer{500, {}, "broken"} : ReceiverAnswer{200, {}, "fine"};
  });
  const auto app = create_app("recovering");
  const auto ep = str(create_endpoint(app, {{"url", url_of(receiver)}}), "id");
  const auto base = "/api/v1/app/" + app;
  const auto early = str(publish(app, "a.b", R"({"k":1})"), "id");
  ASSERT_TRUE(eventually([&] { return delivery_state(app, early) == "failed"; }))
      << server_->stderr_text();
  // Recover since the later message's time sends it and not the earlier one.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto late_published = publish(app, "a.b", R"({"k":2})");
  const auto late = str(late_published, "id");
  const auto between = str(late_published, "timestamp");
  ASSERT_TRUE(eventually([&] { return delivery_state(app, late) == "failed"; }))
      << server_->stderr_text();

  const auto stats = get(base + "/endpoint/" + ep + "/stats");
  EXPECT_EQ(num(stats, "fail"), 2);
  EXPECT_EQ(num(stats, "success"), 0);
  EXPECT_EQ(num(stats, "pending") + num(stats, "sending"), 0);
  const auto messages = arr(get(base + "/endpoint/" + ep + "/msg"), "data");
  ASSERT_EQ(messages.size(), 2U);
  EXPECT_EQ(str(messages[0].as_object(), "id"), late);
  EXPECT_EQ(num(messages[0].as_object(), "status"), 2);
  EXPECT_EQ(str(messages[0].as_object(), "statusText"), "fail");
  // Attempts by endpoint: newest message first, each a failure (status 2) with the answer.
  const auto page = get(base + "/attempt/endpoint/" + ep + "?limit=5");
  const auto attempts_of_ep = arr(page, "data");
  ASSERT_EQ(attempts_of_ep.size(), 5U);
  EXPECT_EQ(str(attempts_of_ep[0].as_object(), "msgId"), late);
  for (const auto& a : attempts_of_ep) {
    EXPECT_EQ(num(a.as_object(), "status"), 2);
    EXPECT_EQ(num(a.as_object(), "responseStatusCode"), 500);
    EXPECT_EQ(str(a.as_object(), "endpointId"), ep);
  }
  EXPECT_FALSE(flag(page, "done"));
  const auto rest =
      get(base + "/attempt/endpoint/" + ep + "?limit=5&iterator=" + str(page, "iterator"));
  ASSERT_EQ(arr(rest, "data").size(), 3U);
  EXPECT_TRUE(flag(rest, "done"));
  EXPECT_EQ(str(arr(rest, "data")[2].as_object(), "msgId"), early);
  EXPECT_EQ(arr(get(base + "/attempt/endpoint/" + ep + "?status=0"), "data").size(), 0U);
  EXPECT_EQ(arr(get(base + "/attempt/endpoint/" + ep + "?status_code_class=500"), "data").size(),
            8U);
  EXPECT_EQ(arr(get(base + "/attempt/msg/" + late + "?status_code_class=200"), "data").size(), 0U);
  EXPECT_EQ(call("GET", base + "/attempt/msg/" + late + "?status_code_class=201").status, 422);
  EXPECT_EQ(call("GET", base + "/attempt/endpoint/" + ep + "?iterator=nonsense").status, 422);
  EXPECT_EQ(call("GET", base + "/attempt/endpoint/ep_missing").status, 404);

  failing = false;
  EXPECT_EQ(call("POST", base + "/endpoint/" + ep + "/recover", R"({"since":"soon"})").status, 422);
  const auto recovered = call("POST", base + "/endpoint/" + ep + "/recover",
                              json::serialize(json::object{{"since", between}}));
  ASSERT_EQ(recovered.status, 202) << recovered.body;
  EXPECT_EQ(num(obj(object_of(recovered), "data"), "messagesSent"), 1);
  EXPECT_TRUE(str(object_of(recovered), "id").starts_with("qtask_"));
  ASSERT_TRUE(eventually([&] { return delivery_state(app, late) == "delivered"; }))
      << server_->stderr_text();
  EXPECT_EQ(delivery_state(app, early), "failed");
  const auto newest = attempts(app, late).back().as_object();
  EXPECT_EQ(num(newest, "status"), 0);
  EXPECT_EQ(num(newest, "triggerType"), 1);
  const auto after = get(base + "/endpoint/" + ep + "/stats");
  EXPECT_EQ(num(after, "success"), 1);
  EXPECT_EQ(num(after, "fail"), 1);
  EXPECT_EQ(num(get(base + "/endpoint/" + ep + "/stats?since=" + between), "fail"), 0);
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

// An operator's resend to an endpoint whose circuit is open with a long cool-down is the
// circuit's trial: it is sent at once, its success closes the circuit, and the deliveries the
// circuit held back flow then instead of at the cool-down's end.
TEST_F(Outbound, AResendIsTheOpenCircuitsTrialAndTheHeldWorkFlowsAfterIt) {
  start_sender("breaker_failures = 2\nbreaker_cooldown_seconds = 600\nsecret_key = \"" +
               std::string(kSealKey) + "\"\n");
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  std::atomic<bool> failing{false};
  LoopbackReceiver receiver([&](const ReceivedRequest&) {
    return failing ? ReceiverAnswer{503, {}, "down"} : ReceiverAnswer{200, {}, "fine"};
  });
  const auto app = create_app("tripping");
  const auto ep = str(create_endpoint(app, {{"url", url_of(receiver)}}), "id");
  const auto base = "/api/v1/app/" + app;
  const auto first = str(publish(app, "a.b", R"({"k":0})"), "id");
  ASSERT_TRUE(eventually([&] { return delivery_state(app, first) == "delivered"; }))
      << server_->stderr_text();

  failing = true;
  std::vector<std::string> held;
  for (int i = 1; i <= 3; ++i)
    held.push_back(str(publish(app, "a.b", "{\"k\":" + std::to_string(i) + "}"), "id"));
  // Their failures open the circuit: the retries (a second apart) wait for its end, ten
  // minutes away. nextAttempt is RFC 3339 UTC, so text order is time order.
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  const std::time_t far = now + 300;
  std::tm tm{};
  gmtime_r(&far, &tm);
  char far_text[32];
  ASSERT_GT(std::strftime(far_text, sizeof far_text, "%Y-%m-%dT%H:%M:%S", &tm), 0U);
  auto next_attempt = [&](const std::string& msg) {
    const auto endpoints = arr(get(base + "/msg/" + msg + "/endpoint"), "data");
    return endpoints.size() == 1 ? str(endpoints[0].as_object(), "nextAttempt") : std::string();
  };
  ASSERT_TRUE(eventually([&] {
    return std::all_of(held.begin(), held.end(),
                       [&](const auto& msg) { return next_attempt(msg) > far_text; });
  })) << server_->stderr_text();

  // The receiver is back; nothing automatic would find out for ten minutes.
  failing = false;
  const auto resent = call("POST", base + "/msg/" + first + "/endpoint/" + ep + "/resend");
  ASSERT_EQ(resent.status, 202) << resent.body;
  ASSERT_TRUE(
      eventually([&] { return with_id(receiver, first).size() == 2; }, std::chrono::seconds(30)))
      << "the resend waited for the cool-down\n"
      << server_->stderr_text();
  for (const auto& msg : held) {
    EXPECT_TRUE(eventually([&] { return delivery_state(app, msg) == "delivered"; },
                           std::chrono::seconds(30)))
        << msg << " still held after the trial closed the circuit";
  }
  // Recorded as the operator's attempt, as before.
  const auto resend_attempt = attempts(app, first).back().as_object();
  EXPECT_EQ(num(resend_attempt, "attempt"), 2);
  EXPECT_EQ(num(resend_attempt, "status"), 0);
  EXPECT_EQ(num(resend_attempt, "triggerType"), 1);
  for (const auto& msg : held) {
    const auto tries = attempts(app, msg);
    ASSERT_FALSE(tries.empty()) << msg;
    EXPECT_EQ(num(tries.back().as_object(), "triggerType"), 0) << msg;
    EXPECT_EQ(num(tries.back().as_object(), "status"), 0) << msg;
  }
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

TEST_F(Outbound, RetriesUntilTheReceiverRecoversWithEveryAttemptRecorded) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  std::atomic<int> calls{0};
  LoopbackReceiver receiver([&](const ReceivedRequest&) {
    return ++calls <= 3 ? ReceiverAnswer{503, {}, "down for maintenance"}
                        : ReceiverAnswer{200, {}, "thanks"};
  });
  const auto app = create_app("flaky");
  const auto endpoint = create_endpoint(app, {{"url", url_of(receiver)}});
  const auto msg = str(publish(app, "job.done", R"({"job":42})"), "id");

  ASSERT_TRUE(eventually([&] { return delivery_state(app, msg) == "delivered"; }))
      << server_->stderr_text();
  EXPECT_EQ(calls.load(), 4);
  const auto all = attempts(app, msg);
  ASSERT_EQ(all.size(), 4U) << json::serialize(all);
  const std::vector<std::int64_t> statuses{503, 503, 503, 200};
  std::set<std::string> ids;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& a = all[i].as_object();
    EXPECT_EQ(num(a, "attempt"), static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(num(a, "responseStatusCode"), statuses[i]);
    EXPECT_EQ(num(a, "status"), i < 3 ? 2 : 0);  // Svix MessageStatus: fail, then success
    EXPECT_EQ(num(a, "triggerType"), 0);         // scheduled
    EXPECT_EQ(str(a, "endpointId"), str(endpoint, "id"));
    EXPECT_EQ(str(a, "msgId"), msg);
    EXPECT_EQ(str(a, "url"), url_of(receiver));
    EXPECT_EQ(str(a, "response"), i < 3 ? "down for maintenance" : "thanks");
    EXPECT_TRUE(str(a, "id").starts_with("atmpt_")) << str(a, "id");
    ids.insert(str(a, "id"));
    // Each attempt is found again by its id.
    EXPECT_EQ(num(get("/api/v1/app/" + app + "/msg/" + msg + "/attempt/" + str(a, "id")),
                  "responseStatusCode"),
              statuses[i]);
  }
  EXPECT_EQ(ids.size(), 4U);
  EXPECT_EQ(call("GET", "/api/v1/app/" + app + "/msg/" + msg + "/attempt/atmpt_nope").status, 404);
  const auto endpoints = arr(get("/api/v1/app/" + app + "/msg/" + msg + "/endpoint"), "data");
  ASSERT_EQ(endpoints.size(), 1U);
  EXPECT_EQ(str(endpoints[0].as_object(), "statusText"), "success");
  EXPECT_TRUE(endpoints[0].as_object().at("nextAttempt").is_null());
  // Every attempt carries the same message id, freshly signed.
  const auto got = receiver.received();
  ASSERT_EQ(got.size(), 4U);
  for (const auto& r : got) {
    EXPECT_EQ(r.headers.at("webhook-id"), msg);
    EXPECT_TRUE(verify(r, {hmac_key(str(endpoint, "secret"))}).ok());
  }

  // Resend: the same message again, same id, one more recorded attempt, triggered manually.
  const auto resend_path =
      "/api/v1/app/" + app + "/msg/" + msg + "/endpoint/" + str(endpoint, "id") + "/resend";
  const auto resent = call("POST", resend_path, "{}");
  EXPECT_EQ(resent.status, 202) << resent.body;
  ASSERT_TRUE(eventually([&] { return attempts(app, msg).size() == 5; })) << server_->stderr_text();
  EXPECT_EQ(num(attempts(app, msg)[4].as_object(), "triggerType"), 1);
  EXPECT_EQ(with_id(receiver, msg).size(), 5U);
  EXPECT_EQ(call("POST", "/api/v1/app/" + app + "/msg/" + msg + "/endpoint/ep_missing/resend", "{}")
                .status,
            404);
  EXPECT_EQ(call("GET", "/api/v1/app/" + app + "/msg/msg_999999").status, 404);
  // The old shapes are gone.
  EXPECT_EQ(call("GET", "/api/v1/app/" + app + "/msg/" + msg + "/attempts").status, 404);
  EXPECT_EQ(call("POST", "/api/v1/app/" + app + "/msg/" + msg + "/resend", "{}").status, 404);
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

TEST_F(Outbound, RotationSignsWithTheOldAndTheNewSecretDuringTheGracePeriod) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  LoopbackReceiver receiver(ok_answer);
  const auto app = create_app("rotating");
  const auto endpoint = create_endpoint(app, {{"url", url_of(receiver)}});
  const auto ep_path = "/api/v1/app/" + app + "/endpoint/" + str(endpoint, "id");
  const auto old_secret = str(endpoint, "secret");

  // Svix's rotate: 204, the new key read with the secret call.
  const auto rotated = call("POST", ep_path + "/secret/rotate", "{}");
  ASSERT_EQ(rotated.status, 204) << rotated.body;
  EXPECT_TRUE(rotated.body.empty());
  const auto new_secret = str(get(ep_path + "/secret"), "key");
  EXPECT_TRUE(new_secret.starts_with("whsec_"));
  EXPECT_NE(new_secret, old_secret);
  EXPECT_EQ(num(get(ep_path), "signingKeys"), 2);

  const auto msg = str(publish(app, "plan.changed", R"({"plan":"pro"})"), "id");
  ASSERT_TRUE(eventually([&] { return with_id(receiver, msg).size() == 1; }))
      << server_->stderr_text();
  const auto during = with_id(receiver, msg).front();
  // Two v1 signatures: one per live key, each verifying on its own.
  EXPECT_EQ(signature_items(during), (std::set<std::string>{expected_v1(during, old_secret),
                                                            expected_v1(during, new_secret)}));
  EXPECT_TRUE(verify(during, {hmac_key(old_secret)}).ok());
  EXPECT_TRUE(verify(during, {hmac_key(new_secret)}).ok());

  // A rotation without grace drops the previous keys at once.
  const auto abrupt = call("POST", ep_path + "/secret/rotate", R"({"gracePeriodSeconds":0})");
  ASSERT_EQ(abrupt.status, 204) << abrupt.body;
  const auto newest = str(get(ep_path + "/secret"), "key");
  EXPECT_EQ(num(get(ep_path), "signingKeys"), 1);
  const auto after = str(publish(app, "plan.changed", R"({"plan":"team"})"), "id");
  ASSERT_TRUE(eventually([&] { return with_id(receiver, after).size() == 1; }));
  const auto single = with_id(receiver, after).front();
  EXPECT_EQ(signature_items(single), (std::set<std::string>{expected_v1(single, newest)}));
  EXPECT_TRUE(verify(single, {hmac_key(newest)}).ok());
  EXPECT_FALSE(verify(single, {hmac_key(old_secret)}).ok());
  EXPECT_FALSE(verify(single, {hmac_key(new_secret)}).ok());

  // A supplied secret must be a real one.
  EXPECT_EQ(call("POST", ep_path + "/secret/rotate", R"({"key":"not-a-secret"})").status, 422);
  EXPECT_EQ(call("POST", ep_path + "/secret/rotate", R"({"gracePeriodSeconds":-1})").status, 422);
  // Hookgate's former names are typos now: refused, not ignored.
  EXPECT_EQ(call("POST", ep_path + "/secret/rotate", R"({"grace_seconds":0})").status, 422);
  EXPECT_EQ(num(get(ep_path), "signingKeys"), 1);
  const std::string mine = "whsec_" + crypto::base64_encode(crypto::random_bytes(32));
  const auto supplied =
      call("POST", ep_path + "/secret/rotate", json::serialize(json::object{{"key", mine}}));
  EXPECT_EQ(supplied.status, 204);
  EXPECT_EQ(str(get(ep_path + "/secret"), "key"), mine);
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

TEST_F(Outbound, A410DisablesTheEndpointUntilItIsEnabledAndRecovered) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  std::atomic<bool> gone{true};
  LoopbackReceiver receiver([&](const ReceivedRequest&) {
    return gone ? ReceiverAnswer{410, {}, "unsubscribed"} : ReceiverAnswer{200, {}, ""};
  });
  const auto app = create_app("leaving");
  const auto ep = str(create_endpoint(app, {{"url", url_of(receiver)}}), "id");
  const auto ep_path = "/api/v1/app/" + app + "/endpoint/" + ep;

  const auto lost = str(publish(app, "a.b", R"({"k":1})"), "id");
  ASSERT_TRUE(eventually([&] { return flag(get(ep_path), "disabled"); })) << server_->stderr_text();
  EXPECT_NE(str(get(ep_path), "disabledReason").find("410"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return delivery_state(app, lost) == "failed"; }));
  const auto tried = attempts(app, lost);
  ASSERT_EQ(tried.size(), 1U);  // 410 is not retried
  EXPECT_EQ(num(tried[0].as_object(), "responseStatusCode"), 410);
  EXPECT_EQ(num(tried[0].as_object(), "status"), 2);
  EXPECT_EQ(str(tried[0].as_object(), "response"), "unsubscribed");

  // A disabled endpoint is left out of new messages.
  EXPECT_TRUE(sent_to(app, str(publish(app, "a.b", R"({"k":2})"), "id")).empty());

  gone = false;
  const auto enabled = call("PATCH", ep_path, R"({"disabled":false})");
  EXPECT_EQ(enabled.status, 200) << enabled.body;
  EXPECT_FALSE(flag(object_of(enabled), "disabled"));
  EXPECT_EQ(object_of(enabled).if_contains("disabledReason"), nullptr);
  EXPECT_EQ(call("POST", ep_path + "/recover", "{}").status, 422);
  EXPECT_EQ(call("POST", ep_path + "/recover", R"({"since":"yesterday"})").status, 422);
  const auto recovered = call("POST", ep_path + "/recover", R"({"since":"1970-01-01T00:00:00Z"})");
  EXPECT_EQ(recovered.status, 202) << recovered.body;
  EXPECT_EQ(str(object_of(recovered), "task"), "endpoint.recover");
  EXPECT_EQ(num(obj(object_of(recovered), "data"), "messagesSent"), 1);
  ASSERT_TRUE(eventually([&] { return delivery_state(app, lost) == "delivered"; }))
      << server_->stderr_text();
  EXPECT_EQ(with_id(receiver, lost).size(), 2U);
  EXPECT_EQ(attempts(app, lost).size(), 2U);
  EXPECT_FALSE(flag(get(ep_path), "disabled"));
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

TEST_F(Outbound, RefusedAddressesAndRedirectsNeverReachAnotherHost) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  const auto app = create_app("ssrf");
  const auto path = "/api/v1/app/" + app + "/endpoint";
  for (const std::string url :
       {"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://127.0.0.2:8080/",
        "http://[::ffff:10.0.0.1]/", "http://[fd00::1]/", "http://[::1]/", "http://user@127.0.0.1/",
        "ftp://127.0.0.1/", "http://2130706433/"}) {
    const auto r =
        call("POST", path, json::serialize(json::object{{"url", url}, {"verification", "echo"}}));
    EXPECT_EQ(r.status, 422) << url << ": " << r.body;
    EXPECT_TRUE(field_errors(r).starts_with("url: url")) << url << ": " << r.body;  // loc, msg
  }
  // outbound_policy.hpp: a mapped address is judged as the IPv4 address it embeds, allow list
  // included, so with 127.0.0.1/32 allowed its mapped form is allowed too.
  const auto mapped =
      call("POST", path, json::serialize(json::object{{"url", "http://[::ffff:127.0.0.1]:1/"}}));
  EXPECT_EQ(mapped.status, 201) << mapped.body;
  EXPECT_EQ(arr(get(path), "data").size(), 1U);  // nothing else was created
  EXPECT_EQ(call("DELETE", path + "/" + str(object_of(mapped), "id")).status, 204);

  // A receiver that redirects elsewhere does not get the second host contacted.
  LoopbackReceiver elsewhere(ok_answer);
  const std::string stolen = url_of(elsewhere, "/stolen");
  LoopbackReceiver redirector([&](const ReceivedRequest&) {
    return ReceiverAnswer{302, {{"Location", stolen}}, ""};
  });
  create_endpoint(app, {{"url", url_of(redirector)}});
  const auto msg = str(publish(app, "a.b", R"({"k":1})"), "id");
  ASSERT_TRUE(eventually([&] { return delivery_state(app, msg) == "failed"; }))
      << server_->stderr_text();
  const auto tried = attempts(app, msg);
  ASSERT_EQ(tried.size(), 4U);  // the whole schedule, every attempt a failure
  for (const auto& a : tried)
    EXPECT_EQ(num(a.as_object(), "responseStatusCode"), 302);
  EXPECT_FALSE(with_id(redirector, msg).empty());
  EXPECT_TRUE(elsewhere.received().empty());
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

TEST_F(Outbound, ApiKeysReachOnlyTheirScope) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  const auto no_key = call("GET", "/api/v1/app", "", "");
  EXPECT_EQ(no_key.status, 401);
  EXPECT_EQ(header(no_key, "www-authenticate"), "Bearer");
  EXPECT_EQ(str(object_of(no_key), "code"), "unauthorized");
  // Unauthenticated callers cannot tell which paths exist.
  EXPECT_EQ(call("GET", "/api/v1/no/such/path", "", "").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/app", "", "wrong-admin-key-0123456789abcdef").status, 401);
  EXPECT_EQ(call("GET", "/api/v1/app", "", "hgk_notarealkey").status, 401);
  EXPECT_EQ(http_request(server_->port(), "GET", "/api/v1/app",
                         {{"Authorization", std::string("Basic ") + kAdminKey}}, "")
                .status,
            401);

  const auto mine = create_app("mine");
  const auto theirs = create_app("theirs");
  const auto made = call("POST", "/api/v1/api-key",
                         json::serialize(json::object{{"scope", mine}, {"name", "ci"}}));
  ASSERT_EQ(made.status, 201) << made.body;
  const auto key = str(object_of(made), "key");
  const auto key_id = str(object_of(made), "id");
  EXPECT_TRUE(key.starts_with("hgk_"));
  EXPECT_EQ(str(object_of(made), "prefix"), key.substr(0, 10));
  EXPECT_EQ(str(object_of(made), "scope"), mine);
  EXPECT_EQ(key_id.size(), 64U);
  EXPECT_EQ(call("POST", "/api/v1/api-key", R"({"scope":"app_nosuchapp"})").status, 422);
  EXPECT_EQ(call("POST", "/api/v1/api-key", "{}").status, 422);

  // Its own application: readable, endpoints and messages usable.
  EXPECT_EQ(call("GET", "/api/v1/app/" + mine, "", key).status, 200);
  EXPECT_EQ(call("POST", "/api/v1/app/" + mine + "/endpoint",
                 json::serialize(json::object{{"url", "http://127.0.0.1:9/"}}), key)
                .status,
            201);
  EXPECT_EQ(
      call("POST", "/api/v1/app/" + mine + "/msg", R"({"eventType":"a","payload":1})", key).status,
      202);
  // Anything else: forbidden.
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/app/" + theirs},
           {"GET", "/api/v1/app/" + theirs + "/endpoint"},
           {"POST", "/api/v1/app/" + theirs + "/msg"},
           {"GET", "/api/v1/app"},
           {"POST", "/api/v1/app"},
           {"DELETE", "/api/v1/app/" + mine},
           {"GET", "/api/v1/api-key"},
           {"POST", "/api/v1/api-key"}}) {
    const auto r =
        call(method, target, method == "POST" ? R"({"name":"x","scope":"admin"})" : "", key);
    EXPECT_EQ(r.status, 403) << method << " " << target << ": " << r.body;
    EXPECT_EQ(str(object_of(r), "code"), "forbidden");
  }

  // Listing shows keys by prefix, never the key; deleting one stops it at once.
  const auto listed = call("GET", "/api/v1/api-key");
  EXPECT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(key), std::string::npos);
  const auto keys = arr(object_of(listed), "data");
  ASSERT_EQ(keys.size(), 1U);
  EXPECT_EQ(str(keys[0].as_object(), "id"), key_id);
  EXPECT_EQ(str(keys[0].as_object(), "prefix"), key.substr(0, 10));
  EXPECT_EQ(call("DELETE", "/api/v1/api-key/" + key_id).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/app/" + mine, "", key).status, 401);
  EXPECT_EQ(call("DELETE", "/api/v1/api-key/" + key_id).status, 404);

  // An admin-scoped key created through the API is an admin key.
  const auto admin = str(object_of(call("POST", "/api/v1/api-key", R"({"scope":"admin"})")), "key");
  EXPECT_EQ(call("GET", "/api/v1/app", "", admin).status, 200);
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

TEST_F(Outbound, Ed25519EndpointsSignWithV1a) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  LoopbackReceiver receiver(ok_answer);
  const auto app = create_app("asymmetric");
  const auto endpoint = create_endpoint(app, {{"url", url_of(receiver)}, {"signing", "ed25519"}});
  const auto ep_path = "/api/v1/app/" + app + "/endpoint/" + str(endpoint, "id");
  EXPECT_EQ(str(endpoint, "signing"), "ed25519");
  // No answer ever holds private key material: the creation, the endpoint, the reveal call.
  const auto no_private_key = [](const std::string& answer) {
    return answer.find("whsk_") == std::string::npos;
  };
  EXPECT_TRUE(no_private_key(json::serialize(endpoint))) << json::serialize(endpoint);
  EXPECT_EQ(endpoint.if_contains("secret"), nullptr);
  const auto keys = get(ep_path + "/public-key");
  const auto public_key = str(keys, "publicKey");
  EXPECT_TRUE(public_key.starts_with("whpk_")) << public_key;
  EXPECT_EQ(str(endpoint, "publicKey"), public_key);
  EXPECT_EQ(strings(arr(keys, "publicKeys")), std::vector<std::string>{public_key});
  EXPECT_EQ(str(get(ep_path), "publicKey"), public_key);
  EXPECT_EQ(get(ep_path).if_contains("secret"), nullptr);
  const auto revealed = call("GET", ep_path + "/secret");
  EXPECT_EQ(revealed.status, 200);
  EXPECT_TRUE(no_private_key(revealed.body)) << revealed.body;
  // The key an Ed25519 receiver verifies with is the public one.
  EXPECT_EQ(str(object_of(revealed), "key"), public_key);
  EXPECT_EQ(str(object_of(revealed), "signing"), "ed25519");
  EXPECT_EQ(object_of(revealed).if_contains("secret"), nullptr);

  const auto hmac = create_endpoint(app, {{"url", url_of(receiver, "/other")}});
  EXPECT_EQ(
      call("GET", "/api/v1/app/" + app + "/endpoint/" + str(hmac, "id") + "/public-key").status,
      404);
  EXPECT_EQ(call("DELETE", "/api/v1/app/" + app + "/endpoint/" + str(hmac, "id")).status, 204);

  const auto msg = str(publish(app, "a.b", R"({"signed":"asymmetrically"})"), "id");
  ASSERT_TRUE(eventually([&] { return with_id(receiver, msg).size() == 1; }))
      << server_->stderr_text();
  const auto got = with_id(receiver, msg).front();
  const auto items = signature_items(got);
  ASSERT_EQ(items.size(), 1U);
  EXPECT_TRUE(items.begin()->starts_with("v1a,")) << *items.begin();
  auto key = schemes::Key::parse_public_key(standard_webhooks(), public_key);
  ASSERT_TRUE(key) << key.error();
  const auto verdict = verify(got, {key.value()});
  EXPECT_TRUE(verdict.ok()) << schemes::to_string(verdict.reason) << " " << verdict.detail;
  EXPECT_EQ(got.body, R"({"signed":"asymmetrically"})");

  // Rotation to a private key the customer supplies: the secret call answers its public half, and
  // that key (its base64 body) appears in no answer.
  auto pair = schemes::generate_secret(standard_webhooks(), "ed25519");
  ASSERT_TRUE(pair) << pair.error();
  const auto rotated =
      call("POST", ep_path + "/secret/rotate",
           json::serialize(json::object{{"key", pair->secret}, {"gracePeriodSeconds", 0}}));
  ASSERT_EQ(rotated.status, 204) << rotated.body;
  const std::string private_body = pair->secret.substr(5);
  EXPECT_EQ(str(get(ep_path + "/secret"), "key"), pair->public_key);
  for (const auto& answer : {rotated.body, call("GET", ep_path + "/secret").body,
                             call("GET", ep_path).body, call("GET", ep_path + "/public-key").body,
                             call("GET", "/api/v1/app/" + app + "/endpoint").body}) {
    EXPECT_TRUE(no_private_key(answer)) << answer;
    EXPECT_EQ(answer.find(private_body), std::string::npos) << answer;
  }
  const auto generated = call("POST", ep_path + "/secret/rotate", "{}");
  ASSERT_EQ(generated.status, 204) << generated.body;
  const auto new_public = str(get(ep_path + "/secret"), "key");
  ASSERT_TRUE(new_public.starts_with("whpk_")) << generated.body;

  // A delivery after the rotation verifies with the public key the secret call returns.
  const auto after = str(publish(app, "a.b", R"({"after":"rotation"})"), "id");
  ASSERT_TRUE(eventually([&] { return with_id(receiver, after).size() == 1; }))
      << server_->stderr_text();
  auto rotated_key = schemes::Key::parse_public_key(standard_webhooks(), new_public);
  ASSERT_TRUE(rotated_key) << rotated_key.error();
  const auto later = verify(with_id(receiver, after).front(), {rotated_key.value()});
  EXPECT_TRUE(later.ok()) << schemes::to_string(later.reason) << " " << later.detail;
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

TEST_F(Outbound, EncryptedEndpointsReceiveASealedBoxOnlyTheirKeyOpens) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  LoopbackReceiver receiver(ok_answer);
  const auto app = create_app("sealed");
  const auto pair = crypto::x25519_keypair();
  const auto public_b64 = crypto::base64_encode(pair.public_key);
  EXPECT_EQ(
      call("POST", "/api/v1/app/" + app + "/endpoint",
           json::serialize(json::object{{"url", url_of(receiver)}, {"encryptionKey", "AAAA"}}))
          .status,
      422);
  const auto endpoint =
      create_endpoint(app, {{"url", url_of(receiver)}, {"encryptionKey", public_b64}});
  EXPECT_TRUE(flag(endpoint, "encrypted"));
  EXPECT_EQ(str(endpoint, "encryptionKey"), public_b64);

  const std::string payload = R"({"card":"4242","cvc":"123"})";
  const auto msg = str(publish(app, "payment.method", payload), "id");
  ASSERT_TRUE(eventually([&] { return with_id(receiver, msg).size() == 1; }))
      << server_->stderr_text();
  const auto got = with_id(receiver, msg).front();
  EXPECT_EQ(got.headers.at("webhook-encryption"), "x25519-sealedbox");
  EXPECT_EQ(got.headers.at("content-type"), "application/json");
  EXPECT_EQ(got.body.find("4242"), std::string::npos);
  // Signed as sent: the envelope's bytes, which are text (the official JavaScript verifiers
  // decode the body as UTF-8 before the MAC; raw box bytes did not survive that).
  EXPECT_TRUE(verify(got, {hmac_key(str(endpoint, "secret"))}).ok());
  EXPECT_TRUE(std::all_of(got.body.begin(), got.body.end(), [](char c) {
    return c >= 0x20 && c < 0x7f;
  })) << got.body;
  const auto envelope = object_of(got.body);
  EXPECT_EQ(str(envelope, "type"), "hookgate.sealed");
  EXPECT_EQ(str(envelope, "alg"), "x25519-sealedbox");
  EXPECT_EQ(str(envelope, "contentType"), "application/json");
  const auto box = crypto::base64_decode(str(envelope, "sealed")).value_or("");
  const auto opened = crypto::open_sealed(box, pair.public_key, pair.secret_key);
  ASSERT_TRUE(opened) << opened.error();
  EXPECT_EQ(*opened, payload);
  const auto other = crypto::x25519_keypair();
  EXPECT_FALSE(crypto::open_sealed(box, other.public_key, other.secret_key));
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

TEST_F(Outbound, AHookgateReceiverAcceptsOnlyTheApplicationItExpects) {
  start_sender();
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  const auto expected_app = create_app("expected");
  const auto other_app = create_app("other");
  const int receiver_port = free_port();
  const auto inbound = "http://127.0.0.1:" + std::to_string(receiver_port) + "/in/acme";
  const auto ours = create_endpoint(expected_app, {{"url", inbound}});
  const auto secret = str(ours, "secret");
  ASSERT_TRUE(secret.starts_with("whsec_"));
  // Another account of the sender, pointed at the same receiver with the same secret: its
  // messages are genuinely signed, but for the wrong application.
  const auto theirs = create_endpoint(other_app, {{"url", inbound}, {"secret", secret}});
  EXPECT_EQ(str(theirs, "secret"), secret);

  // Its own store (and directory: SQLite paths are relative to the config file).
  TestStore receiver_store;
  ASSERT_TRUE(receiver_store.error().empty()) << receiver_store.error();
  std::filesystem::create_directories(dir_ / "receiver");
  const auto receiver_config = (dir_ / "receiver" / "hookgate.toml").string();
  std::ofstream(receiver_config) << "[server]\nlisten = \"127.0.0.1:" << receiver_port << R"("
[store]
url = ")" << receiver_store.url() << R"("
[[source]]
name = "acme"
scheme = "standard-webhooks"
secrets = [")" << secret << R"("]
expect_app_id = ")" << expected_app
                                 << R"("
pull_token = ")" << kPullToken << R"("
)";
  ServerProcess receiver(receiver_config);
  ASSERT_TRUE(receiver.started()) << receiver.stderr_text();

  const std::string ours_payload = R"({"for":"expected","n":1})";
  const std::string theirs_payload = R"({"for":"other","n":2})";
  const auto ours_msg = str(publish(expected_app, "a.b", ours_payload), "id");
  const auto theirs_msg = str(publish(other_app, "a.b", theirs_payload), "id");

  const auto pulled = [&] {
    const auto r = http_request(receiver_port, "GET", "/pull/acme?after=0&limit=10",
                                {{"Authorization", std::string("Bearer ") + kPullToken}}, "");
    std::vector<std::string> bodies;
    for (const auto& e : arr(object_of(r), "events")) {
      if (e.is_object()) {
        bodies.push_back(crypto::base64_decode(str(e.as_object(), "body_base64")).value_or("?"));
      }
    }
    return bodies;
  };
  ASSERT_TRUE(eventually([&] { return !pulled().empty(); }))
      << server_->stderr_text() << receiver.stderr_text();
  EXPECT_EQ(pulled(), std::vector<std::string>{ours_payload});
  ASSERT_TRUE(eventually([&] { return delivery_state(expected_app, ours_msg) == "delivered"; }));
  const auto accepted = attempts(expected_app, ours_msg);
  ASSERT_EQ(accepted.size(), 1U);
  EXPECT_EQ(num(accepted[0].as_object(), "responseStatusCode"), 200);

  // The other application's message is refused by the receiver, attempt after attempt.
  ASSERT_TRUE(eventually([&] { return attempts(other_app, theirs_msg).size() >= 2; }))
      << server_->stderr_text();
  for (const auto& a : attempts(other_app, theirs_msg)) {
    EXPECT_EQ(num(a.as_object(), "responseStatusCode"), 401);
    EXPECT_NE(str(a.as_object(), "response").find("wrong_application"), std::string::npos)
        << json::serialize(a);
  }
  EXPECT_EQ(pulled(), std::vector<std::string>{ours_payload});
  // Captured and replayed with webhook-app-id changed to the expected application, the other
  // application's genuinely signed message is still refused: the application's tag is inside
  // the signed webhook-id, not only in the unsigned header.
  {
    const auto key = crypto::base64_decode(std::string_view(secret).substr(6)).value_or("");
    const auto timestamp = std::to_string(std::time(nullptr));
    const auto signature = "v1," + crypto::base64_encode(crypto::hmac(
                                       crypto::DigestAlgorithm::sha256, key,
                                       theirs_msg + "." + timestamp + "." + theirs_payload));
    const auto replayed = http_request(receiver_port, "POST", "/in/acme",
                                       {{"Content-Type", "application/json"},
                                        {"webhook-id", theirs_msg},
                                        {"webhook-timestamp", timestamp},
                                        {"webhook-signature", signature},
                                        {"webhook-app-id", expected_app}},
                                       theirs_payload);
    EXPECT_EQ(replayed.status, 401) << replayed.body;
    EXPECT_NE(replayed.body.find("wrong_application"), std::string::npos) << replayed.body;
  }
  EXPECT_EQ(pulled(), std::vector<std::string>{ours_payload});
  // A Hookgate source answers a Hookgate sender's endpoint verification (echo and challenge)
  // once the request's signature holds, and only for the application it expects.
  for (const char* mode : {"echo", "challenge"}) {
    const auto verified = create_endpoint(
        expected_app, {{"url", inbound}, {"secret", secret}, {"verification", mode}});
    EXPECT_TRUE(flag(verified, "verified")) << mode << " " << json::serialize(verified);
    const auto refused =
        create_endpoint(other_app, {{"url", inbound}, {"secret", secret}, {"verification", mode}});
    EXPECT_FALSE(flag(refused, "verified")) << mode << " " << json::serialize(refused);
  }
  EXPECT_EQ(receiver.stop(SIGTERM), 0) << receiver.stderr_text();
  EXPECT_EQ(server_->stop(SIGTERM), 0) << server_->stderr_text();
}

}  // namespace
}  // namespace hookgate::e2e
