// /api/v1/app/{app}/endpoint: endpoints, their verification, secrets and recovery.
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

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

// The secret/rotate answers: an HMAC endpoint's shared secret, or an Ed25519 endpoint's public
// key under its own name, so no client mistakes it for (or expects) a private key.
json::object receiver_key_answer(const std::string& key) {
  if (key.starts_with("whpk_")) return json::object{{"public_key", key}, {"signing", "ed25519"}};
  return json::object{{"secret", key}, {"signing", "hmac"}};
}

}  // namespace

net::HttpResponse ManagementApi::endpoints(Call& call, const std::string& app_id) {
  if (call.method() == "GET") {
    auto q = list_query(call.request);
    if (!q) return list_query_error(q.error());
    auto page = registry_.endpoints(app_id, q->iterator, q->limit);
    if (!page) return from_error(page.error());
    json::array data;
    for (const auto& e : page->items)
      data.push_back(endpoint_view(e, now_ms_()));
    return json_response(200, list_response(std::move(data), page->next, page->next.empty()));
  }
  if (call.method() != "POST") return not_allowed("GET, POST");
  auto body = body_object(call.request);
  if (!body) return http_error(400, "bad_request", body.error());
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
      if (!body) return http_error(400, "bad_request", body.error());
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
    if (!body) return http_error(400, "bad_request", body.error());
    if (auto field = non_string_field(*body, {"secret"})) {
      return invalid_field(*field, "must be a string", "type_error.str");
    }
    std::optional<std::chrono::seconds> grace;
    if (const auto* g = body->if_contains("grace_seconds")) {
      if (!g->is_int64())
        return invalid_field("grace_seconds", "must be an integer", "type_error.integer");
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
    if (!e->ed25519) return http_error(404, "not_found", "this endpoint signs with HMAC (v1)");
    const auto live = e->live_keys(now_ms_());
    if (live.empty()) return http_error(404, "not_found", "this endpoint has no live key");
    json::array keys;
    for (const auto& k : live)
      keys.push_back(json::value(k.public_key));
    return json_response(
        200, json::object{{"public_key", live.front().public_key}, {"public_keys", keys}});
  }
  if (s.size() == 5 && action == "recover") {
    if (call.method() != "POST") return not_allowed("POST");
    auto body = body_object(call.request);
    if (!body) return http_error(400, "bad_request", body.error());
    const auto* since = body->if_contains("since_ms");
    if (since == nullptr || !since->is_int64()) {
      return invalid_field("since_ms", "unix milliseconds are required", "value_error.missing");
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
  return http_error(404, "not_found", "unknown path");
}

}  // namespace hookgate::api
