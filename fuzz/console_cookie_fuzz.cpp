// Fuzzes the console's session cookie parser with any Cookie header bytes (split in two headers
// at the first newline): whatever it returns must be one well-formed session id that occurs in
// the input.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/console_cookie.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  hookgate::schemes::HeaderList headers;
  const auto nl = text.find('\n');
  headers.add("Cookie", std::string(text.substr(0, nl)));
  if (nl != std::string_view::npos) headers.add("Cookie", std::string(text.substr(nl + 1)));
  const auto id = hookgate::api::session_cookie(headers);
  if (id && (!hookgate::api::well_formed_session_id(*id) ||
             text.find("hg_session=" + *id) == std::string_view::npos)) {
    std::abort();
  }
  return 0;
}
