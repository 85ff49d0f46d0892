// The wire conventions every /api/v1 resource shares, in the shapes Svix's API and client
// libraries use: JSON answers, errors ({"code", "detail"}; 422 as a list of field errors), lists
// ({"data", "iterator", "prevIterator", "done"} paged by an opaque iterator), and the readers of
// request bodies and list queries. Keeping them in one place keeps every resource consistent.
#pragma once

#include <boost/json.hpp>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/net/http_server.hpp"
#include "hookgate/result.hpp"

namespace hookgate::api {

inline constexpr std::size_t kDefaultPageLimit = 50;
inline constexpr std::size_t kMaxPageLimit = 250;

net::HttpResponse json_response(int status, const boost::json::value& value);
net::HttpResponse no_content();  // 204

// {"code": code, "detail": detail} (Svix HttpErrorOut). 401 adds WWW-Authenticate, 503
// Retry-After.
net::HttpResponse http_error(int status, std::string_view code, std::string_view detail);

// One entry of a 422 answer: where ("body", then the field path; or "query", "path") and why.
struct FieldError {
  std::vector<std::string> loc;
  std::string msg;
  std::string type = "value_error";
};
// 422 {"detail": [{"loc": [...], "msg": ..., "type": ...}]} (Svix HTTPValidationError).
net::HttpResponse validation_error(const std::vector<FieldError>& errors);
// The common case: one field of the body.
net::HttpResponse invalid_field(std::string_view field, std::string_view msg,
                                std::string_view type = "value_error");

// Registry and publisher errors are "code: message"; maps the code to the answer (not_found 404,
// invalid 422, conflict 409, busy / store_error 503, anything else 500 without detail).
net::HttpResponse from_error(const std::string& error);

net::HttpResponse not_allowed(std::string_view allow);

// The request body as a JSON object (an empty body is an empty object); the error is the 400's
// detail.
Result<boost::json::object> body_object(const net::HttpRequest& request);

// A string member when present and a string.
std::optional<std::string> string_field(const boost::json::object& o, std::string_view key);
// The first of keys that is present but not a string (a number where an id belongs must not
// silently mean "none").
std::optional<std::string> non_string_field(const boost::json::object& o,
                                            std::initializer_list<std::string_view> keys);

// ?limit= (1..250, default 50) and ?iterator= of a list call; an out-of-range or non-numeric
// limit is a 422 on ["query", "limit"], as Svix answers.
struct ListQuery {
  std::size_t limit = kDefaultPageLimit;
  std::string iterator;  // empty: from the start
};
Result<ListQuery> list_query(const net::HttpRequest& request);
// The 422 for a list_query() error.
net::HttpResponse list_query_error(const std::string& error);

// {"data": data, "iterator": next or null, "prevIterator": prev or null, "done": done}.
boost::json::object list_response(boost::json::array data, std::string_view next, bool done,
                                  std::string_view prev = {});

}  // namespace hookgate::api
