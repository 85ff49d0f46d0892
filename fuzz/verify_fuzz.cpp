// Fuzzes verify() for every built-in scheme: the signature-header grammar, timestamp, id and
// JSON-field extraction, and content assembly all read attacker-controlled bytes here.
// Input: byte 0 picks the scheme; then "Name: value\n" header lines up to an empty line; then
// the URL line; the rest is the body.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/verify.hpp"

using namespace hookgate::schemes;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Catalogue catalogue = Catalogue::with_builtins().value();
  if (size < 1) return 0;
  const Scheme& scheme = catalogue.all()[data[0] % catalogue.all().size()];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  HeaderList headers;
  while (!rest.empty()) {
    const auto eol = rest.find('\n');
    const auto line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    auto value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers.add(std::string(line.substr(0, colon)), std::string(value));
  }
  const auto eol = rest.find('\n');
  const auto url = rest.substr(0, eol);
  const auto body = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);

  static const auto secret = Key::parse_secret(scheme, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  std::vector<Key> keys;
  if (auto k = Key::parse_secret(scheme, "fuzz-secret-0123456789")) keys.push_back(k.value());
  const auto verdict = verify(scheme, RequestView{"POST", url, headers, body}, keys);
  // Nothing forged can pass without the key, except by a real collision.
  if (verdict.ok() && scheme.algorithms().front() != Algorithm::token) std::abort();
  (void)to_string(verdict.reason);
  return 0;
}
