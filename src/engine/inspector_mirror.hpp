// InspectorMirror: makes each node's inspector rings visible to every node sharing a PostgreSQL
// store. Every half second the rings that changed are written, whole, into one store record per
// (source, node), overwritten in place: the store holds at most one bounded ring per source and
// node, however much refused traffic arrives. Records of nodes silent for a day are removed, so
// restarts under new names do not accumulate. A SQLite store has one node: no mirror is needed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/inspector.hpp"
#include "engine/periodic_thread.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::engine {

inline constexpr std::string_view kInspectorRecordKind = "inspector_ring";
inline constexpr std::int64_t kInspectorStaleMs = 24LL * 3600 * 1000;
inline constexpr std::size_t kMaxMirroredNodes = 32;

// The rings of source kept by other nodes (not older than kInspectorStaleMs at now_ms), at most
// kMaxMirroredNodes; a record that does not decode is skipped.
Result<std::vector<Ring>> mirrored_rings(store::Store& store, std::string_view source,
                                         std::string_view own_tag, const InspectorLimits& limits,
                                         std::int64_t now_ms);
// One node's ring of source by its tag (nullopt: none).
Result<std::optional<Ring>> mirrored_ring(store::Store& store, std::string_view source,
                                          std::string_view tag, const InspectorLimits& limits);

class InspectorMirror {
 public:
  InspectorMirror(const Inspector& inspector, store::Store& store,
                  std::function<std::int64_t()> now_ms,
                  std::chrono::milliseconds interval = std::chrono::milliseconds(500));
  ~InspectorMirror();
  void start();
  void stop();  // writes what changed once more, then ends the thread

 private:
  void round();
  void flush();
  void prune();

  const Inspector& inspector_;
  store::Store& store_;
  std::function<std::int64_t()> now_ms_;
  std::map<std::string, std::uint64_t> written_;  // source -> changes() last written
  std::map<std::string, std::int64_t> versions_;  // source -> record version (0: unknown)
  std::int64_t next_prune_ms_ = 0;
  PeriodicThread thread_;  // last: stopped before the members its rounds use
};

}  // namespace hookgate::engine
