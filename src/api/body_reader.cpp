// Typed, strict reading of request bodies (see body_reader.hpp).
#include "api/body_reader.hpp"

#include <algorithm>

namespace hookgate::api {

namespace json = boost::json;

void BodyReader::fail(std::string_view key, std::string_view msg, std::string_view type) {
  FieldError e;
  e.loc = {"body", std::string(key)};
  e.msg = std::string(msg);
  e.type = std::string(type);
  errors_.push_back(std::move(e));
}

void BodyReader::only(std::initializer_list<std::string_view> known) {
  for (const auto& m : body_) {
    if (std::find(known.begin(), known.end(), std::string_view(m.key())) == known.end()) {
      fail(m.key(), "unknown field", "value_error.extra");
    }
  }
}

std::string_view BodyReader::either(std::string_view name, std::string_view old_name) {
  if (member(name) != nullptr && member(old_name) != nullptr) {
    fail(old_name, "give " + std::string(name) + " or " + std::string(old_name) + ", not both");
  }
  return member(old_name) != nullptr ? old_name : name;
}

std::optional<std::string> BodyReader::string(std::string_view key) {
  const auto* v = member(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    fail(key, "str type expected", "type_error.str");
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<bool> BodyReader::boolean(std::string_view key) {
  const auto* v = member(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_bool()) {
    fail(key, "value could not be parsed to a boolean", "type_error.bool");
    return std::nullopt;
  }
  return v->as_bool();
}

std::optional<std::int64_t> BodyReader::integer(std::string_view key) {
  const auto* v = member(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_int64()) {
    fail(key, "value is not a valid integer", "type_error.integer");
    return std::nullopt;
  }
  return v->as_int64();
}

std::optional<std::optional<std::string>> BodyReader::nullable_string(std::string_view key) {
  const auto* v = member(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_null()) return std::optional<std::string>();
  auto s = string(key);
  if (!s) return std::nullopt;
  return std::optional<std::string>(std::move(*s));
}

std::optional<std::optional<double>> BodyReader::nullable_number(std::string_view key) {
  const auto* v = member(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_null()) return std::optional<double>();
  if (!v->is_number()) {
    fail(key, "value is not a valid number", "type_error.float");
    return std::nullopt;
  }
  return std::optional<double>(v->to_number<double>());
}

std::optional<std::optional<std::int64_t>> BodyReader::nullable_integer(std::string_view key) {
  const auto* v = member(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_null()) return std::optional<std::int64_t>();
  auto i = integer(key);
  if (!i) return std::nullopt;
  return std::optional<std::int64_t>(*i);
}

std::optional<std::vector<std::string>> BodyReader::strings(std::string_view key) {
  const auto* v = member(key);
  if (v == nullptr) return std::nullopt;
  std::vector<std::string> out;
  bool good = v->is_array();
  if (good) {
    for (const auto& item : v->as_array()) {
      if (!item.is_string()) {
        good = false;
        break;
      }
      out.emplace_back(item.as_string());
    }
  }
  if (!good) {
    fail(key, "a list of strings is expected", "type_error.list");
    return std::nullopt;
  }
  return out;
}

std::optional<std::optional<std::vector<std::string>>> BodyReader::nullable_strings(
    std::string_view key) {
  const auto* v = member(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_null()) return std::optional<std::vector<std::string>>();
  auto list = strings(key);
  if (!list) return std::nullopt;
  return std::optional<std::vector<std::string>>(std::move(*list));
}

std::optional<std::map<std::string, std::string>> BodyReader::string_map(std::string_view key) {
  const auto* v = member(key);
  if (v == nullptr) return std::nullopt;
  std::map<std::string, std::string> out;
  bool good = v->is_object();
  if (good) {
    for (const auto& [k, item] : v->as_object()) {
      if (!item.is_string()) {
        good = false;
        break;
      }
      out.emplace(std::string(k), std::string(item.as_string()));
    }
  }
  if (!good) {
    fail(key, "an object of strings is expected", "type_error.dict");
    return std::nullopt;
  }
  return out;
}

std::optional<std::optional<std::map<std::string, std::string>>> BodyReader::nullable_string_map(
    std::string_view key) {
  const auto* v = member(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_null()) return std::optional<std::map<std::string, std::string>>();
  auto m = string_map(key);
  if (!m) return std::nullopt;
  return std::optional<std::map<std::string, std::string>>(std::move(*m));
}

net::HttpResponse registry_refusal(const std::string& error, std::string_view secret_member) {
  constexpr std::string_view kInvalid = "invalid: ";
  if (!error.starts_with(kInvalid)) return from_error(error);
  const std::string message = error.substr(kInvalid.size());
  const auto colon = message.find(": ");
  const std::string member = colon == std::string::npos ? "" : message.substr(0, colon);
  const bool named = !member.empty() && std::all_of(member.begin(), member.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  });
  if (!named) return from_error(error);
  return invalid_field(member == "secret" ? secret_member : std::string_view(member), message);
}

}  // namespace hookgate::api
