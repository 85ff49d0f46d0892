// /api/v1: authentication and routing to the resources (api/*_api.cpp).
#include "api/management_api.hpp"

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/portal_capabilities.hpp"
#include "hookgate/crypto/compare.hpp"

namespace hookgate::api {

ManagementApi::ManagementApi(const config::Config& config, store::Store& store,
                             outbound::Registry& registry, outbound::Publisher& publisher,
                             outbound::Verifier& verifier, std::function<void()> on_published,
                             std::function<std::int64_t()> now_ms, ConsoleData console)
    : config_(config),
      store_(store),
      registry_(registry),
      publisher_(publisher),
      verifier_(verifier),
      on_published_(std::move(on_published)),
      now_ms_(std::move(now_ms)),
      console_(std::move(console)) {}

void ManagementApi::handle(const net::HttpRequest& request, const Answer& answer) {
  std::string verdict;
  Call call{request, {}, {}, verdict, &answer};
  auto response = authenticate_and_route(call);
  if (!call.deferred) answer(std::move(response), std::move(verdict));
}

net::HttpResponse ManagementApi::authenticate_and_route(Call& call) {
  const auto& request = call.request;
  auto& verdict = call.verdict;
  std::string_view rest = std::string_view(request.path).substr(kApiPrefix.size());
  while (!rest.empty()) {
    const auto slash = rest.find('/');
    call.segments.emplace_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  // Authentication first: an unauthenticated caller learns nothing, not even which paths exist.
  // The console's session cookie stands in for the header (never beside it), with the same
  // authorisation as the key it was made from.
  if (sessions_ != nullptr && request.headers.count("Authorization") == 0) {
    if (const auto session = ConsoleSessions::cookie_session(request)) {
      if (auto refused = authenticate_session(call, *session)) return std::move(*refused);
      return authorised_route(call);
    }
  }
  const auto auth = request.headers.get("Authorization");
  if (!auth || !auth->starts_with("Bearer ") || auth->size() > 256) {
    verdict = "unauthorized";
    return http_error(401, "unauthorized", "an API key is required (Authorization: Bearer ...)");
  }
  const std::string key(auth->substr(7));
  bool admin = false;
  for (const auto& k : config_.api.admin_keys) {
    // Every configured key is compared, so the time taken says nothing about which matched.
    admin = crypto::constant_time_equal(key, k.value) || admin;
  }
  if (admin) {
    call.scope = "admin";
  } else {
    auto found = registry_.find_api_key(key);
    if (!found) {
      verdict = "store_error";
      return from_error(found.error());
    }
    if (!found->has_value()) {
      verdict = "unauthorized";
      return http_error(401, "unauthorized", "unknown API key");
    }
    call.scope = (*found)->scope;
    call.key = **found;
  }
  return authorised_route(call);
}

net::HttpResponse ManagementApi::authorised_route(Call& call) {
  auto& verdict = call.verdict;
  // An app-portal token reaches what its capabilities name, no more.
  if (call.key && !call.key->capabilities.empty() &&
      !portal_allows(call.key->capabilities, call.request.method, call.segments)) {
    verdict = "forbidden";
    return http_error(403, "forbidden", "this app-portal token's capabilities do not allow this");
  }
  try {
    auto response = route(call);
    if (verdict.empty()) verdict = response.status < 400 ? "ok" : "refused";
    return response;
  } catch (const std::exception&) {
    verdict = "internal_error";
    return http_error(500, "internal", "internal error");
  }
}

Result<std::string> ManagementApi::resolve_app(Call& call) {
  const std::string& given = call.segments[1];
  const bool admin = call.scope == "admin";
  auto resolved = registry_.app_id_of(given);
  if (!resolved) return Error{resolved.error()};
  // An application's key learns nothing about other applications, not even whether a uid is
  // taken: a miss and someone else's application are the same refusal.
  if (!admin && (!*resolved || **resolved != call.scope)) {
    return Error{"forbidden: this key belongs to another application"};
  }
  if (!*resolved) return Error{"not_found: no application " + given};
  return **resolved;
}

net::HttpResponse ManagementApi::route(Call& call) {
  const auto& s = call.segments;
  const bool admin = call.scope == "admin";
  if (s.empty() || s.front().empty()) return http_error(404, "not_found", "unknown path");
  if (s.front() == "api-key") {
    if (!admin) return http_error(403, "forbidden", "API keys are managed with an admin key");
    return api_keys(call);
  }
  if (s.front() == "source" || s.front() == "delivery" || s.front() == "destination" ||
      s.front() == "stats" || s.front() == "establishment") {
    // The gateway's own traffic and every application's deliveries: admin keys only, never an
    // application's key or an app-portal token.
    if (!admin) return http_error(403, "forbidden", "this resource needs an admin key");
    if (s.front() == "source") return inbound_sources(call);
    if (s.front() == "delivery") return deliveries_resource(call);
    if (s.front() == "destination") {
      return s.size() == 2 ? destination_resource(call) : destinations_resource(call);
    }
    if (s.front() == "stats") return stats_resource(call);
    return establishment_resource(call);
  }
  if (s.front() == "event-type") return event_types(call);
  if (s.front() == "auth") return auth(call);
  if (s.front() != "app") return http_error(404, "not_found", "unknown path");
  if (s.size() == 1) {
    if (!admin)
      return http_error(403, "forbidden", "listing and creating applications needs admin");
    return apps(call);
  }
  // {app_id} is an id or a uid in every path below; the resources see the id only.
  auto resolved = resolve_app(call);
  if (!resolved) {
    // PUT on an application that does not exist creates it (Svix's upsert).
    if (admin && s.size() == 2 && call.method() == "PUT" &&
        resolved.error().starts_with("not_found")) {
      return upsert_app(call, s[1]);
    }
    if (resolved.error().starts_with("forbidden")) {
      return http_error(403, "forbidden", "this key belongs to another application");
    }
    return from_error(resolved.error());
  }
  const std::string& app_id = *resolved;
  if (s.size() == 2) return app(call, app_id);
  if (s[2] == "endpoint") {
    if (s.size() == 3) return endpoints(call, app_id);
    if (s.size() == 5 && (s[4] == "msg" || s[4] == "stats" || s[4] == "recover")) {
      return endpoint_deliveries(call, app_id, s[3]);
    }
    return endpoint(call, app_id, s[3]);
  }
  if (s[2] == "msg") {
    if (s.size() == 3) return messages(call, app_id);
    return message(call, app_id, s[3]);
  }
  if (s[2] == "attempt") return attempts(call, app_id);
  if (s[2] == "stream" && s.size() == 3) return stream(call, app_id);
  return http_error(404, "not_found", "unknown path");
}

}  // namespace hookgate::api
