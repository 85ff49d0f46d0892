// /api/v1 in Svix's shapes, through the real `hookgate serve` over loopback: applications and
// endpoints reachable by uid in every path (uids unique, getOrCreate, PUT/PATCH), endpoint
// headers, secret get and rotate (204, the next delivery verifying with the new key), event types
// (create, archive, schemas), and app-portal tokens (one application only, capabilities,
// logout, expire-all). Bad input gets Svix's error bodies and stores nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <string>
#include <vector>

#include "api_fixture.hpp"
#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/key.hpp"
#include "hookgate/schemes/verify.hpp"
#include "json_fields.hpp"
#include "loopback_receiver.hpp"
#include "server_process.hpp"
#include "wait.hpp"

namespace hookgate::e2e {
namespace {

namespace json = boost::json;

// The fields named by a 422's detail list (the last element of each loc).
std::vector<std::string> error_fields(const HttpResult& r) {
  std::vector<std::string> out;
  for (const auto& e : arr(object_of(r), "detail")) {
    const auto loc = arr(e.as_object(), "loc");
    if (!loc.empty() && loc.back().is_string()) out.emplace_back(loc.back().as_string());
  }
  return out;
}
bool iso_time(const std::string& text) {
  // 2026-11-30T22:17:08.123Z
  return text.size() == 24 && text[4] == '-' && text[10] == 'T' && text[19] == '.' &&
         text.back() == 'Z';
}

class SvixApi : public ApiFixture {
 protected:
  SvixApi() : ApiFixture("hookgate-svix-api") {}
  void SetUp() override {
    ApiFixture::SetUp();
    if (IsSkipped()) return;
    ApiConfig config;
    config.delivery = "schedule = [1, 1, 1]\njitter = 0\nlease_seconds = 5\n";
    server_ = start_server("sender.toml", config);
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
  }

  std::size_t count(const std::string& list_path) const {
    return arr(object_of(call("GET", list_path + "?limit=250")), "data").size();
  }
  std::string url_of(const LoopbackReceiver& r) const {
    return "http://127.0.0.1:" + std::to_string(r.port()) + "/hooks";
  }
};

TEST_F(SvixApi, ApplicationsAreReachableByUidInEveryPath) {
  const auto created =
      call("POST", "/app",
           json::object{{"name", "Acme"}, {"uid", "acme"}, {"metadata", {{"tier", "gold"}}}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto app = object_of(created);
  const auto id = str(app, "id");
  EXPECT_TRUE(id.starts_with("app_"));
  EXPECT_EQ(str(app, "uid"), "acme");
  EXPECT_TRUE(iso_time(str(app, "createdAt"))) << created.body;
  EXPECT_TRUE(iso_time(str(app, "updatedAt"))) << created.body;
  EXPECT_TRUE(is_null(app, "throttleRate"));
  EXPECT_EQ(str(app.at("metadata").as_object(), "tier"), "gold");

  // A duplicate uid: 409 in Svix's error shape, nothing stored.
  const auto dup = call("POST", "/app", json::object{{"name", "Other"}, {"uid", "acme"}});
  EXPECT_EQ(dup.status, 409) << dup.body;
  EXPECT_EQ(str(object_of(dup), "code"), "conflict");
  EXPECT_EQ(count("/app"), 1U);
  // getOrCreate: the existing application, 200.
  const auto again =
      call("POST", "/app?get_if_exists=true", json::object{{"name", "Acme"}, {"uid", "acme"}});
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(str(object_of(again), "id"), id);
  EXPECT_EQ(count("/app"), 1U);

  // Bad input: Svix's 422 naming each field, nothing stored.
  for (const auto& [body, field] : std::vector<std::pair<json::object, std::string>>{
           {{{"nmae", "typo"}}, "nmae"},
           {{{"name", "x"}, {"uid", "app_looks_like_an_id"}}, "uid"},
           {{{"name", "x"}, {"uid", "has space"}}, "uid"},
           {{{"name", 5}}, "name"},
           {{{"name", "x"}, {"throttleRate", 1}, {"rateLimit", 1}}, "rateLimit"},
           {{{"name", "x"}, {"metadata", {{"k", 1}}}}, "metadata"}}) {
    const auto r = call("POST", "/app", body);
    EXPECT_EQ(r.status, 422) << json::serialize(body) << " " << r.body;
    if (!field.empty()) {
      EXPECT_NE(std::find(error_fields(r).begin(), error_fields(r).end(), field),
                error_fields(r).end())
          << r.body;
    }
  }
  EXPECT_EQ(count("/app"), 1U);

  // The uid in every path: the application, its endpoints, its messages.
  EXPECT_EQ(str(object_of(call("GET", "/app/acme")), "id"), id);
  const auto patched = call("PATCH", "/app/acme", json::object{{"name", "Acme Inc"}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(str(object_of(patched), "name"), "Acme Inc");
  EXPECT_EQ(str(object_of(patched), "uid"), "acme");
  EXPECT_EQ(str(object_of(patched).at("metadata").as_object(), "tier"), "gold");  // kept
  // PUT replaces: what it leaves out goes back to its default.
  const auto put = call("PUT", "/app/acme", json::object{{"name", "Acme"}, {"throttleRate", 10}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_TRUE(object_of(put).at("metadata").as_object().empty());
  EXPECT_EQ(object_of(put).at("throttleRate").to_number<double>(), 10.0);
  const auto ep = call("POST", "/app/acme/endpoint", json::object{{"url", "http://127.0.0.1:9/"}});
  ASSERT_EQ(ep.status, 201) << ep.body;
  EXPECT_EQ(str(object_of(ep), "appId"), id);
  EXPECT_EQ(count("/app/acme/endpoint"), 1U);
  EXPECT_EQ(count("/app/" + id + "/endpoint"), 1U);
  EXPECT_EQ(call("GET", "/app/acme/msg").status, 200);
  // PUT on a uid nobody has creates the application with it.
  const auto upserted = call("PUT", "/app/beta", json::object{{"name", "Beta"}});
  ASSERT_EQ(upserted.status, 201) << upserted.body;
  EXPECT_EQ(str(object_of(upserted), "uid"), "beta");
  EXPECT_EQ(call("GET", "/app/nobody").status, 404);
  EXPECT_EQ(call("PUT", "/app/app_nosuchid", json::object{{"name", "x"}}).status, 404);

  // An application's key works by uid on its own application only; another's uid and a uid
  // that does not exist are the same refusal.
  const auto key_answer = call("POST", "/api-key", json::object{{"scope", "acme"}});
  ASSERT_EQ(key_answer.status, 201) << key_answer.body;
  EXPECT_EQ(str(object_of(key_answer), "scope"), id);
  const auto key = str(object_of(key_answer), "key");
  EXPECT_EQ(call("GET", "/app/acme", "", key).status, 200);
  EXPECT_EQ(call("GET", "/app/acme/endpoint", "", key).status, 200);
  EXPECT_EQ(call("GET", "/app/beta", "", key).status, 403);
  EXPECT_EQ(call("GET", "/app/nobody", "", key).status, 403);
  EXPECT_EQ(call("PATCH", "/app/acme", json::object{{"name", "mine"}}, key).status, 403);

  // A changed uid frees the old one; a deleted application frees its uid.
  ASSERT_EQ(call("PATCH", "/app/acme", json::object{{"uid", "acme-renamed"}}).status, 200);
  EXPECT_EQ(call("GET", "/app/acme").status, 404);
  EXPECT_EQ(call("GET", "/app/acme-renamed").status, 200);
  EXPECT_EQ(call("GET", "/app/acme-renamed", "", key).status, 200);
  EXPECT_EQ(call("PATCH", "/app/beta", json::object{{"uid", "acme-renamed"}}).status, 409);
  EXPECT_EQ(call("DELETE", "/app/acme-renamed").status, 204);
  EXPECT_EQ(call("POST", "/app", json::object{{"name", "New"}, {"uid", "acme-renamed"}}).status,
            201);
}

TEST_F(SvixApi, EndpointsInSvixShapesWithUidsAndHeaders) {
  ASSERT_EQ(call("POST", "/app", json::object{{"name", "A"}, {"uid", "a"}}).status, 201);
  const auto created = call("POST", "/app/a/endpoint",
                            json::object{{"url", "http://127.0.0.1:9/in"},
                                         {"uid", "main"},
                                         {"description", "primary"},
                                         {"eventTypes", {"invoice.paid"}},
                                         {"channels", {"eu"}},
                                         {"throttleRate", 20},
                                         {"metadata", {{"team", "billing"}}},
                                         {"headers", {{"X-Tenant", "7"}, {"Authorization", "t"}}},
                                         {"version", 1}});
  ASSERT_EQ(created.status, 201) << created.body;
  const auto e = object_of(created);
  const auto id = str(e, "id");
  EXPECT_EQ(str(e, "uid"), "main");
  EXPECT_EQ(e.at("disabled"), json::value(false));
  EXPECT_EQ(e.at("eventTypes"), json::value(json::array{"invoice.paid"}));
  EXPECT_EQ(e.at("filterTypes"), json::value(json::array{"invoice.paid"}));  // 1.x clients
  EXPECT_EQ(e.at("channels"), json::value(json::array{"eu"}));
  EXPECT_EQ(e.at("throttleRate").to_number<double>(), 20.0);
  EXPECT_EQ(str(e.at("metadata").as_object(), "team"), "billing");
  EXPECT_TRUE(iso_time(str(e, "createdAt")) && iso_time(str(e, "updatedAt"))) << created.body;
  EXPECT_EQ(e.if_contains("headers"), nullptr);  // read with the headers call

  // By uid in the path; a duplicate uid in the same application is 409, nothing stored.
  EXPECT_EQ(str(object_of(call("GET", "/app/a/endpoint/main")), "id"), id);
  const auto dup = call("POST", "/app/a/endpoint",
                        json::object{{"url", "http://127.0.0.1:9/b"}, {"uid", "main"}});
  EXPECT_EQ(dup.status, 409) << dup.body;
  EXPECT_EQ(count("/app/a/endpoint"), 1U);

  // 1.x names are accepted; a typo, a wrong type or both spellings are 422 and store nothing.
  const auto old = call("POST", "/app/a/endpoint",
                        json::object{{"url", "http://127.0.0.1:9/old"},
                                     {"filterTypes", {"a.b"}},
                                     {"rateLimit", 3},
                                     {"secret", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}});
  ASSERT_EQ(old.status, 201) << old.body;
  EXPECT_EQ(object_of(old).at("eventTypes"), json::value(json::array{"a.b"}));
  EXPECT_EQ(str(object_of(old), "secret"), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  for (const auto& body : std::vector<json::object>{
           {{"url", "http://127.0.0.1:9/x"}, {"evnetTypes", {"a"}}},
           {{"url", "http://127.0.0.1:9/x"}, {"event_types", {"a"}}},
           {{"url", "http://127.0.0.1:9/x"}, {"eventTypes", {"a"}}, {"filterTypes", {"a"}}},
           {{"url", "http://127.0.0.1:9/x"}, {"disabled", "no"}},
           {{"url", "http://127.0.0.1:9/x"}, {"uid", "ep_like_an_id"}},
           {{"url", "http://127.0.0.1:9/x"}, {"version", 0}},
           {{"description", "no url"}}}) {
    const auto r = call("POST", "/app/a/endpoint", body);
    EXPECT_EQ(r.status, 422) << json::serialize(body) << " " << r.body;
    EXPECT_FALSE(arr(object_of(r), "detail").empty()) << r.body;
  }
  EXPECT_EQ(count("/app/a/endpoint"), 2U);

  // PATCH changes what it names; null clears; PUT replaces (by uid; creates when none).
  const auto patched = call("PATCH", "/app/a/endpoint/main",
                            json::object{{"disabled", true}, {"channels", nullptr}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(object_of(patched).at("disabled"), json::value(true));
  EXPECT_TRUE(is_null(object_of(patched), "channels"));
  EXPECT_EQ(str(object_of(patched), "description"), "primary");
  const auto put =
      call("PUT", "/app/a/endpoint/main", json::object{{"url", "http://127.0.0.1:9/moved"}});
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(str(object_of(put), "id"), id);
  EXPECT_EQ(object_of(put).at("disabled"), json::value(false));
  EXPECT_EQ(str(object_of(put), "description"), "");
  EXPECT_TRUE(is_null(object_of(put), "eventTypes"));
  EXPECT_EQ(str(object_of(put), "uid"), "main");
  const auto upserted =
      call("PUT", "/app/a/endpoint/second", json::object{{"url", "http://127.0.0.1:9/2"}});
  ASSERT_EQ(upserted.status, 201) << upserted.body;
  EXPECT_EQ(str(object_of(upserted), "uid"), "second");

  // Headers: set, patched, read with credentials' values withheld.
  const auto headers = call("GET", "/app/a/endpoint/main/headers");
  ASSERT_EQ(headers.status, 200) << headers.body;
  EXPECT_EQ(str(object_of(headers).at("headers").as_object(), "X-Tenant"), "7");
  EXPECT_EQ(object_of(headers).at("headers").as_object().if_contains("Authorization"), nullptr);
  EXPECT_EQ(arr(object_of(headers), "sensitive"), (json::array{"Authorization"}));
  EXPECT_EQ(headers.body.find("\"t\""), std::string::npos);
  EXPECT_EQ(call("PATCH", "/app/a/endpoint/main/headers",
                 json::object{{"headers", {{"X-Region", "eu"}}}, {"deleteHeaders", {"x-tenant"}}})
                .status,
            204);
  auto now = object_of(call("GET", "/app/a/endpoint/main/headers"));
  EXPECT_EQ(now.at("headers"), json::value(json::object{{"X-Region", "eu"}}));
  EXPECT_EQ(
      call("PUT", "/app/a/endpoint/main/headers", json::object{{"headers", json::object{}}}).status,
      204);
  now = object_of(call("GET", "/app/a/endpoint/main/headers"));
  EXPECT_TRUE(now.at("headers").as_object().empty());
  EXPECT_TRUE(arr(now, "sensitive").empty());
  EXPECT_EQ(call("PUT", "/app/a/endpoint/main/headers", json::object{{"headers", {{"Host", "x"}}}})
                .status,
            422);
  EXPECT_EQ(
      call("PUT", "/app/a/endpoint/main/headers", json::object{{"hdrs", json::object{}}}).status,
      422);

  EXPECT_EQ(call("DELETE", "/app/a/endpoint/main").status, 204);
  EXPECT_EQ(call("GET", "/app/a/endpoint/main").status, 404);
  // Its uid is free again.
  EXPECT_EQ(call("POST", "/app/a/endpoint",
                 json::object{{"url", "http://127.0.0.1:9/c"}, {"uid", "main"}})
                .status,
            201);
}

TEST_F(SvixApi, ARotatedSecretSignsTheNextDelivery) {
  LoopbackReceiver receiver([](const ReceivedRequest&) { return ReceiverAnswer{200, {}, "ok"}; });
  ASSERT_EQ(call("POST", "/app", json::object{{"name", "R"}, {"uid", "r"}}).status, 201);
  ASSERT_EQ(
      call("POST", "/app/r/endpoint", json::object{{"url", url_of(receiver)}, {"uid", "e"}}).status,
      201);
  const auto before = str(object_of(call("GET", "/app/r/endpoint/e/secret")), "key");
  ASSERT_TRUE(before.starts_with("whsec_"));
  const auto rotated = call("POST", "/app/r/endpoint/e/secret/rotate", json::object{});
  EXPECT_EQ(rotated.status, 204) << rotated.body;
  EXPECT_TRUE(rotated.body.empty());
  const auto after = str(object_of(call("GET", "/app/r/endpoint/e/secret")), "key");
  ASSERT_TRUE(after.starts_with("whsec_"));
  EXPECT_NE(after, before);

  const auto published =
      call("POST", "/app/r/msg", std::string(R"({"eventType":"a.b","payload":{"n":1}})"));
  ASSERT_EQ(published.status, 202) << published.body;
  ASSERT_TRUE(eventually([&] { return receiver.received().size() == 1; }))
      << server_->stderr_text();
  static const auto catalogue = schemes::Catalogue::with_builtins();
  const auto& scheme = *catalogue->find("standard-webhooks");
  const auto got = receiver.received().front();
  schemes::HeaderList h;
  for (const auto& [k, v] : got.headers)
    h.add(k, v);
  const std::vector<schemes::Key> keys{schemes::Key::parse_secret(scheme, after).value()};
  const auto with_new = schemes::verify(scheme, {"POST", "", h, got.body}, keys);
  EXPECT_TRUE(with_new.ok()) << with_new.detail;
}

TEST_F(SvixApi, EventTypesWithSchemasArchivedAndExpunged) {
  const json::object schemas{{"1", {{"type", "object"}, {"required", {"id"}}}}};
  const auto created = call("POST", "/event-type",
                            json::object{{"name", "invoice.paid"},
                                         {"description", "An invoice was paid"},
                                         {"schemas", schemas},
                                         {"groupName", "billing"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(object_of(created).at("schemas"), json::value(schemas));
  EXPECT_TRUE(iso_time(str(object_of(created), "createdAt"))) << created.body;
  EXPECT_EQ(
      call("POST", "/event-type", json::object{{"name", "invoice.paid"}, {"description", "again"}})
          .status,
      409);
  for (const auto& body : std::vector<json::object>{
           {{"name", "bad name"}, {"description", "x"}},
           {{"name", "no.description"}},
           {{"name", "x.y"}, {"description", "x"}, {"schemas", {{"1", "not a schema"}}}},
           {{"name", "x.y"},
            {"description", "x"},
            {"schemas", {{"1", {{"big", std::string(70000, 'a')}}}}}},
           {{"name", "x.y"}, {"description", "x"}, {"colour", "red"}}}) {
    EXPECT_EQ(call("POST", "/event-type", body).status, 422) << json::serialize(body);
  }
  EXPECT_EQ(count("/event-type"), 1U);

  const auto got = object_of(call("GET", "/event-type/invoice.paid"));
  EXPECT_EQ(got.at("schemas"), json::value(schemas));
  EXPECT_EQ(str(got, "groupName"), "billing");
  // Listing leaves the schemas out unless asked.
  EXPECT_TRUE(
      is_null(arr(object_of(call("GET", "/event-type")), "data")[0].as_object(), "schemas"));
  EXPECT_EQ(arr(object_of(call("GET", "/event-type?with_content=true")), "data")[0].as_object().at(
                "schemas"),
            json::value(schemas));
  const auto patched =
      call("PATCH", "/event-type/invoice.paid", json::object{{"deprecated", true}});
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(object_of(patched).at("deprecated"), json::value(true));
  EXPECT_EQ(str(object_of(patched), "description"), "An invoice was paid");
  EXPECT_EQ(call("PUT", "/event-type/user.created", json::object{{"description", "new"}}).status,
            201);

  // App keys read, never write.
  ASSERT_EQ(call("POST", "/app", json::object{{"name", "K"}, {"uid", "k"}}).status, 201);
  const auto key = str(object_of(call("POST", "/api-key", json::object{{"scope", "k"}})), "key");
  EXPECT_EQ(call("GET", "/event-type/invoice.paid", "", key).status, 200);
  EXPECT_EQ(
      call("POST", "/event-type", json::object{{"name", "z"}, {"description", "z"}}, key).status,
      403);
  EXPECT_EQ(call("DELETE", "/event-type/invoice.paid", "", key).status, 403);

  // Deleting archives; archived ones are listed only when asked; expunge removes.
  EXPECT_EQ(call("DELETE", "/event-type/invoice.paid").status, 204);
  EXPECT_EQ(object_of(call("GET", "/event-type/invoice.paid")).at("archived"), json::value(true));
  EXPECT_EQ(count("/event-type"), 1U);
  EXPECT_EQ(arr(object_of(call("GET", "/event-type?include_archived=true")), "data").size(), 2U);
  EXPECT_EQ(call("DELETE", "/event-type/invoice.paid?expunge=true").status, 204);
  EXPECT_EQ(call("GET", "/event-type/invoice.paid").status, 404);
}

TEST_F(SvixApi, AppPortalTokensReachOnlyTheirApplicationUntilLoggedOut) {
  ASSERT_EQ(call("POST", "/app", json::object{{"name", "Mine"}, {"uid", "mine"}}).status, 201);
  ASSERT_EQ(call("POST", "/app", json::object{{"name", "Theirs"}, {"uid", "theirs"}}).status, 201);
  ASSERT_EQ(call("POST", "/app/mine/endpoint",
                 json::object{{"url", "http://127.0.0.1:9/m"}, {"uid", "e"}})
                .status,
            201);
  const auto access = call("POST", "/auth/app-portal-access/mine", json::object{});
  ASSERT_EQ(access.status, 200) << access.body;
  const auto token = str(object_of(access), "token");
  const auto url = str(object_of(access), "url");
  ASSERT_FALSE(token.empty());
  // The token rides in the fragment: browsers never send it to a server.
  // Without [server] public_url the base is the request's Host over the listener's scheme.
  EXPECT_TRUE(url.starts_with("http://127.0.0.1")) << url;
  EXPECT_TRUE(url.ends_with("/portal#token=" + token)) << url;

  EXPECT_EQ(call("GET", "/app/mine", "", token).status, 200);
  EXPECT_EQ(call("GET", "/app/mine/endpoint/e/secret", "", token).status, 200);
  EXPECT_EQ(call("PATCH", "/app/mine/endpoint/e", json::object{{"description", "x"}}, token).status,
            200);
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/app/theirs"},
                                                        {"GET", "/app/theirs/endpoint"},
                                                        {"GET", "/app"},
                                                        {"DELETE", "/app/mine"},
                                                        {"POST", "/app/mine/msg"},
                                                        {"GET", "/api-key"},
                                                        {"POST", "/auth/app-portal-access/mine"}}) {
    const auto r = call(method, path, method == "GET" ? "" : "{}", token);
    EXPECT_EQ(r.status, 403) << method << " " << path << ": " << r.body;
  }
  // Read-only: no secret, no changes.
  const auto ro =
      str(object_of(call("POST", "/auth/app-portal-access/mine", json::object{{"readOnly", true}})),
          "token");
  EXPECT_EQ(call("GET", "/app/mine/endpoint/e", "", ro).status, 200);
  EXPECT_EQ(call("GET", "/app/mine/endpoint/e/secret", "", ro).status, 403);
  EXPECT_EQ(call("PATCH", "/app/mine/endpoint/e", json::object{{"description", "y"}}, ro).status,
            403);
  // Bounded expiry, known capabilities, only admin keys make tokens.
  EXPECT_EQ(call("POST", "/auth/app-portal-access/mine", json::object{{"expiry", 60}}).status, 422);
  EXPECT_EQ(
      call("POST", "/auth/app-portal-access/mine", json::object{{"expiry", 8 * 24 * 3600}}).status,
      422);
  EXPECT_EQ(call("POST", "/auth/app-portal-access/mine",
                 json::object{{"capabilities", {"ViewBase", "Everything"}}})
                .status,
            422);
  EXPECT_EQ(call("POST", "/auth/app-portal-access/nobody", json::object{}).status, 404);
  // `application` creates the one the path names when there is none.
  const auto made = call("POST", "/auth/app-portal-access/fresh",
                         json::object{{"application", {{"name", "Fresh"}}}});
  EXPECT_EQ(made.status, 200) << made.body;
  EXPECT_EQ(str(object_of(call("GET", "/app/fresh")), "uid"), "fresh");

  // Logout revokes the calling token: refused afterwards exactly as an unknown key.
  EXPECT_EQ(call("POST", "/auth/logout", "", token).status, 204);
  const auto after = call("GET", "/app/mine", "", token);
  const auto unknown = call("GET", "/app/mine", "", "hgk_" + std::string(40, 'x'));
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(after.body, unknown.body);
  EXPECT_EQ(call("POST", "/auth/logout", "", kAdminKey).status, 403);
  // Expire-all ends the application's other tokens.
  EXPECT_EQ(call("GET", "/app/mine", "", ro).status, 200);
  EXPECT_EQ(call("POST", "/auth/app/mine/expire-all", json::object{}).status, 204);
  EXPECT_EQ(call("GET", "/app/mine", "", ro).status, 401);
}

}  // namespace
}  // namespace hookgate::e2e
