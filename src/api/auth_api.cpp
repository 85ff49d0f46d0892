// /api/v1/auth: app-portal access (Svix's AppPortalAccessIn/Out), logout and expire-all. An
// app-portal token is an API key scoped to one application, with an expiry and capabilities
// (api/portal_capabilities.hpp); it is refused once expired exactly as an unknown key is.
#include <algorithm>
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/body_reader.hpp"
#include "api/portal_capabilities.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

constexpr std::int64_t kMinPortalExpiry = 3600;  // Svix: 1 hour ...
constexpr std::int64_t kMaxPortalExpiry =
    std::int64_t{7} * 24 * 3600;  // ... to 7 days, the default
constexpr std::int64_t kMaxExpireAllDelay = std::int64_t{7} * 24 * 3600;

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == ':' || c == '[' || c == ']';
}

// Where the portal is served: [server] public_url, else the address this request reached
// (its Host over the listener's scheme).
std::optional<std::string> public_base(const config::Config& config,
                                       const net::HttpRequest& request) {
  std::string base = config.public_url;
  if (base.empty()) {
    const auto host = request.headers.get("Host");
    if (!host || host->empty() || host->size() > 255 ||
        !std::all_of(host->begin(), host->end(), host_char)) {
      return std::nullopt;
    }
    base = std::string(request.tls ? "https://" : "http://") + std::string(*host);
  }
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base;
}

}  // namespace

net::HttpResponse ManagementApi::auth(Call& call) {
  const auto& s = call.segments;
  const bool admin = call.scope == "admin";
  if (s.size() == 2 && s[1] == "logout") {
    if (call.method() != "POST") return not_allowed("POST");
    // Only an app-portal token signs itself out; other keys are managed under /api-key.
    if (!call.key || call.key->capabilities.empty()) {
      return http_error(403, "forbidden", "only an app-portal token can log out");
    }
    auto d = registry_.delete_api_key(call.key->hash);
    if (!d) return registry_refusal(d.error());
    return no_content();
  }
  const bool portal_access = s.size() == 3 && s[1] == "app-portal-access";
  const bool expire_all = s.size() == 4 && s[1] == "app" && s[3] == "expire-all";
  if (!portal_access && !expire_all) return http_error(404, "not_found", "unknown path");
  if (call.method() != "POST") return not_allowed("POST");
  if (!admin) return http_error(403, "forbidden", "app-portal tokens are made with an admin key");
  const std::string& given = s[2];
  auto body = body_object(call.request);
  if (!body) return http_error(400, "bad_request", body.error());
  BodyReader reader(*body);

  if (expire_all) {
    reader.only({"expiry", "sessionIds"});
    const auto delay = reader.nullable_integer("expiry");
    const auto sessions = reader.strings("sessionIds");
    const std::int64_t seconds = delay && *delay ? **delay : 0;
    if (seconds < 0 || seconds > kMaxExpireAllDelay) {
      reader.fail("expiry", "0 to 604800 seconds", "value_error.number.not_le");
    }
    if (!reader.ok()) return reader.error();
    auto app_id = registry_.app_id_of(given);
    if (!app_id) return registry_refusal(app_id.error());
    if (!*app_id) return http_error(404, "not_found", "no application " + given);
    if (auto a = registry_.app(**app_id); !a) return registry_refusal(a.error());
    auto cut = registry_.expire_portal_tokens(
        **app_id, sessions.value_or(std::vector<std::string>{}), seconds * 1000);
    if (!cut) return registry_refusal(cut.error());
    return no_content();
  }

  reader.only({"application", "readOnly", "capabilities", "featureFlags", "expiry", "sessionId"});
  const auto expiry = reader.nullable_integer("expiry");
  const std::int64_t seconds = expiry && *expiry ? **expiry : kMaxPortalExpiry;
  if (seconds < kMinPortalExpiry || seconds > kMaxPortalExpiry) {
    reader.fail("expiry", "from 3600 (1 hour) to 604800 (7 days) seconds");
  }
  if (const auto* ro = body->if_contains("readOnly");
      ro != nullptr && !ro->is_null() && !ro->is_bool()) {
    reader.fail("readOnly", "value could not be parsed to a boolean", "type_error.bool");
  }
  outbound::ApiKey like;
  like.name = "app-portal";
  if (auto caps = reader.nullable_strings("capabilities"); caps && *caps) {
    for (const auto& c : **caps) {
      if (!known_portal_capability(c)) reader.fail("capabilities", "unknown capability " + c);
    }
    if (std::find((*caps)->begin(), (*caps)->end(), "ViewBase") == (*caps)->end()) {
      reader.fail("capabilities", "ViewBase is always required");
    }
    like.capabilities = **caps;
  }
  like.feature_flags = reader.strings("featureFlags").value_or(std::vector<std::string>{});
  if (auto session = reader.nullable_string("sessionId"); session && *session) {
    like.session_id = **session;
  }
  const json::object* application = nullptr;
  if (const auto* a = body->if_contains("application"); a != nullptr && !a->is_null()) {
    if (a->is_object()) {
      application = &a->as_object();
    } else {
      reader.fail("application", "an ApplicationIn object is expected", "type_error.dict");
    }
  }
  if (!reader.ok()) return reader.error();

  auto app_id = registry_.app_id_of(given);
  if (!app_id) return registry_refusal(app_id.error());
  if (*app_id) {
    if (auto a = registry_.app(**app_id); !a) {
      if (!application || !a.error().starts_with("not_found")) return registry_refusal(a.error());
      app_id->reset();
    }
  }
  if (!*app_id) {
    // Svix: `application` creates it when the path names none (ignored otherwise).
    if (!application || given.starts_with("app_")) {
      return http_error(404, "not_found", "no application " + given);
    }
    BodyReader app_reader(*application);
    app_reader.only({"name", "uid", "throttleRate", "rateLimit", "metadata"});
    outbound::AppInput in;
    in.name = app_reader.string("name");
    if (!in.name) app_reader.missing("name");
    in.uid = app_reader.nullable_string("uid").value_or(std::nullopt).value_or(given);
    if (auto rate = app_reader.nullable_number(app_reader.either("throttleRate", "rateLimit"))) {
      in.throttle_rate = *rate;
    }
    in.metadata = app_reader.string_map("metadata");
    if (!app_reader.ok()) return app_reader.error();
    auto created = registry_.create_app(in);
    if (!created) return registry_refusal(created.error());
    *app_id = created->id;
  }
  if (like.capabilities.empty()) {
    const auto* ro = body->if_contains("readOnly");
    if (ro != nullptr && ro->is_bool() && ro->as_bool()) {
      like.capabilities = {"ViewBase"};
    } else {
      like.capabilities.assign(std::begin(kPortalCapabilities), std::end(kPortalCapabilities));
    }
  }
  const auto base = public_base(config_, call.request);
  if (!base) {
    return http_error(400, "bad_request",
                      "no usable Host header: set [server] public_url for portal links");
  }
  like.scope = **app_id;
  like.expires_ms = now_ms_() + seconds * 1000;
  auto token = registry_.create_api_key(like);
  if (!token) return registry_refusal(token.error());
  // The token travels in the fragment, which browsers never send: it stays out of server logs.
  return json_response(200, json::object{{"url", *base + "/portal#token=" + token->plaintext},
                                         {"token", token->plaintext}});
}

}  // namespace hookgate::api
