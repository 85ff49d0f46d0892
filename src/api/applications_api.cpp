// /api/v1/app and /api/v1/app/{app_id}: the applications (tenants) of the outbound side, in
// Svix's shapes (ApplicationIn / ApplicationPatch / ApplicationOut); {app_id} is an id or a uid.
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/body_reader.hpp"
#include "api/iso8601.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

json::value nullable(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(s);
}

json::object app_view(const outbound::App& a) {
  json::object metadata;
  for (const auto& [k, v] : a.metadata)
    metadata[k] = v;
  const json::value rate = a.throttle_rate ? json::value(*a.throttle_rate) : json::value(nullptr);
  return {{"id", a.id},
          {"uid", nullable(a.uid)},
          {"name", a.name},
          {"throttleRate", rate},
          {"rateLimit", rate},  // the 1.x name
          {"metadata", std::move(metadata)},
          {"createdAt", iso8601(a.created_ms)},
          {"updatedAt", iso8601(a.updated_ms)}};
}

// ApplicationIn (create, PUT) and ApplicationPatch: the same members, all optional in a patch.
// A null uid or throttleRate removes it.
std::optional<outbound::AppInput> app_input(BodyReader& body, bool name_required) {
  body.only({"name", "uid", "throttleRate", "rateLimit", "metadata"});
  outbound::AppInput in;
  in.name = body.string("name");
  if (!in.name && name_required) body.missing("name");
  if (auto uid = body.nullable_string("uid")) in.uid = uid->value_or("");
  if (auto rate = body.nullable_number(body.either("throttleRate", "rateLimit"))) {
    in.throttle_rate = *rate;
  }
  in.metadata = body.string_map("metadata");
  if (!body.ok()) return std::nullopt;
  return in;
}

}  // namespace

net::HttpResponse ManagementApi::apps(Call& call) {
  if (call.method() == "GET") {
    auto q = list_query(call.request);
    if (!q) return list_query_error(q.error());
    auto page = registry_.apps(q->iterator, q->limit);
    if (!page) return registry_refusal(page.error());
    json::array data;
    for (const auto& a : page->items)
      data.push_back(app_view(a));
    return json_response(200, list_response(std::move(data), page->next, page->next.empty()));
  }
  if (call.method() == "POST") {
    auto body = body_object(call.request);
    if (!body) return http_error(400, "bad_request", body.error());
    BodyReader reader(*body);
    auto input = app_input(reader, true);
    if (!input) return reader.error();
    // The client's getOrCreate: the application of that uid, if there is one.
    const bool get_if_exists =
        schemes::url_query_param(call.request.target, "get_if_exists").value_or("") == "true";
    const auto existing = [&]() -> std::optional<net::HttpResponse> {
      if (!get_if_exists || !input->uid || input->uid->empty()) return std::nullopt;
      auto id = registry_.app_id_of(*input->uid);
      if (!id) return registry_refusal(id.error());
      if (!*id) return std::nullopt;
      auto a = registry_.app(**id);
      if (!a) return registry_refusal(a.error());
      return json_response(200, app_view(*a));
    };
    if (auto found = existing()) return *found;
    auto created = registry_.create_app(*input);
    // Two getOrCreate calls at once: the one that lost the uid answers with the winner's.
    if (!created && created.error().starts_with("conflict")) {
      if (auto found = existing()) return *found;
    }
    if (!created) return registry_refusal(created.error());
    auto r = json_response(201, app_view(*created));
    r.headers.add("Location", std::string(kApiPrefix) + "app/" + created->id);
    return r;
  }
  return not_allowed("GET, POST");
}

// PUT /app/{id_or_uid} of an application that does not exist: created, with the path as its
// uid unless the body names one.
net::HttpResponse ManagementApi::upsert_app(Call& call, const std::string& id_or_uid) {
  auto body = body_object(call.request);
  if (!body) return http_error(400, "bad_request", body.error());
  BodyReader reader(*body);
  auto input = app_input(reader, true);
  if (!input) return reader.error();
  if (id_or_uid.starts_with("app_"))
    return http_error(404, "not_found", "no application " + id_or_uid);
  if (!input->uid || input->uid->empty()) input->uid = id_or_uid;
  auto created = registry_.create_app(*input);
  if (!created) return registry_refusal(created.error());
  return json_response(201, app_view(*created));
}

net::HttpResponse ManagementApi::app(Call& call, const std::string& app_id) {
  const bool admin = call.scope == "admin";
  if (call.method() == "GET") {
    auto a = registry_.app(app_id);
    if (!a) return registry_refusal(a.error());
    return json_response(200, app_view(*a));
  }
  if (call.method() == "PUT" || call.method() == "PATCH") {
    if (!admin) return http_error(403, "forbidden", "changing an application needs an admin key");
    auto body = body_object(call.request);
    if (!body) return http_error(400, "bad_request", body.error());
    const bool put = call.method() == "PUT";
    BodyReader reader(*body);
    auto input = app_input(reader, put);
    if (!input) return reader.error();
    if (put) {
      // A replacement: what the body leaves out goes back to its default; the uid is kept
      // unless given (it may be how the caller named this application in the path).
      if (!input->throttle_rate) input->throttle_rate = std::optional<double>();
      if (!input->metadata) input->metadata = outbound::Metadata{};
    }
    auto a = registry_.update_app(app_id, *input);
    if (!a) return registry_refusal(a.error());
    return json_response(200, app_view(*a));
  }
  if (call.method() == "DELETE") {
    if (!admin) return http_error(403, "forbidden", "deleting needs an admin key");
    auto d = registry_.delete_app(app_id);
    if (!d) return registry_refusal(d.error());
    return no_content();
  }
  return not_allowed("GET, PUT, PATCH, DELETE");
}

}  // namespace hookgate::api
