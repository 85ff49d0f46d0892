// /api/v1/event-type: the global event types, in Svix's shapes (EventTypeIn / EventTypeUpsertIn /
// EventTypePatch / EventTypeOut), with their JSON schemas per version stored and served. Writes
// need an admin key; application keys read (those behind a feature flag only with the flag).
#include <boost/json.hpp>

#include "api/api_call.hpp"
#include "api/api_wire.hpp"
#include "api/body_reader.hpp"
#include "api/iso8601.hpp"
#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace json = boost::json;

namespace {

json::object event_type_view(const outbound::EventType& t, bool with_schemas) {
  json::value schemas = nullptr;
  if (with_schemas && !t.schemas.empty()) {
    boost::system::error_code ec;
    schemas = json::parse(t.schemas, ec);
    if (ec) schemas = nullptr;
  }
  const json::value flags =
      t.feature_flags.empty()
          ? json::value(nullptr)
          : json::value(json::array(t.feature_flags.begin(), t.feature_flags.end()));
  return {{"name", t.name},
          {"description", t.description},
          {"archived", t.archived},
          {"deprecated", t.deprecated},
          {"schemas", std::move(schemas)},
          {"groupName", t.group_name.empty() ? json::value(nullptr) : json::value(t.group_name)},
          {"featureFlags", flags},
          // The 1.x single flag.
          {"featureFlag",
           t.feature_flags.empty() ? json::value(nullptr) : json::value(t.feature_flags.front())},
          {"createdAt", iso8601(t.created_ms)},
          {"updatedAt", iso8601(t.updated_ms)}};
}

enum class Shape { create, upsert, patch };

// schemas: {"<version>": <JSON schema object>, ...}, at most kMaxEventTypeSchemas serialized.
std::optional<outbound::EventTypeInput> event_type_input(const json::object& o, BodyReader& body,
                                                         Shape shape) {
  if (shape == Shape::create) {
    body.only({"name", "description", "archived", "deprecated", "schemas", "groupName",
               "featureFlags", "featureFlag"});
  } else {
    body.only({"description", "archived", "deprecated", "schemas", "groupName", "featureFlags",
               "featureFlag"});
  }
  outbound::EventTypeInput in;
  in.description = body.string("description");
  if (!in.description && shape != Shape::patch) body.missing("description");
  in.archived = body.boolean("archived");
  in.deprecated = body.boolean("deprecated");
  if (const auto* schemas = o.if_contains("schemas")) {
    if (schemas->is_null()) {
      in.schemas = "";
    } else {
      bool good = schemas->is_object();
      if (good) {
        for (const auto& [version, schema] : schemas->as_object()) {
          good = good && !version.empty() && schema.is_object();
        }
      }
      if (!good) {
        body.fail("schemas", "an object of JSON schemas (objects) by version is expected",
                  "type_error.dict");
      } else {
        in.schemas = json::serialize(*schemas);
        if (in.schemas->size() > outbound::kMaxEventTypeSchemas) {
          body.fail("schemas", "at most 65536 bytes of JSON", "value_error.any_str.max_length");
        }
      }
    }
  }
  if (auto group = body.nullable_string("groupName")) in.group_name = group->value_or("");
  const auto flags_key = body.either("featureFlags", "featureFlag");
  if (flags_key == "featureFlag") {
    if (auto flag = body.nullable_string("featureFlag")) {
      in.feature_flags = *flag ? std::vector<std::string>{**flag} : std::vector<std::string>{};
    }
  } else if (auto flags = body.nullable_strings("featureFlags")) {
    in.feature_flags = flags->value_or(std::vector<std::string>{});
  }
  if (!body.ok()) return std::nullopt;
  return in;
}

// Whether the calling key may see t: admin keys see all; others those without feature flags
// or with one the key holds.
bool visible(const outbound::EventType& t, const std::string& scope,
             const std::optional<outbound::ApiKey>& key) {
  if (scope == "admin" || t.feature_flags.empty()) return true;
  if (!key) return false;
  for (const auto& f : t.feature_flags) {
    if (std::find(key->feature_flags.begin(), key->feature_flags.end(), f) !=
        key->feature_flags.end()) {
      return true;
    }
  }
  return false;
}

bool query_flag(const net::HttpRequest& request, std::string_view name) {
  return schemes::url_query_param(request.target, name).value_or("") == "true";
}

}  // namespace

net::HttpResponse ManagementApi::event_types(Call& call) {
  const auto& s = call.segments;
  const bool admin = call.scope == "admin";
  if (s.size() > 2) return http_error(404, "not_found", "unknown path");
  const bool reading = call.method() == "GET";
  if (!reading && !admin) {
    return http_error(403, "forbidden", "event types are changed with an admin key");
  }
  if (s.size() == 1) {
    if (reading) {
      auto q = list_query(call.request);
      if (!q) return list_query_error(q.error());
      auto page = registry_.event_types(q->iterator, q->limit,
                                        query_flag(call.request, "include_archived"));
      if (!page) return registry_refusal(page.error());
      const bool with_content = query_flag(call.request, "with_content");
      json::array data;
      for (const auto& t : page->items) {
        if (visible(t, call.scope, call.key)) data.push_back(event_type_view(t, with_content));
      }
      return json_response(200, list_response(std::move(data), page->next, page->next.empty()));
    }
    if (call.method() != "POST") return not_allowed("GET, POST");
    auto body = body_object(call.request);
    if (!body) return http_error(400, "bad_request", body.error());
    BodyReader reader(*body);
    const auto name = reader.string("name");
    if (!name && reader.ok()) reader.missing("name");
    auto input = event_type_input(*body, reader, Shape::create);
    if (!input) return reader.error();
    auto created = registry_.create_event_type(*name, *input);
    if (!created) return registry_refusal(created.error());
    return json_response(201, event_type_view(*created, true));
  }
  const std::string& name = s[1];
  if (reading) {
    auto t = registry_.event_type(name);
    if (!t) return registry_refusal(t.error());
    if (!visible(*t, call.scope, call.key)) {
      return http_error(404, "not_found", "no event type " + name);
    }
    return json_response(200, event_type_view(*t, true));
  }
  if (call.method() == "PUT" || call.method() == "PATCH") {
    auto body = body_object(call.request);
    if (!body) return http_error(400, "bad_request", body.error());
    const bool put = call.method() == "PUT";
    BodyReader reader(*body);
    auto input = event_type_input(*body, reader, put ? Shape::upsert : Shape::patch);
    if (!input) return reader.error();
    auto updated = registry_.update_event_type(name, *input, put, put);
    if (!updated) return registry_refusal(updated.error());
    return json_response(updated->second ? 201 : 200, event_type_view(updated->first, true));
  }
  if (call.method() == "DELETE") {
    auto d = registry_.delete_event_type(name, query_flag(call.request, "expunge"));
    if (!d) return registry_refusal(d.error());
    return no_content();
  }
  return not_allowed("GET, PUT, PATCH, DELETE");
}

}  // namespace hookgate::api
