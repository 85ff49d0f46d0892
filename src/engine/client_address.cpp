// X-Forwarded-For handling for source allowlists.
#include "client_address.hpp"

#include <algorithm>
#include <string>

namespace hookgate::engine {

bool in_any(const net::IpAddress& address, const std::vector<net::CidrRange>& ranges) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const net::CidrRange& r) { return r.contains(address); });
}

std::optional<net::IpAddress> client_address(const std::optional<net::IpAddress>& peer,
                                             const schemes::HeaderList& headers,
                                             const std::vector<net::CidrRange>& trusted_proxies) {
  if (!peer || !in_any(*peer, trusted_proxies)) return peer;
  // Several X-Forwarded-For headers are one list, in order.
  std::vector<std::string> hops;
  for (const auto value : headers.all("X-Forwarded-For")) {
    std::size_t pos = 0;
    while (pos <= value.size()) {
      auto comma = value.find(',', pos);
      if (comma == std::string_view::npos) comma = value.size();
      auto hop = value.substr(pos, comma - pos);
      while (!hop.empty() && hop.front() == ' ')
        hop.remove_prefix(1);
      while (!hop.empty() && hop.back() == ' ')
        hop.remove_suffix(1);
      hops.emplace_back(hop);
      pos = comma + 1;
    }
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const auto address = net::IpAddress::parse(*it);
    if (!address) return std::nullopt;  // a garbled hop: the client cannot be known
    if (!in_any(*address, trusted_proxies)) return address->unmapped();
  }
  return peer;
}

}  // namespace hookgate::engine
