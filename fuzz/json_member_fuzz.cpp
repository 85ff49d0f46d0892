// Fuzzes the JSON member scanner that cuts published payloads out of API requests: whatever it
// returns must be a complete JSON value by Boost.JSON's reading too, and a body Boost.JSON reads
// as an object holding "payload" must be found by the scanner (they must agree on validity).
#include <algorithm>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/json_member.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  boost::json::parse_options options;
  options.max_depth = 2 * hookgate::api::kMaxDepth;
  const auto found = hookgate::api::json_member(text, "payload");
  // The API runs the scanner only on bodies Boost.JSON accepted as an object (it refuses invalid
  // UTF-8, which the scanner does not check), so the properties hold on those.
  boost::system::error_code ec;
  const auto whole = boost::json::parse(text, ec, {}, options);
  if (ec || !whole.is_object()) return 0;
  if (found) {
    boost::system::error_code span_ec;
    (void)boost::json::parse(*found, span_ec, {}, options);
    if (span_ec) std::abort();
  }
  if (whole.as_object().contains("payload")) {
    // Only shallow documents: the scanner refuses nesting beyond kMaxDepth on purpose.
    int depth = 0, max_depth = 0;
    for (const char c : text) {
      if (c == '{' || c == '[') max_depth = std::max(max_depth, ++depth);
      if (c == '}' || c == ']') --depth;
    }
    if (max_depth < hookgate::api::kMaxDepth && !found) std::abort();
  }
  return 0;
}
