// HttpUrl: the strict parser for the http(s) URLs Hookgate sends to. It is the first gate of the
// outbound address policy, so it refuses rather than guesses: anything another URL parser or the
// system resolver could read differently (userinfo, backslashes, shortened or octal IPv4, zone
// ids, control bytes) is an error, not a best effort.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hookgate/net/ip_address.hpp"
#include "hookgate/result.hpp"

namespace hookgate::net {

struct HttpUrl {
  bool https = false;
  std::string host;             // lower case; an IPv6 literal without its brackets
  std::optional<IpAddress> ip;  // set when host is an IP literal (then no DNS is involved)
  std::uint16_t port = 80;      // explicit, or 80 / 443 by scheme
  std::string target;           // path and query as sent on the request line; "/" at least

  // The Host header value: host, bracketed when IPv6, with ":port" unless the scheme's default.
  std::string authority() const;
};

inline constexpr std::size_t kMaxUrlBytes = 8192;

// Accepts "http://" or "https://" (scheme case-insensitive), then a host: a DNS name (letters,
// digits, '-', '_', labels of 1..63 bytes, at most 253 bytes, one trailing dot allowed), a
// dotted-quad IPv4 address, or a bracketed IPv6 address; an optional port 1..65535; then a path
// and query of printable ASCII with well-formed %-escapes. A fragment is dropped. Refused:
// other schemes, userinfo ('@' before the path), an empty host or port, a host whose last label
// is numeric but is not a dotted quad ("127.1", "0x7f.1", "2130706433"), zone ids, control
// bytes, spaces, backslashes and non-ASCII bytes anywhere. Errors never echo the URL (its path or
// query may hold a token); they name the problem and, once parsed, the host.
Result<HttpUrl> parse_http_url(std::string_view url);

}  // namespace hookgate::net
