// DestinationPauses: the operator's pause of configured [[destination]]s (from the console or
// PATCH /api/v1/destination/{name}). The configuration says where deliveries go; the store says
// whether an operator holds them back for now, with who, when and why: one record per
// destination (kind "destination_pause"), so every node sharing the store honours it and it
// survives restarts. A paused destination's deliveries stay pending (the dispatcher gives it no
// room in its claims, and hands back any it held); resuming lets them go, nothing is lost.
// The dispatcher asks paused() on every claim, so it reads memory only; the store is read at
// start, after each change made here, and every refresh interval (other nodes' changes).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/periodic_thread.hpp"
#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::engine {

inline constexpr std::string_view kPauseRecordKind = "destination_pause";
// Bounds of what an operator writes into a pause (the reason) and of who is recorded.
inline constexpr std::size_t kMaxPauseReason = 256;
inline constexpr std::size_t kMaxPauseActor = 128;

// The last change an operator made to a destination (paused or resumed).
struct DestinationPause {
  bool paused = false;
  std::string by;  // who: "configured admin key", "admin key 'ops' (hk_ab12...)"
  std::int64_t at_ms = 0;
  std::string reason;  // may be empty
};

std::string encode_pause(const DestinationPause& pause);
// nullopt for anything malformed or beyond the bounds above (records come from a shared store).
std::optional<DestinationPause> decode_pause(std::string_view text);

class DestinationPauses {
 public:
  // destinations: the configured names; records of other names are ignored.
  DestinationPauses(store::Store& store, std::vector<std::string> destinations,
                    std::function<std::int64_t()> now_ms,
                    std::chrono::milliseconds interval = std::chrono::milliseconds(1000));
  ~DestinationPauses();
  DestinationPauses(const DestinationPauses&) = delete;
  DestinationPauses& operator=(const DestinationPauses&) = delete;

  // Told (on the refreshing thread or the caller of set()) when a destination was resumed, so
  // the dispatcher claims its work at once. Set before start(); must be quick.
  void on_resume(std::function<void()> resumed) { resumed_ = std::move(resumed); }

  // In memory, cheap, any thread.
  bool paused(std::string_view destination) const;
  std::vector<std::string> paused_names() const;

  // The stored state of one configured destination (nullopt: never changed). Blocking.
  Result<std::optional<DestinationPause>> read(std::string_view destination);
  // Pauses or resumes a configured destination, recording by, now and reason (compare-and-set,
  // so two nodes changing it at once both land, the later one last). Blocking.
  Result<DestinationPause> set(std::string_view destination, bool paused, std::string by,
                               std::string reason);
  // Reads every pause from the store into memory. Blocking.
  Result<bool> refresh();

  void start();  // refreshes every interval on its own thread
  void stop();

 private:
  void apply(std::set<std::string, std::less<>> paused);

  store::Store& store_;
  std::set<std::string, std::less<>> configured_;
  std::function<std::int64_t()> now_ms_;
  std::function<void()> resumed_;
  mutable std::mutex m_;
  std::set<std::string, std::less<>> paused_;
  PeriodicThread thread_;  // last: stopped before the members its rounds use
};

}  // namespace hookgate::engine
