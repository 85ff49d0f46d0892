// /api/v1: authentication, routing, JSON views (never a secret, except where a call exists to
// hand one over), and the mapping of registry errors to HTTP statuses.
#include "api/management_api.hpp"

#include <algorithm>
#include <boost/json.hpp>

#include "api/json_member.hpp"
#include "hookgate/crypto/compare.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace json = boost::json;

struct ManagementApi::Call {
  const net::HttpRequest& request;
  std::vector<std::string> segments;
  std::string scope;  // "admin" or the application id the key belongs to
  std::string& verdict;
  // Set by a publish the store took: the answer comes from its callback, not from route().
  const Answer* answer = nullptr;
  bool deferred = false;

  const std::string& method() const { return request.method; }
  std::size_t size() const { return segments.size(); }
};

namespace {

constexpr std::size_t kDefaultPage = 50;
constexpr std::size_t kMaxPageLimit = 250;

net::HttpResponse json_response(int status, const json::value& value) {
  net::HttpResponse r;
  r.status = status;
  r.headers.add("Content-Type", "application/json");
  r.headers.add("Cache-Control", "no-store");  // answers may hold a secret
  r.body = json::serialize(value);
  return r;
}

net::HttpResponse problem(int status, std::string_view code, std::string_view message) {
  auto r = json_response(status, json::object{{"code", code}, {"message", message}});
  if (status == 503) r.headers.add("Retry-After", "1");
  if (status == 401) r.headers.add("WWW-Authenticate", "Bearer");
  return r;
}

// Registry and publisher errors are "code: message".
net::HttpResponse from_error(const std::string& error) {
  const auto colon = error.find(':');
  const std::string code = colon == std::string::npos ? "internal" : error.substr(0, colon);
  std::string message = colon == std::string::npos ? error : error.substr(colon + 1);
  if (!message.empty() && message.front() == ' ') message.erase(0, 1);
  if (code == "not_found") return problem(404, code, message);
  if (code == "invalid") return problem(422, code, message);
  if (code == "conflict") return problem(409, code, message);
  if (code == "busy") return problem(503, code, "the store is saturated; retry shortly");
  if (code == "store_error") return problem(503, code, "the store is unavailable");
  return problem(500, "internal", "internal error");
}

net::HttpResponse not_allowed(std::string_view allow) {
  auto r = problem(405, "method_not_allowed", "allowed: " + std::string(allow));
  r.headers.add("Allow", std::string(allow));
  return r;
}

Result<json::object> body_object(const net::HttpRequest& request) {
  if (request.body.empty()) return json::object();
  boost::system::error_code ec;
  auto v = json::parse(request.body, ec);
  if (ec) return Error{"the body is not valid JSON"};
  if (!v.is_object()) return Error{"the body must be a JSON object"};
  return std::move(v.as_object());
}

std::size_t page_limit(const net::HttpRequest& r) {
  const auto v = schemes::url_query_param(r.target, "limit");
  if (!v || v->empty() || v->find_first_not_of("0123456789") != std::string::npos) {
    return kDefaultPage;
  }
  if (v->size() > 4) return kMaxPageLimit;
  return std::clamp<std::size_t>(std::stoul(*v), 1, kMaxPageLimit);
}

std::string cursor(const net::HttpRequest& r) {
  return schemes::url_query_param(r.target, "cursor").value_or("");
}

json::value page_next(const std::string& next) {
  return next.empty() ? json::value(nullptr) : json::value(next);
}

json::object app_view(const outbound::App& a) {
  return {{"id", a.id}, {"name", a.name}, {"created_ms", a.created_ms}};
}

json::object endpoint_view(const outbound::Endpoint& e, std::int64_t now_ms) {
  json::object headers;
  for (const auto& [k, v] : e.headers)
    headers[k] = v;
  const auto live = e.live_keys(now_ms);
  json::object view{{"id", e.id},
                    {"app_id", e.app_id},
                    {"url", e.url},
                    {"description", e.description},
                    {"event_types", json::array(e.event_types.begin(), e.event_types.end())},
                    {"enabled", e.enabled},
                    {"rate_limit", e.rate_limit},
                    {"rate_burst", e.rate_burst},
                    {"headers", headers},
                    {"signing", e.ed25519 ? "ed25519" : "hmac"},
                    {"verification", outbound::to_string(e.verification)},
                    {"verified", e.verified},
                    {"encrypted", !e.encryption_key.empty()},
                    {"signing_keys", static_cast<std::int64_t>(live.size())},
                    {"created_ms", e.created_ms},
                    {"updated_ms", e.updated_ms}};
  if (!e.disabled_reason.empty()) view["disabled_reason"] = e.disabled_reason;
  if (!e.verification_error.empty()) view["verification_error"] = e.verification_error;
  if (e.failing_since_ms != 0) view["failing_since_ms"] = e.failing_since_ms;
  if (!e.encryption_key.empty()) view["encryption_key"] = e.encryption_key;
  if (e.ed25519 && !live.empty()) view["public_key"] = live.front().public_key;
  return view;
}

// Strict input: unknown fields and wrong types are refused, so a typo is not silently ignored.
Result<outbound::EndpointInput> endpoint_input(const json::object& o) {
  outbound::EndpointInput in;
  for (const auto& member : o) {
    const std::string key(member.key());
    const json::value& v = member.value();
    const auto want_string = [&](std::optional<std::string>& field) -> Result<bool> {
      if (!v.is_string()) return Error{"invalid: " + key + " must be a string"};
      field = std::string(v.as_string());
      return true;
    };
    Result<bool> ok = true;
    if (key == "url") {
      ok = want_string(in.url);
    } else if (key == "description") {
      ok = want_string(in.description);
    } else if (key == "secret") {
      ok = want_string(in.secret);
    } else if (key == "signing") {
      ok = want_string(in.signing);
    } else if (key == "verification") {
      ok = want_string(in.verification);
    } else if (key == "encryption_key") {
      if (v.is_null()) {
        in.encryption_key = "";
      } else {
        ok = want_string(in.encryption_key);
      }
    } else if (key == "enabled") {
      if (!v.is_bool()) return Error{"invalid: enabled must be true or false"};
      in.enabled = v.as_bool();
    } else if (key == "rate_limit") {
      if (!v.is_number()) return Error{"invalid: rate_limit must be a number"};
      in.rate_limit = v.to_number<double>();
    } else if (key == "rate_burst") {
      if (!v.is_int64()) return Error{"invalid: rate_burst must be an integer"};
      in.rate_burst = v.as_int64();
    } else if (key == "event_types") {
      if (!v.is_array()) return Error{"invalid: event_types must be a list of strings"};
      std::vector<std::string> types;
      for (const auto& t : v.as_array()) {
        if (!t.is_string()) return Error{"invalid: event_types must be a list of strings"};
        types.emplace_back(t.as_string());
      }
      in.event_types = std::move(types);
    } else if (key == "headers") {
      if (!v.is_object()) return Error{"invalid: headers must be an object of strings"};
      std::map<std::string, std::string> headers;
      for (const auto& [hk, hv] : v.as_object()) {
        if (!hv.is_string()) return Error{"invalid: headers must be an object of strings"};
        headers.emplace(std::string(hk), std::string(hv.as_string()));
      }
      in.headers = std::move(headers);
    } else {
      return Error{"invalid: unknown field " + key};
    }
    if (!ok) return Error{ok.error()};
  }
  return in;
}

std::optional<std::string> string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

// A member that must be a string when present: a number where a key or id belongs must not
// silently mean "none" (a retried publish would fan out twice, a resend would go everywhere).
std::optional<std::string> wrong_type(const json::object& o,
                                      std::initializer_list<std::string_view> keys) {
  for (const auto key : keys) {
    const auto* v = o.if_contains(key);
    if (v != nullptr && !v->is_string()) return std::string(key) + " must be a string";
  }
  return std::nullopt;
}

// The secret/rotate answers: an HMAC endpoint's shared secret, or an Ed25519 endpoint's public
// key under its own name, so no client mistakes it for (or expects) a private key.
json::object receiver_key_answer(const std::string& key) {
  if (key.starts_with("whpk_")) return json::object{{"public_key", key}, {"signing", "ed25519"}};
  return json::object{{"secret", key}, {"signing", "hmac"}};
}

}  // namespace

ManagementApi::ManagementApi(const config::Config& config, store::Store& store,
                             outbound::Registry& registry, outbound::Publisher& publisher,
                             outbound::Verifier& verifier, std::function<void()> on_published,
                             std::function<std::int64_t()> now_ms)
    : config_(config),
      store_(store),
      registry_(registry),
      publisher_(publisher),
      verifier_(verifier),
      on_published_(std::move(on_published)),
      now_ms_(std::move(now_ms)) {}

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
  const auto auth = request.headers.get("Authorization");
  if (!auth || !auth->starts_with("Bearer ") || auth->size() > 256) {
    verdict = "unauthorized";
    return problem(401, "unauthorized", "an API key is required (Authorization: Bearer ...)");
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
      return problem(401, "unauthorized", "unknown API key");
    }
    call.scope = (*found)->scope;
  }
  try {
    auto response = route(call);
    if (verdict.empty()) verdict = response.status < 400 ? "ok" : "refused";
    return response;
  } catch (const std::exception&) {
    verdict = "internal_error";
    return problem(500, "internal", "internal error");
  }
}

net::HttpResponse ManagementApi::route(Call& call) {
  const auto& s = call.segments;
  const bool admin = call.scope == "admin";
  if (s.empty() || s.front().empty()) return problem(404, "not_found", "unknown path");
  if (s.front() == "api-key") {
    if (!admin) return problem(403, "forbidden", "API keys are managed with an admin key");
    return api_keys(call);
  }
  if (s.front() != "app") return problem(404, "not_found", "unknown path");
  if (s.size() == 1) {
    if (!admin) return problem(403, "forbidden", "listing and creating applications needs admin");
    return apps(call);
  }
  const std::string& app_id = s[1];
  if (!admin && call.scope != app_id) {
    return problem(403, "forbidden", "this key belongs to another application");
  }
  if (s.size() == 2) return app(call, app_id);
  if (s[2] == "endpoint") {
    if (s.size() == 3) return endpoints(call, app_id);
    return endpoint(call, app_id, s[3]);
  }
  if (s[2] == "msg") {
    if (s.size() == 3) return messages(call, app_id);
    return message(call, app_id, s[3]);
  }
  return problem(404, "not_found", "unknown path");
}

net::HttpResponse ManagementApi::apps(Call& call) {
  if (call.method() == "GET") {
    auto page = registry_.apps(cursor(call.request), page_limit(call.request));
    if (!page) return from_error(page.error());
    json::array data;
    for (const auto& a : page->items)
      data.push_back(app_view(a));
    return json_response(200, json::object{{"data", data}, {"next_cursor", page_next(page->next)}});
  }
  if (call.method() == "POST") {
    auto body = body_object(call.request);
    if (!body) return problem(400, "bad_request", body.error());
    const auto name = string_field(*body, "name");
    if (!name) return problem(422, "invalid", "name (a string) is required");
    auto created = registry_.create_app(*name);
    if (!created) return from_error(created.error());
    return json_response(201, app_view(*created));
  }
  return not_allowed("GET, POST");
}

net::HttpResponse ManagementApi::app(Call& call, const std::string& app_id) {
  if (call.method() == "GET") {
    auto a = registry_.app(app_id);
    if (!a) return from_error(a.error());
    return json_response(200, app_view(*a));
  }
  if (call.method() == "DELETE") {
    if (call.scope != "admin") return problem(403, "forbidden", "deleting needs an admin key");
    auto d = registry_.delete_app(app_id);
    if (!d) return from_error(d.error());
    net::HttpResponse r;
    r.status = 204;
    return r;
  }
  return not_allowed("GET, DELETE");
}

net::HttpResponse ManagementApi::endpoints(Call& call, const std::string& app_id) {
  if (call.method() == "GET") {
    auto page = registry_.endpoints(app_id, cursor(call.request), page_limit(call.request));
    if (!page) return from_error(page.error());
    json::array data;
    for (const auto& e : page->items)
      data.push_back(endpoint_view(e, now_ms_()));
    return json_response(200, json::object{{"data", data}, {"next_cursor", page_next(page->next)}});
  }
  if (call.method() != "POST") return not_allowed("GET, POST");
  auto body = body_object(call.request);
  if (!body) return problem(400, "bad_request", body.error());
  auto input = endpoint_input(*body);
  if (!input) return from_error(input.error());
  auto created = registry_.create_endpoint(app_id, *input);
  if (!created) return from_error(created.error());
  outbound::Endpoint endpoint = created->endpoint;
  json::object verification{{"state", "not_needed"}};
  if (endpoint.verification != outbound::Verification::none) {
    // Verified before any event is sent; a failure leaves the endpoint unverified (it receives
    // nothing) and can be retried with the verify call.
    auto result = verifier_.verify(app_id, endpoint.id);
    if (result) {
      verification = json::object{{"state", result->verified ? "verified" : "failed"}};
      if (!result->reason.empty()) verification["reason"] = result->reason;
      if (auto fresh = registry_.endpoint(app_id, endpoint.id)) endpoint = *fresh;
    } else {
      verification =
          json::object{{"state", "failed"},
                       {"reason", "verification could not run; retry with POST .../verify"}};
    }
  }
  auto view = endpoint_view(endpoint, now_ms_());
  // The trusted channel: the creator gets the HMAC secret once, here. An Ed25519 endpoint's
  // view already carries its public key; the private key never leaves Hookgate.
  if (!endpoint.ed25519) view["secret"] = created->receiver_key;
  view["verification_result"] = verification;
  auto r = json_response(201, view);
  r.headers.add("Location", std::string(kApiPrefix) + "app/" + app_id + "/endpoint/" + endpoint.id);
  return r;
}

net::HttpResponse ManagementApi::endpoint(Call& call, const std::string& app_id,
                                          const std::string& id) {
  const auto& s = call.segments;
  if (s.size() == 4) {
    if (call.method() == "GET") {
      auto e = registry_.endpoint(app_id, id);
      if (!e) return from_error(e.error());
      return json_response(200, endpoint_view(*e, now_ms_()));
    }
    if (call.method() == "PATCH") {
      auto body = body_object(call.request);
      if (!body) return problem(400, "bad_request", body.error());
      auto input = endpoint_input(*body);
      if (!input) return from_error(input.error());
      auto e = registry_.update_endpoint(app_id, id, *input);
      if (!e) return from_error(e.error());
      return json_response(200, endpoint_view(*e, now_ms_()));
    }
    if (call.method() == "DELETE") {
      auto d = registry_.delete_endpoint(app_id, id);
      if (!d) return from_error(d.error());
      net::HttpResponse r;
      r.status = 204;
      return r;
    }
    return not_allowed("GET, PATCH, DELETE");
  }
  const std::string& action = s[4];
  if (s.size() == 5 && action == "verify") {
    if (call.method() != "POST") return not_allowed("POST");
    auto result = verifier_.verify(app_id, id);
    if (!result) return from_error(result.error());
    json::object out{{"verified", result->verified}};
    if (!result->reason.empty()) out["reason"] = result->reason;
    return json_response(200, out);
  }
  if (s.size() == 5 && action == "secret") {
    if (call.method() != "GET") return not_allowed("GET");
    auto secret = registry_.reveal_secret(app_id, id);
    if (!secret) return from_error(secret.error());
    return json_response(200, receiver_key_answer(*secret));
  }
  if (s.size() == 6 && action == "secret" && s[5] == "rotate") {
    if (call.method() != "POST") return not_allowed("POST");
    auto body = body_object(call.request);
    if (!body) return problem(400, "bad_request", body.error());
    if (auto problem_text = wrong_type(*body, {"secret"})) {
      return problem(422, "invalid", *problem_text);
    }
    std::optional<std::chrono::seconds> grace;
    if (const auto* g = body->if_contains("grace_seconds")) {
      if (!g->is_int64()) return problem(422, "invalid", "grace_seconds must be an integer");
      grace = std::chrono::seconds(g->as_int64());
    }
    auto secret = registry_.rotate_secret(app_id, id, string_field(*body, "secret"), grace);
    if (!secret) return from_error(secret.error());
    return json_response(200, receiver_key_answer(*secret));
  }
  if (s.size() == 5 && action == "public-key") {
    if (call.method() != "GET") return not_allowed("GET");
    auto e = registry_.endpoint(app_id, id);
    if (!e) return from_error(e.error());
    if (!e->ed25519) return problem(404, "not_found", "this endpoint signs with HMAC (v1)");
    const auto live = e->live_keys(now_ms_());
    if (live.empty()) return problem(404, "not_found", "this endpoint has no live key");
    json::array keys;
    for (const auto& k : live)
      keys.push_back(json::value(k.public_key));
    return json_response(
        200, json::object{{"public_key", live.front().public_key}, {"public_keys", keys}});
  }
  if (s.size() == 5 && action == "recover") {
    if (call.method() != "POST") return not_allowed("POST");
    auto body = body_object(call.request);
    if (!body) return problem(400, "bad_request", body.error());
    const auto* since = body->if_contains("since_ms");
    if (since == nullptr || !since->is_int64()) {
      return problem(422, "invalid", "since_ms (unix milliseconds) is required");
    }
    if (auto e = registry_.endpoint(app_id, id); !e) return from_error(e.error());
    store::Requeue which;
    which.destination = outbound::endpoint_destination(id);
    which.since_ms = since->as_int64();
    auto moved = store_.requeue(which, now_ms_());
    if (!moved) return from_error("store_error: " + moved.error());
    if (on_published_) on_published_();
    return json_response(202, json::object{{"requeued", *moved}});
  }
  return problem(404, "not_found", "unknown path");
}

net::HttpResponse ManagementApi::messages(Call& call, const std::string& app_id) {
  if (call.method() == "GET") {
    if (auto a = registry_.app(app_id); !a) return from_error(a.error());
    std::int64_t after = 0;
    const auto c = cursor(call.request);
    if (!c.empty()) {
      const auto seq = outbound::message_seq(c);
      if (!seq) return problem(422, "invalid", "cursor is a message id");
      after = *seq;
    }
    const auto limit = std::min<std::size_t>(page_limit(call.request), 250);
    auto events = store_.events_after(outbound::app_source(app_id), after, limit + 1);
    if (!events) return from_error("store_error: " + events.error());
    json::array data;
    for (std::size_t i = 0; i < events->size() && i < limit; ++i) {
      const auto& e = (*events)[i];
      data.push_back(json::object{{"id", outbound::message_id(e.seq)},
                                  {"event_type", e.event_type},
                                  {"received_ms", e.received_ms}});
    }
    const std::string next =
        events->size() > limit ? outbound::message_id((*events)[limit - 1].seq) : "";
    return json_response(200, json::object{{"data", data}, {"next_cursor", page_next(next)}});
  }
  if (call.method() != "POST") return not_allowed("GET, POST");
  return publish(call, app_id);
}

net::HttpResponse ManagementApi::publish(Call& call, const std::string& app_id) {
  const auto& raw = call.request.body;
  auto body = body_object(call.request);
  if (!body) return problem(400, "bad_request", body.error());
  for (const auto& [k, v] : *body) {
    if (k != "event_type" && k != "payload" && k != "idempotency_key") {
      return problem(422, "invalid", "unknown field " + std::string(k));
    }
  }
  if (auto problem_text = wrong_type(*body, {"event_type", "idempotency_key"})) {
    return problem(422, "invalid", *problem_text);
  }
  outbound::Message m;
  m.app_id = app_id;
  m.event_type = string_field(*body, "event_type").value_or("");
  if (m.event_type.empty()) return problem(422, "invalid", "event_type (a string) is required");
  // The payload's own bytes, as sent: what receivers verify is exactly what was published.
  const auto payload = json_member(raw, "payload");
  if (!payload) return problem(422, "invalid", "payload (any JSON value) is required");
  m.payload = std::string(*payload);
  m.idempotency_key =
      string_field(*body, "idempotency_key")
          .value_or(std::string(call.request.headers.get("Idempotency-Key").value_or("")));
  // Refusals before the append are answered on this thread, the outcome of the append from the
  // store's writer (the callback runs where the publisher calls it, exactly once).
  auto answered = [this, answer = *call.answer,
                   event_type = m.event_type](Result<outbound::Published> published) {
    net::HttpResponse response;
    std::string verdict = "ok";
    try {
      if (!published) {
        response = from_error(published.error());
        verdict = response.status == 503 ? "busy" : "refused";
      } else {
        if (!published->duplicate && on_published_) on_published_();
        json::array endpoints(published->endpoints.begin(), published->endpoints.end());
        response = json_response(202, json::object{{"id", published->id},
                                                   {"event_type", event_type},
                                                   {"duplicate", published->duplicate},
                                                   {"endpoints", endpoints}});
      }
    } catch (const std::exception&) {
      // Out of memory building the answer: a stored message is found again by the client's
      // retry with its idempotency key.
      response = net::HttpResponse{};
      response.status = 500;
      verdict = "internal_error";
    }
    answer(std::move(response), std::move(verdict));
  };
  publisher_.publish_async(m, std::move(answered));
  call.deferred = true;
  return {};
}

net::HttpResponse ManagementApi::message(Call& call, const std::string& app_id,
                                         const std::string& id) {
  const auto seq = outbound::message_seq(id);
  if (!seq) return problem(404, "not_found", "no message " + id);
  auto event = store_.event(*seq);
  if (!event) return from_error("store_error: " + event.error());
  if (!event->has_value() || (*event)->source != outbound::app_source(app_id)) {
    return problem(404, "not_found", "no message " + id);
  }
  const auto& e = **event;
  auto deliveries = store_.deliveries(e.seq);
  if (!deliveries) return from_error("store_error: " + deliveries.error());
  const auto& s = call.segments;
  if (s.size() == 4) {
    if (call.method() != "GET") return not_allowed("GET");
    json::array list;
    for (const auto& d : *deliveries) {
      list.push_back(json::object{
          {"endpoint_id", outbound::destination_endpoint(d.destination).value_or(d.destination)},
          {"state", d.state},
          {"attempts", d.attempts},
          {"next_attempt_ms",
           d.state == "pending" ? json::value(d.due_ms) : json::value(nullptr)}});
    }
    json::object out{{"id", id},
                     {"event_type", e.event_type},
                     {"received_ms", e.received_ms},
                     {"deliveries", list}};
    boost::system::error_code ec;
    auto payload = json::parse(e.body, ec);
    if (!ec) {
      out["payload"] = std::move(payload);
    } else {
      out["payload_base64"] = crypto::base64_encode(e.body);
    }
    return json_response(200, out);
  }
  if (s.size() == 5 && s[4] == "attempts") {
    if (call.method() != "GET") return not_allowed("GET");
    json::array list;
    for (const auto& d : *deliveries) {
      auto attempts = store_.attempts(d.id);
      if (!attempts) return from_error("store_error: " + attempts.error());
      for (const auto& a : *attempts) {
        list.push_back(json::object{
            {"endpoint_id", outbound::destination_endpoint(d.destination).value_or(d.destination)},
            {"attempt", a.number},
            {"started_ms", a.started_ms},
            {"duration_ms", a.duration_ms},
            {"status", a.status},
            {"error", a.error},
            {"response", a.response}});
      }
    }
    return json_response(200, json::object{{"data", list}});
  }
  if (s.size() == 5 && s[4] == "resend") {
    if (call.method() != "POST") return not_allowed("POST");
    auto body = body_object(call.request);
    if (!body) return problem(400, "bad_request", body.error());
    if (auto problem_text = wrong_type(*body, {"endpoint_id"})) {
      return problem(422, "invalid", *problem_text);
    }
    store::Requeue which;
    which.event_seq = e.seq;
    which.include_delivered = true;
    if (const auto endpoint_id = string_field(*body, "endpoint_id")) {
      if (auto ep = registry_.endpoint(app_id, *endpoint_id); !ep) return from_error(ep.error());
      which.destination = outbound::endpoint_destination(*endpoint_id);
    }
    auto moved = store_.requeue(which, now_ms_());
    if (!moved) return from_error("store_error: " + moved.error());
    if (on_published_) on_published_();
    return json_response(202, json::object{{"requeued", *moved}});
  }
  return problem(404, "not_found", "unknown path");
}

net::HttpResponse ManagementApi::api_keys(Call& call) {
  const auto& s = call.segments;
  if (s.size() == 1) {
    if (call.method() == "GET") {
      auto page = registry_.api_keys(cursor(call.request), page_limit(call.request));
      if (!page) return from_error(page.error());
      json::array data;
      for (const auto& k : page->items) {
        data.push_back(json::object{{"id", k.hash},
                                    {"prefix", k.prefix},
                                    {"name", k.name},
                                    {"scope", k.scope},
                                    {"created_ms", k.created_ms}});
      }
      return json_response(200,
                           json::object{{"data", data}, {"next_cursor", page_next(page->next)}});
    }
    if (call.method() == "POST") {
      auto body = body_object(call.request);
      if (!body) return problem(400, "bad_request", body.error());
      if (auto problem_text = wrong_type(*body, {"name", "scope"})) {
        return problem(422, "invalid", *problem_text);
      }
      const auto scope = string_field(*body, "scope");
      if (!scope)
        return problem(422, "invalid", "scope (\"admin\" or an application id) is required");
      auto created = registry_.create_api_key(string_field(*body, "name").value_or(""), *scope);
      if (!created) return from_error(created.error());
      return json_response(201, json::object{{"id", created->key.hash},
                                             {"key", created->plaintext},
                                             {"prefix", created->key.prefix},
                                             {"name", created->key.name},
                                             {"scope", created->key.scope}});
    }
    return not_allowed("GET, POST");
  }
  if (s.size() == 2) {
    if (call.method() != "DELETE") return not_allowed("DELETE");
    auto d = registry_.delete_api_key(s[1]);
    if (!d) return from_error(d.error());
    net::HttpResponse r;
    r.status = 204;
    return r;
  }
  return problem(404, "not_found", "unknown path");
}

}  // namespace hookgate::api
