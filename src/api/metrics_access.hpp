// MetricsAccess: who may read /metrics. The exposition names every configured source and
// destination and shows traffic, refusals by reason and queue sizes, which is reconnaissance for
// whoever can reach the webhook listener. By default only loopback peers that did not come
// through a proxy are let in; [metrics] allow widens the addresses, [metrics] token lets a
// scraper in from anywhere with "Authorization: Bearer <token>" (compared in constant time).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hookgate/config/config.hpp"
#include "hookgate/net/http_server.hpp"
#include "hookgate/net/ip_address.hpp"

namespace hookgate::api {

class MetricsAccess {
 public:
  // The config loader has checked every range; one that does not parse throws
  // std::invalid_argument (a Config built in code).
  explicit MetricsAccess(const config::Metrics& config);

  // nullopt: the request may read /metrics; else the answer that refuses it (401 with
  // WWW-Authenticate when a token would let it in, else 403).
  std::optional<net::HttpResponse> refuse(const net::HttpRequest& request) const;

 private:
  std::vector<net::CidrRange> allow_;
  std::optional<std::string> token_;
};

}  // namespace hookgate::api
