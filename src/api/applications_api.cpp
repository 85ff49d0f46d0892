// /api/v1/app and /api/v1/app/{app}: the applications (tenants) of the outbound side.
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

json::object app_view(const outbound::App& a) {
  return {{"id", a.id}, {"name", a.name}, {"created_ms", a.created_ms}};
}

}  // namespace

net::HttpResponse ManagementApi::apps(Call& call) {
  if (call.method() == "GET") {
    auto q = list_query(call.request);
    if (!q) return list_query_error(q.error());
    auto page = registry_.apps(q->iterator, q->limit);
    if (!page) return from_error(page.error());
    json::array data;
    for (const auto& a : page->items)
      data.push_back(app_view(a));
    return json_response(200, list_response(std::move(data), page->next, page->next.empty()));
  }
  if (call.method() == "POST") {
    auto body = body_object(call.request);
    if (!body) return http_error(400, "bad_request", body.error());
    const auto name = string_field(*body, "name");
    if (!name) return invalid_field("name", "a string is required", "value_error.missing");
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
    if (call.scope != "admin") return http_error(403, "forbidden", "deleting needs an admin key");
    auto d = registry_.delete_app(app_id);
    if (!d) return from_error(d.error());
    net::HttpResponse r;
    r.status = 204;
    return r;
  }
  return not_allowed("GET, DELETE");
}

}  // namespace hookgate::api
