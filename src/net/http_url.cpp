// The strict http(s) URL parser behind the outbound client. Hand-written rather than Boost.URL:
// the rules are few, every refusal is deliberate, and it must not pull Boost into callers.
#include "hookgate/net/http_url.hpp"

#include <algorithm>

namespace hookgate::net {

namespace {

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(text[i]) != prefix[i]) return false;
  }
  return true;
}

// The last label decides whether a host is meant as an IPv4 address (WHATWG URL does the same):
// resolvers read "127.1" or "0x7f.0.0.1" as numbers, so such a host is an address or nothing.
bool looks_numeric(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  const auto dot = host.rfind('.');
  const auto last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (std::all_of(last.begin(), last.end(), is_digit)) return true;
  if (last.size() >= 2 && last[0] == '0' && lower(last[1]) == 'x') {
    return std::all_of(last.begin() + 2, last.end(), is_hex);
  }
  return false;
}

Result<bool> check_dns_name(std::string_view host) {
  if (host.size() > 254 || (host.size() == 254 && host.back() != '.')) {
    return Error{"host name longer than 253 bytes"};
  }
  std::string_view rest = host;
  if (rest.back() == '.') rest.remove_suffix(1);
  while (true) {
    const auto dot = rest.find('.');
    const auto label = rest.substr(0, dot);
    if (label.empty() || label.size() > 63) return Error{"malformed host name"};
    for (const char c : label) {
      if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_') {
        return Error{"malformed host name"};
      }
    }
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  return true;
}

Result<std::uint16_t> parse_port(std::string_view digits) {
  if (digits.empty()) return Error{"empty port"};
  if (digits.size() > 5 || !std::all_of(digits.begin(), digits.end(), is_digit)) {
    return Error{"malformed port"};
  }
  unsigned value = 0;
  for (const char c : digits)
    value = value * 10 + static_cast<unsigned>(c - '0');
  if (value == 0 || value > 65535) return Error{"port out of range"};
  return static_cast<std::uint16_t>(value);
}

// Path and query: printable ASCII only, so nothing can break the request line, and %-escapes
// must be whole, so no decoder downstream sees a half escape.
Result<bool> check_target(std::string_view target) {
  for (std::size_t i = 0; i < target.size(); ++i) {
    const auto c = static_cast<unsigned char>(target[i]);
    if (c <= 0x20 || c >= 0x7f || c == '\\') {
      return Error{"path or query holds a control, space, backslash or non-ASCII byte"};
    }
    if (c == '%' && (i + 2 >= target.size() || !is_hex(target[i + 1]) || !is_hex(target[i + 2]))) {
      return Error{"malformed %-escape in path or query"};
    }
  }
  return true;
}

}  // namespace

std::string HttpUrl::authority() const {
  std::string out = ip && !ip->is_v4() ? "[" + host + "]" : host;
  if (port != (https ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

Result<HttpUrl> parse_http_url(std::string_view url) {
  if (url.size() > kMaxUrlBytes) return Error{"URL longer than 8192 bytes"};
  HttpUrl out;
  if (iequals_prefix(url, "https://")) {
    out.https = true;
    out.port = 443;
    url.remove_prefix(8);
  } else if (iequals_prefix(url, "http://")) {
    url.remove_prefix(7);
  } else {
    return Error{"only http:// and https:// URLs are supported"};
  }
  if (const auto hash = url.find('#'); hash != std::string_view::npos) {
    url = url.substr(0, hash);
  }

  const auto authority_end = url.find_first_of("/?");
  const auto authority = url.substr(0, authority_end);
  const auto target =
      authority_end == std::string_view::npos ? std::string_view{} : url.substr(authority_end);
  for (const char c : authority) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '\\') {
      return Error{"host part holds a control, space, backslash or non-ASCII byte"};
    }
  }
  if (authority.find('@') != std::string_view::npos) {
    return Error{"credentials in URLs are refused (userinfo before the host)"};
  }

  std::string_view host;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return Error{"unterminated IPv6 literal"};
    host = authority.substr(1, close - 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Error{"unexpected characters after the IPv6 literal"};
      has_port = true;
      port = after.substr(1);
    }
    if (host.find('%') != std::string_view::npos) return Error{"IPv6 zone ids are refused"};
    const auto ip = IpAddress::parse(host);
    if (!ip || ip->is_v4()) return Error{"malformed IPv6 literal"};
    out.ip = ip;
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port = authority.substr(colon + 1);
    }
    if (host.empty()) return Error{"URL without a host"};
    if (host.find_first_of("[]") != std::string_view::npos) return Error{"malformed host"};
    if (looks_numeric(host)) {
      auto literal = host;
      // "1.2.3.4." is the same address; inet_pton does not take the dot.
      if (literal.back() == '.') literal.remove_suffix(1);
      const auto ip = IpAddress::parse(literal);
      if (!ip || !ip->is_v4()) {
        return Error{"host looks like an IPv4 address but is not a dotted quad"};
      }
      out.ip = ip;
      host = literal;
    } else if (auto name = check_dns_name(host); !name) {
      return Error{name.error()};
    }
  }
  if (has_port) {
    auto p = parse_port(port);
    if (!p) return Error{p.error()};
    out.port = *p;
  }

  out.host.reserve(host.size());
  for (const char c : host)
    out.host.push_back(lower(c));
  if (out.ip) out.host = out.ip->to_string();

  if (auto checked = check_target(target); !checked) return Error{checked.error()};
  if (target.empty() || target.front() == '?') out.target = "/";
  out.target += target;
  return out;
}

}  // namespace hookgate::net
