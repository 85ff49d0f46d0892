// Fuzzes the outbound URL parser (the first gate of the SSRF policy): it must never crash, and
// whatever it accepts must be self-consistent: a host, a port, a target that starts with '/' and
// holds nothing that could break a request line, and the same result when its own pieces are
// parsed again.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hookgate/net/http_url.hpp"
#include "hookgate/net/outbound_policy.hpp"

using namespace hookgate::net;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto url = parse_http_url(text);
  if (!url) return 0;
  if (url->host.empty() || url->port == 0 || url->target.empty() || url->target[0] != '/') {
    std::abort();
  }
  for (const char c : url->target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '#') std::abort();
  }
  const auto again =
      parse_http_url((url->https ? "https://" : "http://") + url->authority() + url->target);
  if (!again || again->host != url->host || again->port != url->port ||
      again->target != url->target || again->ip != url->ip) {
    std::abort();
  }
  (void)OutboundPolicy().refusal(*url);
  return 0;
}
