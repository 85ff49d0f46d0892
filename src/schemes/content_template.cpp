// Content templates: "{id}.{timestamp}.{body}" -> literal and field segments.
#include "content_template.hpp"

#include <string>

namespace hookgate::schemes {
namespace {

Result<Segment> placeholder(std::string_view name) {
  struct Simple {
    std::string_view name;
    Segment::Kind kind;
  };
  static constexpr Simple kSimple[] = {
      {"body", Segment::Kind::body}, {"timestamp", Segment::Kind::timestamp},
      {"id", Segment::Kind::id},     {"method", Segment::Kind::method},
      {"url", Segment::Kind::url},   {"url_decoded", Segment::Kind::url_decoded},
      {"form", Segment::Kind::form}, {"secret", Segment::Kind::secret},
  };
  for (const auto& s : kSimple) {
    if (name == s.name) return Segment{s.kind, {}};
  }
  const auto colon = name.find(':');
  if (colon != std::string_view::npos) {
    const auto kind = name.substr(0, colon);
    const auto arg = name.substr(colon + 1);
    if (arg.empty()) return Error{"placeholder {" + std::string(name) + "} needs a name"};
    if (kind == "header") return Segment{Segment::Kind::header, std::string(arg)};
    if (kind == "json") return Segment{Segment::Kind::json, std::string(arg)};
  }
  return Error{"unknown placeholder {" + std::string(name) +
               "} (known: body, timestamp, id, method, url, url_decoded, form, secret, "
               "header:NAME, json:PATH)"};
}

}  // namespace

Result<std::vector<Segment>> parse_content_template(std::string_view text) {
  std::vector<Segment> out;
  std::string literal;
  const auto flush = [&] {
    if (!literal.empty()) out.push_back(Segment{Segment::Kind::literal, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal += '}';
      ++i;
    } else if (c == '{') {
      const auto close = text.find('}', i);
      if (close == std::string_view::npos) return Error{"unclosed '{' in template"};
      auto seg = placeholder(text.substr(i + 1, close - i - 1));
      if (!seg) return Error{seg.error()};
      flush();
      out.push_back(std::move(seg.value()));
      i = close;
    } else if (c == '}') {
      return Error{"unmatched '}' in template (write '}}' for a literal brace)"};
    } else {
      literal += c;
    }
  }
  flush();
  if (out.empty()) return Error{"template is empty"};
  return out;
}

}  // namespace hookgate::schemes
