// Reading the JSON answers of /api/v1 in end-to-end assertions: each accessor answers a neutral
// value (empty object, string or array, -1) when the member is missing or of another type, so a
// wrong answer fails the assertion that reads it instead of throwing out of the test.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "server_process.hpp"

namespace hookgate::e2e {

inline boost::json::object object_of(const HttpResult& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

inline std::string str(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline std::int64_t num(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v != nullptr && v->is_int64()) return v->as_int64();
  if (v != nullptr && v->is_uint64()) return static_cast<std::int64_t>(v->as_uint64());
  return -1;
}

inline boost::json::array arr(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_array() ? v->as_array() : boost::json::array();
}

inline bool is_null(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_null();
}

}  // namespace hookgate::e2e
