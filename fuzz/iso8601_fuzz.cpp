// Fuzzes the RFC 3339 reader of /api/v1 (recover since, message filters): whatever it accepts
// must write back as a timestamp that reads as the same instant, so no accepted text can mean
// two different times.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/iso8601.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto ms = hookgate::api::parse_iso8601(text);
  if (!ms) return 0;
  // Offsets can move an accepted 0001 or 9999 date outside the years iso8601() writes.
  if (*ms < -62'135'596'800'000 || *ms > 253'402'300'799'999) return 0;
  const auto again = hookgate::api::parse_iso8601(hookgate::api::iso8601(*ms));
  if (!again || *again != *ms) std::abort();
  return 0;
}
