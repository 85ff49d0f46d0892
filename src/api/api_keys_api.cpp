// /api/v1/api-key: API keys (admin only).
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/body_reader.hpp"
#include "api/iso8601.hpp"

namespace hookgate::api {

namespace json = boost::json;

net::HttpResponse ManagementApi::api_keys(Call& call) {
  const auto& s = call.segments;
  if (s.size() == 1) {
    if (call.method() == "GET") {
      auto q = list_query(call.request);
      if (!q) return list_query_error(q.error());
      auto page = registry_.api_keys(q->iterator, q->limit);
      if (!page) return registry_refusal(page.error());
      json::array data;
      for (const auto& k : page->items) {
        data.push_back(
            json::object{{"id", k.hash},
                         {"prefix", k.prefix},
                         {"name", k.name},
                         {"scope", k.scope},
                         {"createdAt", iso8601(k.created_ms)},
                         {"expiresAt", k.expires_ms == 0 ? json::value(nullptr)
                                                         : json::value(iso8601(k.expires_ms))}});
      }
      return json_response(200, list_response(std::move(data), page->next, page->next.empty()));
    }
    if (call.method() == "POST") {
      auto body = body_object(call.request);
      if (!body) return http_error(400, "bad_request", body.error());
      if (auto field = non_string_field(*body, {"name", "scope"})) {
        return invalid_field(*field, "must be a string", "type_error.str");
      }
      const auto scope = string_field(*body, "scope");
      if (!scope) {
        return invalid_field("scope", "required: \"admin\" or an application id or uid",
                             "value_error.missing");
      }
      // The scope may name the application by uid; the key holds its id.
      std::string scope_id = *scope;
      if (scope_id != "admin") {
        auto id = registry_.app_id_of(scope_id);
        if (!id) return registry_refusal(id.error());
        if (*id) scope_id = **id;
      }
      auto created = registry_.create_api_key(string_field(*body, "name").value_or(""), scope_id);
      if (!created) return registry_refusal(created.error());
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
    if (!d) return registry_refusal(d.error());
    net::HttpResponse r;
    r.status = 204;
    return r;
  }
  return http_error(404, "not_found", "unknown path");
}

}  // namespace hookgate::api
