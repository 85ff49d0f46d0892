// Fuzzes the request readers content templates use: form bodies, URLs, JSON bodies.
#include <cstdint>
#include <string_view>

#include "schemes/request_parts.hpp"

using namespace hookgate::schemes;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)sorted_form_concatenation(text);
  (void)url_port_variants(text);
  (void)url_query_param(text, "bodySHA256");
  (void)decode_reserved_escapes(text);
  const JsonBody json(text);
  (void)json.field("signature.timestamp");
  return 0;
}
