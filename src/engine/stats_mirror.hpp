// StatsMirror: makes each node's per-second counts (StatsSeries) and open circuits visible to
// every node sharing a PostgreSQL store, so the console's overview and destinations answer for
// the cluster, not for the node that serves the page. Every second (when something changed, and
// at least every kStatsHeartbeatMs) the node's last hour is written, whole and sparse (only
// seconds with a count), into one store record per node, overwritten in place: bounded by the
// hour's 3600 seconds, kMaxReasons reasons and kMaxMirroredCircuits ids, however much traffic
// arrives. Readers leave out nodes not heard from for kStatsStaleMs (stopped or cut off), and
// records of nodes silent for a day are removed. A SQLite store has one node: no mirror.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/periodic_thread.hpp"
#include "engine/stats_series.hpp"
#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::engine {

inline constexpr std::string_view kStatsRecordKind = "node_stats";
// A node whose record is older than this is left out of the sums (it is not running, or cannot
// reach the store): its last counts would otherwise stand still in the charts.
inline constexpr std::int64_t kStatsStaleMs = 15'000;
inline constexpr std::int64_t kStatsHeartbeatMs = 5'000;
inline constexpr std::int64_t kStatsForgetMs = 24LL * 3600 * 1000;
inline constexpr std::size_t kMaxStatsNodes = 64;
inline constexpr std::size_t kMaxMirroredCircuits = 100;

// One node's counts as mirrored: the hour ending at end_s (inclusive).
struct NodeStats {
  std::string node;
  std::int64_t updated_ms = 0;
  StatsSeries::Window window;              // kSeconds long, starting at window.start_s
  std::vector<std::string> open_circuits;  // endpoint ids, at most kMaxMirroredCircuits
};

std::string encode_node_stats(const NodeStats& stats);
// nullopt for anything malformed or beyond the bounds above.
std::optional<NodeStats> decode_node_stats(std::string_view text);

// The other nodes' records (not the one of own_tag), heard from within kStatsStaleMs of now_ms,
// at most kMaxStatsNodes; a record that does not decode is skipped.
Result<std::vector<NodeStats>> mirrored_stats(store::Store& store, std::string_view own_tag,
                                              std::int64_t now_ms);

// Adds from's counts of the seconds of into's window (the seconds both cover) into into.
// Reasons beyond StatsSeries::kMaxReasons names count as "other".
void add_window(StatsSeries::Window& into, const StatsSeries::Window& from);

class StatsMirror {
 public:
  // open_circuits: this node's endpoint ids with an open circuit (may be empty).
  StatsMirror(const StatsSeries& series, std::string node,
              std::function<std::vector<std::string>()> open_circuits, store::Store& store,
              std::function<std::int64_t()> now_ms,
              std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  ~StatsMirror();
  StatsMirror(const StatsMirror&) = delete;
  StatsMirror& operator=(const StatsMirror&) = delete;
  void start();
  void stop();
  // One round: writes the record if it changed or the heartbeat is due. Blocking.
  void flush();

 private:
  void round(bool last);
  void prune();

  const StatsSeries& series_;
  std::string node_;
  std::string tag_;
  std::function<std::vector<std::string>()> open_circuits_;
  store::Store& store_;
  std::function<std::int64_t()> now_ms_;
  std::string written_;  // the counts and circuits last written (without the time)
  std::int64_t written_ms_ = 0;
  std::int64_t version_ = 0;
  std::int64_t next_prune_ms_ = 0;
  PeriodicThread thread_;  // last: stopped before the members its rounds use
};

}  // namespace hookgate::engine
