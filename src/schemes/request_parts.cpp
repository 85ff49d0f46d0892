// URL, form and JSON helpers for content templates (Boost.URL and Boost.JSON underneath).
#include "request_parts.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <map>
#include <set>

namespace hookgate::schemes {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Form decoding: '+' is a space; a malformed escape is kept literally, as browsers and most
// frameworks do, so a stray '%' cannot make a request unverifiable.
std::string form_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> url_port_variants(std::string_view url) {
  std::vector<std::string> out{std::string(url)};
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return out;
  boost::urls::url u(*parsed);
  const auto scheme = u.scheme();
  std::string_view default_port;
  if (scheme == "https") {
    default_port = "443";
  } else if (scheme == "http") {
    default_port = "80";
  } else {
    return out;
  }
  if (u.has_port()) {
    u.remove_port();
  } else {
    u.set_port(default_port);
  }
  std::string variant(u.buffer());
  if (variant != out.front()) out.push_back(std::move(variant));
  return out;
}

std::optional<std::string> url_query_param(std::string_view url, std::string_view name) {
  // Hand-written rather than Boost.URL's params(): Boost 1.81 crashes on some empty queries
  // (found by fuzz/handshake_fuzz.cpp; the input is in the corpus).
  const auto question = url.find('?');
  if (question == std::string_view::npos) return std::nullopt;
  auto query = url.substr(question + 1);
  query = query.substr(0, query.find('#'));
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    const auto pair = query.substr(pos, amp - pos);
    const auto eq = pair.find('=');
    if (form_decode(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? std::string() : form_decode(pair.substr(eq + 1));
    }
    pos = amp + 1;
  }
  return std::nullopt;
}

std::string decode_reserved_escapes(std::string_view url) {
  static constexpr std::string_view kReserved = ":/?@!$'()*,;";
  std::string out;
  out.reserve(url.size());
  for (std::size_t i = 0; i < url.size(); ++i) {
    if (url[i] == '%' && i + 2 < url.size() && hex_value(url[i + 1]) >= 0 &&
        hex_value(url[i + 2]) >= 0) {
      const char c = static_cast<char>(hex_value(url[i + 1]) * 16 + hex_value(url[i + 2]));
      if (kReserved.find(c) != std::string_view::npos) {
        out += c;
        i += 2;
        continue;
      }
    }
    out += url[i];
  }
  return out;
}

std::string sorted_form_concatenation(std::string_view body) {
  std::map<std::string, std::set<std::string>> params;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    auto amp = body.find('&', pos);
    if (amp == std::string_view::npos) amp = body.size();
    const auto pair = body.substr(pos, amp - pos);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      params[form_decode(pair.substr(0, eq))].insert(
          eq == std::string_view::npos ? std::string() : form_decode(pair.substr(eq + 1)));
    }
    pos = amp + 1;
  }
  std::string out;
  for (const auto& [name, values] : params) {
    for (const auto& value : values) {
      out += name;
      out += value;
    }
  }
  return out;
}

struct JsonBody::Impl {
  std::string_view body;
  bool parsed = false;
  boost::json::value root;
  bool valid = false;

  void parse() {
    if (parsed) return;
    parsed = true;
    boost::system::error_code ec;
    boost::json::parse_options options;
    options.max_depth = 64;
    root = boost::json::parse(body, ec, {}, options);
    valid = !ec && root.is_object();
  }
};

JsonBody::JsonBody(std::string_view body) : impl_(std::make_unique<Impl>()) {
  impl_->body = body;
}

JsonBody::~JsonBody() = default;

bool JsonBody::valid() const {
  impl_->parse();
  return impl_->valid;
}

std::optional<std::string> JsonBody::field(std::string_view dotted_path) const {
  impl_->parse();
  if (!impl_->valid) return std::nullopt;
  const boost::json::value* node = &impl_->root;
  std::size_t pos = 0;
  while (pos <= dotted_path.size()) {
    auto dot = dotted_path.find('.', pos);
    if (dot == std::string_view::npos) dot = dotted_path.size();
    const auto key = dotted_path.substr(pos, dot - pos);
    const auto* object = node->if_object();
    if (object == nullptr) return std::nullopt;
    const auto it = object->find(key);
    if (it == object->end()) return std::nullopt;
    node = &it->value();
    pos = dot + 1;
  }
  if (const auto* s = node->if_string()) return std::string(s->data(), s->size());
  if (node->is_number() || node->is_bool()) return boost::json::serialize(*node);
  return std::nullopt;
}

}  // namespace hookgate::schemes
