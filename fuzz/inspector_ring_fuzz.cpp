// Fuzzes the decoding of a mirrored inspector ring (a record another node wrote into a shared
// store): malformed or oversized records are refused, and what decodes stays within the limits
// a node's own ring keeps.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/inspector.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  hookgate::engine::InspectorLimits limits;
  limits.max_entries = 4;
  limits.max_body_bytes = 64;
  limits.max_header_bytes = 128;
  limits.max_bytes = 4096;
  const auto ring = hookgate::engine::decode_ring(text, limits);
  if (!ring) return 0;
  if (ring->entries.size() > limits.max_entries) std::abort();
  for (const auto& e : ring->entries) {
    if (e.body.size() > limits.max_body_bytes || e.redacted.size() > e.headers.size()) std::abort();
  }
  // What decodes encodes and decodes again to the same entries.
  const auto again = hookgate::engine::decode_ring(hookgate::engine::encode_ring(*ring), limits);
  if (!again || again->entries.size() != ring->entries.size()) std::abort();
  return 0;
}
