// Fuzzes timestamp parsing; every parsed RFC 3339 value must format and re-parse to itself.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "schemes/timestamp.hpp"

using namespace hookgate::schemes;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const auto format :
       {TimestampFormat::unix_seconds, TimestampFormat::unix_millis, TimestampFormat::rfc3339}) {
    const auto parsed = parse_timestamp(text, format);
    if (!parsed) continue;
    // Years 0000-9999 only: RFC 3339 has four-digit years.
    if (*parsed < -62167219200LL || *parsed > 253402300799LL) continue;
    const auto again = parse_timestamp(format_timestamp(*parsed * 1000, TimestampFormat::rfc3339),
                                       TimestampFormat::rfc3339);
    if (again != parsed) std::abort();
  }
  return 0;
}
