// Fuzzes the decoding of the records nodes share for the console (a shared store is read back by
// every node): a node's mirrored stats and a destination's pause. Malformed or oversized records
// are refused; what decodes stays within the bounds, and encodes and decodes again the same.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/destination_pauses.hpp"
#include "engine/stats_mirror.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hookgate::engine;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto stats = decode_node_stats(text)) {
    if (stats->window.reasons.size() > StatsSeries::kMaxReasons ||
        stats->open_circuits.size() > kMaxMirroredCircuits) {
      std::abort();
    }
    for (const auto& c : stats->window.counters) {
      if (c.size() != StatsSeries::kSeconds) std::abort();
    }
    const auto again = decode_node_stats(encode_node_stats(*stats));
    if (!again || again->window.counters != stats->window.counters) std::abort();
  }
  if (const auto pause = decode_pause(text)) {
    if (pause->reason.size() > kMaxPauseReason || pause->by.size() > kMaxPauseActor) std::abort();
    const auto again = decode_pause(encode_pause(*pause));
    if (!again || again->reason != pause->reason || again->paused != pause->paused) std::abort();
  }
  return 0;
}
