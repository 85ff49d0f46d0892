// Fuzzes every handshake over attacker-controlled URLs, headers and bodies. Input: byte 0 picks
// the handshake, byte 1 the method; then the URL line, "Name: value" lines up to an empty line,
// and the body.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hookgate/handshakes/handshake.hpp"

using namespace hookgate;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static constexpr handshakes::Kind kKinds[] = {handshakes::Kind::asana,
                                                handshakes::Kind::slack,
                                                handshakes::Kind::zoom,
                                                handshakes::Kind::msgraph,
                                                handshakes::Kind::meta,
                                                handshakes::Kind::dropbox,
                                                handshakes::Kind::twitter_crc,
                                                handshakes::Kind::twitch,
                                                handshakes::Kind::discord_interactions,
                                                handshakes::Kind::discord_events,
                                                handshakes::Kind::okta,
                                                handshakes::Kind::aws_sns,
                                                handshakes::Kind::hookgate};
  if (size < 2) return 0;
  const auto kind = kKinds[data[0] % std::size(kKinds)];
  const std::string_view method = data[1] % 2 == 0 ? "GET" : "POST";
  std::string_view rest(reinterpret_cast<const char*>(data + 2), size - 2);
  const auto take_line = [&rest] {
    const auto eol = rest.find('\n');
    const auto line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    return line;
  };
  const auto url = take_line();
  schemes::HeaderList headers;
  while (!rest.empty()) {
    const auto line = take_line();
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    headers.add(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
  const auto outcome = handshakes::answer(kind, handshakes::Request{method, url, headers, rest},
                                          handshakes::Context{"secret", "token"});
  // Whatever is echoed back stays within the bound.
  if (outcome.response.body.size() > 4 * handshakes::kMaxTokenBytes) std::abort();
  // Domain separation: a source whose handshake MACs tokens lets only JSON-object bodies through
  // as events, so no event's signed bytes can be a token it MACed.
  if (handshakes::answers_with_mac(kind) && method == "POST" &&
      outcome.action == handshakes::Outcome::Action::not_handshake) {
    const auto first = rest.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || rest[first] != '{') std::abort();
  }
  return 0;
}
