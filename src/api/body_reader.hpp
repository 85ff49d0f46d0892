// Reads the members of an /api/v1 request body with their types checked, collecting every
// mistake into one Svix 422 ({"detail": [{"loc": ["body", field], ...}]}). Members the resource
// does not know are refused, so a typo never passes silently; null means "not set" where Svix's
// schema allows null (a PATCH's null clears the member).
#pragma once

#include <boost/json.hpp>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_wire.hpp"

namespace hookgate::api {

class BodyReader {
 public:
  explicit BodyReader(const boost::json::object& body) : body_(body) {}

  // Members absent from known are errors ("unknown field").
  void only(std::initializer_list<std::string_view> known);
  // Two spellings of one member (Svix 2.x and 1.x): the one present, an error when both are.
  std::string_view either(std::string_view name, std::string_view old_name);

  // Absent: nullopt. Wrong type (null included): an error, nullopt.
  std::optional<std::string> string(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key);
  // Absent: nullopt; null: an engaged optional holding nullopt.
  std::optional<std::optional<std::string>> nullable_string(std::string_view key);
  std::optional<std::optional<double>> nullable_number(std::string_view key);
  std::optional<std::optional<std::int64_t>> nullable_integer(std::string_view key);
  std::optional<std::optional<std::vector<std::string>>> nullable_strings(std::string_view key);
  std::optional<std::optional<std::map<std::string, std::string>>> nullable_string_map(
      std::string_view key);
  std::optional<std::vector<std::string>> strings(std::string_view key);
  std::optional<std::map<std::string, std::string>> string_map(std::string_view key);

  void fail(std::string_view key, std::string_view msg, std::string_view type = "value_error");
  void missing(std::string_view key) { fail(key, "field required", "value_error.missing"); }
  bool ok() const { return errors_.empty(); }
  net::HttpResponse error() const { return validation_error(errors_); }

 private:
  const boost::json::value* member(std::string_view key) const { return body_.if_contains(key); }

  const boost::json::object& body_;
  std::vector<FieldError> errors_;
};

// A registry error as the answer: "invalid: <member>: why" names its member in the 422's loc
// (["body", member]; a "secret" is called secret_member, as the rotate call names it "key");
// anything else as from_error().
net::HttpResponse registry_refusal(const std::string& error,
                                   std::string_view secret_member = "secret");

}  // namespace hookgate::api
