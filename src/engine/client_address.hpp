// The address a request really came from: the peer, or, when the peer is a trusted proxy, the
// right-most X-Forwarded-For entry that is not itself a trusted proxy (entries to the left of it
// were written by the client and prove nothing).
#pragma once

#include <optional>
#include <vector>

#include "hookgate/net/ip_address.hpp"
#include "hookgate/schemes/header_list.hpp"

namespace hookgate::engine {

std::optional<net::IpAddress> client_address(const std::optional<net::IpAddress>& peer,
                                             const schemes::HeaderList& headers,
                                             const std::vector<net::CidrRange>& trusted_proxies);

bool in_any(const net::IpAddress& address, const std::vector<net::CidrRange>& ranges);

}  // namespace hookgate::engine
