// /api/v1/app/{app_id}/endpoint: endpoints in Svix's shapes (EndpointIn / EndpointPatch /
// EndpointUpsertIn / EndpointOut, with Hookgate's additions as extra members), their secrets
// (get, rotate), headers and verification (recovery, stats and an endpoint's messages are in
// endpoint_deliveries_api.cpp). {endpoint_id} is an id or a uid.
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/body_reader.hpp"
#include "api/iso8601.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

json::value nullable(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

json::value nullable(const std::vector<std::string>& list) {
  return list.empty() ? json::value(nullptr) : json::value(json::array(list.begin(), list.end()));
}

json::object endpoint_view(const outbound::Endpoint& e, std::int64_t now_ms) {
  json::object metadata;
  for (const auto& [k, v] : e.metadata)
    metadata[k] = v;
  const auto live = e.live_keys(now_ms);
  const json::value rate = e.rate_limit > 0 ? json::value(e.rate_limit) : json::value(nullptr);
  json::object view{{"id", e.id},
                    {"uid", nullable(e.uid)},
                    {"url", e.url},
                    {"description", e.description},
                    {"version", 1},  // 1.x clients read it; Svix deprecated it
                    {"disabled", !e.enabled},
                    {"eventTypes", nullable(e.event_types)},
                    {"filterTypes", nullable(e.event_types)},  // the 1.x name
                    {"channels", nullable(e.channels)},
                    {"throttleRate", rate},
                    {"rateLimit", rate},  // the 1.x name
                    {"metadata", std::move(metadata)},
                    {"createdAt", iso8601(e.created_ms)},
                    {"updatedAt", iso8601(e.updated_ms)},
                    // Hookgate's additions.
                    {"appId", e.app_id},
                    {"rateBurst", e.rate_burst},
                    {"signing", e.ed25519 ? "ed25519" : "hmac"},
                    {"verification", outbound::to_string(e.verification)},
                    {"verified", e.verified},
                    {"encrypted", !e.encryption_key.empty()},
                    {"signingKeys", static_cast<std::int64_t>(live.size())}};
  if (!e.disabled_reason.empty()) view["disabledReason"] = e.disabled_reason;
  if (!e.verification_error.empty()) view["verificationError"] = e.verification_error;
  if (e.failing_since_ms != 0) view["failingSince"] = iso8601(e.failing_since_ms);
  if (!e.encryption_key.empty()) view["encryptionKey"] = e.encryption_key;
  if (e.ed25519 && !live.empty()) view["publicKey"] = live.front().public_key;
  return view;
}

enum class Shape { create, upsert, patch };

// EndpointIn (create), EndpointUpsertIn (PUT) and EndpointPatch, with the 1.x names
// (filterTypes, rateLimit, version) and Hookgate's members (signing, verification,
// encryptionKey, rateBurst). Unknown members are refused. For create and PUT, null means the
// default; for PATCH it clears the member.
std::optional<outbound::EndpointInput> endpoint_input(BodyReader& body, Shape shape) {
  if (shape == Shape::create) {
    body.only({"url", "description", "uid", "version", "disabled", "eventTypes", "filterTypes",
               "channels", "throttleRate", "rateLimit", "secret", "metadata", "headers", "signing",
               "verification", "encryptionKey", "rateBurst"});
  } else {
    body.only({"url", "description", "uid", "version", "disabled", "eventTypes", "filterTypes",
               "channels", "throttleRate", "rateLimit", "metadata", "headers", "verification",
               "encryptionKey", "rateBurst"});
  }
  outbound::EndpointInput in;
  in.url = body.string("url");
  if (!in.url && shape != Shape::patch) body.missing("url");
  in.description = body.string("description");
  if (auto uid = body.nullable_string("uid")) in.uid = uid->value_or("");
  // Svix deprecated version (always 1): accepted from 1.x clients, it changes nothing.
  if (auto version = body.integer("version"); version && *version < 1) {
    body.fail("version", "ensure this value is greater than or equal to 1",
              "value_error.number.not_ge");
  }
  if (auto disabled = body.boolean("disabled")) in.enabled = !*disabled;
  if (auto types = body.nullable_strings(body.either("eventTypes", "filterTypes"))) {
    in.event_types = types->value_or(std::vector<std::string>{});
  }
  if (auto channels = body.nullable_strings("channels")) {
    in.channels = channels->value_or(std::vector<std::string>{});
  }
  if (auto rate = body.nullable_number(body.either("throttleRate", "rateLimit"))) {
    in.rate_limit = rate->value_or(0);
  }
  if (auto secret = body.nullable_string("secret"); secret && *secret) in.secret = **secret;
  in.metadata = body.string_map("metadata");
  if (auto headers = body.nullable_string_map("headers")) {
    in.headers = headers->value_or(std::map<std::string, std::string>{});
  }
  in.signing = body.string("signing");
  in.verification = body.string("verification");
  if (auto key = body.nullable_string("encryptionKey")) in.encryption_key = key->value_or("");
  in.rate_burst = body.integer("rateBurst");
  if (!body.ok()) return std::nullopt;
  if (shape == Shape::upsert) {
    // A replacement: Svix's members left out go back to their defaults.
    if (!in.description) in.description = "";
    if (!in.enabled) in.enabled = true;
    if (!in.event_types) in.event_types = std::vector<std::string>{};
    if (!in.channels) in.channels = std::vector<std::string>{};
    if (!in.rate_limit) in.rate_limit = 0;
    if (!in.metadata) in.metadata = outbound::Metadata{};
  }
  return in;
}

// Header names whose values the headers call does not show (credentials a receiver checks).
bool sensitive_header(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), ::tolower);
  for (const std::string_view part : {"auth", "token", "secret", "key", "password", "cookie"}) {
    if (name.find(part) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

net::HttpResponse ManagementApi::endpoints(Call& call, const std::string& app_id) {
  if (call.method() == "GET") {
    auto q = list_query(call.request);
    if (!q) return list_query_error(q.error());
    auto page = registry_.endpoints(app_id, q->iterator, q->limit);
    if (!page) return registry_refusal(page.error());
    json::array data;
    for (const auto& e : page->items)
      data.push_back(endpoint_view(e, now_ms_()));
    return json_response(200, list_response(std::move(data), page->next, page->next.empty()));
  }
  if (call.method() != "POST") return not_allowed("GET, POST");
  auto body = body_object(call.request);
  if (!body) return http_error(400, "bad_request", body.error());
  BodyReader reader(*body);
  auto input = endpoint_input(reader, Shape::create);
  if (!input) return reader.error();
  auto created = registry_.create_endpoint(app_id, *input);
  if (!created) return registry_refusal(created.error());
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
  // The trusted channel: the creator gets the HMAC secret here too (Svix clients read it with
  // getSecret). An Ed25519 endpoint's view carries its public key; the private key never leaves
  // Hookgate.
  if (!endpoint.ed25519) view["secret"] = created->receiver_key;
  view["verificationResult"] = verification;
  auto r = json_response(201, view);
  r.headers.add("Location", std::string(kApiPrefix) + "app/" + app_id + "/endpoint/" + endpoint.id);
  return r;
}

// PUT /endpoint/{id_or_uid} of an endpoint that does not exist: created, with the path as its
// uid unless the body names one.
net::HttpResponse ManagementApi::upsert_endpoint(Call& call, const std::string& app_id,
                                                 const std::string& id_or_uid) {
  auto body = body_object(call.request);
  if (!body) return http_error(400, "bad_request", body.error());
  BodyReader reader(*body);
  auto input = endpoint_input(reader, Shape::upsert);
  if (!input) return reader.error();
  auto existing = registry_.endpoint_id_of(app_id, id_or_uid);
  if (!existing) return registry_refusal(existing.error());
  if (*existing) {
    auto e = registry_.update_endpoint(app_id, **existing, *input);
    if (!e) return registry_refusal(e.error());
    return json_response(200, endpoint_view(*e, now_ms_()));
  }
  if (id_or_uid.starts_with("ep_")) return http_error(404, "not_found", "no endpoint " + id_or_uid);
  if (!input->uid || input->uid->empty()) input->uid = id_or_uid;
  auto created = registry_.create_endpoint(app_id, *input);
  if (!created) return registry_refusal(created.error());
  return json_response(201, endpoint_view(created->endpoint, now_ms_()));
}

net::HttpResponse ManagementApi::endpoint(Call& call, const std::string& app_id,
                                          const std::string& given) {
  const auto& s = call.segments;
  if (s.size() == 4 && call.method() == "PUT") return upsert_endpoint(call, app_id, given);
  auto resolved = registry_.endpoint_id_of(app_id, given);
  if (!resolved) return registry_refusal(resolved.error());
  if (!*resolved) return http_error(404, "not_found", "no endpoint " + given);
  const std::string& id = **resolved;
  if (s.size() == 4) {
    if (call.method() == "GET") {
      auto e = registry_.endpoint(app_id, id);
      if (!e) return registry_refusal(e.error());
      return json_response(200, endpoint_view(*e, now_ms_()));
    }
    if (call.method() == "PATCH") {
      auto body = body_object(call.request);
      if (!body) return http_error(400, "bad_request", body.error());
      BodyReader reader(*body);
      auto input = endpoint_input(reader, Shape::patch);
      if (!input) return reader.error();
      auto e = registry_.update_endpoint(app_id, id, *input);
      if (!e) return registry_refusal(e.error());
      return json_response(200, endpoint_view(*e, now_ms_()));
    }
    if (call.method() == "DELETE") {
      auto d = registry_.delete_endpoint(app_id, id);
      if (!d) return registry_refusal(d.error());
      return no_content();
    }
    return not_allowed("GET, PUT, PATCH, DELETE");
  }
  const std::string& action = s[4];
  if (s.size() == 5 && action == "headers") return endpoint_headers(call, app_id, id);
  if (s.size() == 5 && action == "verify") {
    if (call.method() != "POST") return not_allowed("POST");
    auto result = verifier_.verify(app_id, id);
    if (!result) return registry_refusal(result.error());
    json::object out{{"verified", result->verified}};
    if (!result->reason.empty()) out["reason"] = result->reason;
    return json_response(200, out);
  }
  if (s.size() == 5 && action == "secret") {
    if (call.method() != "GET") return not_allowed("GET");
    auto e = registry_.endpoint(app_id, id);
    if (!e) return registry_refusal(e.error());
    auto secret = registry_.reveal_secret(app_id, id);
    if (!secret) return registry_refusal(secret.error());
    // EndpointSecretOut. For Ed25519 the key is the public key (the private one never leaves).
    return json_response(
        200, json::object{{"key", *secret}, {"signing", e->ed25519 ? "ed25519" : "hmac"}});
  }
  if (s.size() == 6 && action == "secret" && s[5] == "rotate") {
    if (call.method() != "POST") return not_allowed("POST");
    auto body = body_object(call.request);
    if (!body) return http_error(400, "bad_request", body.error());
    BodyReader reader(*body);
    reader.only({"key", "gracePeriodSeconds"});
    const auto key = reader.nullable_string("key");
    const auto grace_seconds = reader.nullable_integer("gracePeriodSeconds");
    if (!reader.ok()) return reader.error();
    std::optional<std::chrono::seconds> grace;
    if (grace_seconds && *grace_seconds) grace = std::chrono::seconds(**grace_seconds);
    std::optional<std::string> supplied;
    if (key && *key) supplied = **key;
    auto secret = registry_.rotate_secret(app_id, id, supplied, grace);
    if (!secret) return registry_refusal(secret.error(), "key");
    return no_content();
  }
  if (s.size() == 5 && action == "public-key") {
    if (call.method() != "GET") return not_allowed("GET");
    auto e = registry_.endpoint(app_id, id);
    if (!e) return registry_refusal(e.error());
    if (!e->ed25519) return http_error(404, "not_found", "this endpoint signs with HMAC (v1)");
    const auto live = e->live_keys(now_ms_());
    if (live.empty()) return http_error(404, "not_found", "this endpoint has no live key");
    json::array keys;
    for (const auto& k : live)
      keys.push_back(json::value(k.public_key));
    return json_response(
        200, json::object{{"publicKey", live.front().public_key}, {"publicKeys", keys}});
  }
  return http_error(404, "not_found", "unknown path");
}

// GET / PUT / PATCH .../headers (EndpointHeadersOut, EndpointHeadersIn, EndpointHeadersPatchIn).
net::HttpResponse ManagementApi::endpoint_headers(Call& call, const std::string& app_id,
                                                  const std::string& id) {
  if (call.method() == "GET") {
    auto e = registry_.endpoint(app_id, id);
    if (!e) return registry_refusal(e.error());
    json::object headers;
    json::array sensitive;
    for (const auto& [k, v] : e->headers) {
      if (sensitive_header(k)) {
        sensitive.push_back(json::value(k));
      } else {
        headers[k] = v;
      }
    }
    return json_response(200, json::object{{"headers", headers}, {"sensitive", sensitive}});
  }
  if (call.method() != "PUT" && call.method() != "PATCH") return not_allowed("GET, PUT, PATCH");
  auto body = body_object(call.request);
  if (!body) return http_error(400, "bad_request", body.error());
  BodyReader reader(*body);
  const bool patch = call.method() == "PATCH";
  if (patch) {
    reader.only({"headers", "deleteHeaders"});
  } else {
    reader.only({"headers"});
  }
  auto headers = reader.string_map("headers");
  if (!headers && reader.ok()) reader.missing("headers");
  const auto remove = patch ? reader.strings("deleteHeaders") : std::nullopt;
  if (!reader.ok()) return reader.error();
  auto current = registry_.endpoint(app_id, id);
  if (!current) return registry_refusal(current.error());
  outbound::EndpointInput input;
  if (patch) {
    // Names compare without case, as HTTP's do.
    const auto same = [](std::string a, std::string b) {
      std::transform(a.begin(), a.end(), a.begin(), ::tolower);
      std::transform(b.begin(), b.end(), b.begin(), ::tolower);
      return a == b;
    };
    auto merged = current->headers;
    for (const auto& header : *headers) {
      std::erase_if(merged, [&](const auto& kv) { return same(kv.first, header.first); });
      merged[header.first] = header.second;
    }
    for (const auto& name : remove.value_or(std::vector<std::string>{})) {
      std::erase_if(merged, [&](const auto& kv) { return same(kv.first, name); });
    }
    input.headers = std::move(merged);
  } else {
    input.headers = std::move(*headers);
  }
  auto e = registry_.update_endpoint(app_id, id, input);
  if (!e) return registry_refusal(e.error());
  return no_content();
}

}  // namespace hookgate::api
