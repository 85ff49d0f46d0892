// The shared /api/v1 answer shapes and request readers (see api_wire.hpp).
#include "api/api_wire.hpp"

#include "schemes/request_parts.hpp"

namespace hookgate::api {

namespace json = boost::json;

net::HttpResponse json_response(int status, const json::value& value) {
  net::HttpResponse r;
  r.status = status;
  r.headers.add("Content-Type", "application/json");
  r.headers.add("Cache-Control", "no-store");  // answers may hold a secret
  r.body = json::serialize(value);
  return r;
}

net::HttpResponse no_content() {
  net::HttpResponse r;
  r.status = 204;
  return r;
}

net::HttpResponse http_error(int status, std::string_view code, std::string_view detail) {
  auto r = json_response(status, json::object{{"code", code}, {"detail", detail}});
  if (status == 503) r.headers.add("Retry-After", "1");
  if (status == 401) r.headers.add("WWW-Authenticate", "Bearer");
  return r;
}

net::HttpResponse validation_error(const std::vector<FieldError>& errors) {
  json::array detail;
  for (const auto& e : errors) {
    detail.push_back(json::object{
        {"loc", json::array(e.loc.begin(), e.loc.end())}, {"msg", e.msg}, {"type", e.type}});
  }
  return json_response(422, json::object{{"detail", std::move(detail)}});
}

net::HttpResponse invalid_field(std::string_view field, std::string_view msg,
                                std::string_view type) {
  FieldError e;
  e.loc = {"body", std::string(field)};
  e.msg = std::string(msg);
  e.type = std::string(type);
  return validation_error({e});
}

net::HttpResponse from_error(const std::string& error) {
  const auto colon = error.find(':');
  const std::string code = colon == std::string::npos ? "internal" : error.substr(0, colon);
  std::string message = colon == std::string::npos ? error : error.substr(colon + 1);
  if (!message.empty() && message.front() == ' ') message.erase(0, 1);
  if (code == "not_found") return http_error(404, code, message);
  if (code == "invalid") {
    FieldError e;
    e.loc = {"body"};
    e.msg = message;
    return validation_error({e});
  }
  if (code == "conflict") return http_error(409, code, message);
  if (code == "busy") return http_error(503, code, "the store is saturated; retry shortly");
  if (code == "store_error") return http_error(503, code, "the store is unavailable");
  return http_error(500, "internal", "internal error");
}

net::HttpResponse not_allowed(std::string_view allow) {
  auto r = http_error(405, "method_not_allowed", "allowed: " + std::string(allow));
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

std::optional<std::string> string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

std::optional<std::string> non_string_field(const json::object& o,
                                            std::initializer_list<std::string_view> keys) {
  for (const auto key : keys) {
    const auto* v = o.if_contains(key);
    if (v != nullptr && !v->is_string()) return std::string(key);
  }
  return std::nullopt;
}

Result<ListQuery> list_query(const net::HttpRequest& request) {
  ListQuery q;
  if (const auto v = schemes::url_query_param(request.target, "limit")) {
    if (v->empty() || v->size() > 4 || v->find_first_not_of("0123456789") != std::string::npos) {
      return Error{"limit must be an integer from 1 to 250"};
    }
    const auto n = std::stoul(*v);
    if (n < 1 || n > kMaxPageLimit) return Error{"limit must be an integer from 1 to 250"};
    q.limit = n;
  }
  q.iterator = schemes::url_query_param(request.target, "iterator").value_or("");
  return q;
}

net::HttpResponse list_query_error(const std::string& error) {
  FieldError e;
  e.loc = {"query", "limit"};
  e.msg = error;
  return validation_error({e});
}

json::object list_response(json::array data, std::string_view next, bool done,
                           std::string_view prev) {
  return json::object{{"data", std::move(data)},
                      {"iterator", next.empty() ? json::value(nullptr) : json::value(next)},
                      {"prevIterator", prev.empty() ? json::value(nullptr) : json::value(prev)},
                      {"done", done}};
}

}  // namespace hookgate::api
