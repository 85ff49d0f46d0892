// Fuzzes the strict reader of /api/v1 request bodies: any JSON text, read with every typed
// reader the resources use. A reader may refuse (a 422 naming the member) but never accept a
// member of the wrong type, and a refusal is always a well-formed Svix 422.
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/body_reader.hpp"

namespace {

namespace json = boost::json;

void check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  const auto v = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec || !v.is_object()) return 0;
  const auto& o = v.as_object();
  hookgate::api::BodyReader body(o);
  body.only({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"});
  const auto spelled = body.either("a", "b");
  check(spelled == "a" || spelled == "b");
  if (auto s = body.string("c")) check(o.at("c").is_string());
  if (auto b = body.boolean("d")) check(o.at("d").is_bool());
  if (auto i = body.integer("e")) check(o.at("e").is_int64());
  if (auto n = body.nullable_number("f"); n && *n) check(o.at("f").is_number());
  if (auto l = body.nullable_strings("g"); l && *l)
    check(l->value().size() == o.at("g").as_array().size());
  if (auto m = body.nullable_string_map("h"); m && *m) check(o.at("h").is_object());
  if (auto s = body.nullable_string(spelled); s && *s) check(o.at(spelled).is_string());
  (void)body.strings("i");
  (void)body.string_map("j");
  if (!body.ok()) {
    const auto answer = body.error();
    check(answer.status == 422);
    const auto parsed = json::parse(answer.body, ec);
    check(!ec && parsed.is_object() && parsed.as_object().at("detail").is_array() &&
          !parsed.as_object().at("detail").as_array().empty());
  }
  return 0;
}
