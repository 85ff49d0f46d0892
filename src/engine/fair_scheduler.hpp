// FairScheduler: the order in which claimed deliveries start. Each destination has its own FIFO
// of claimed work and its own limit of attempts in flight (its concurrency on this node);
// destinations with queued work and a free slot take turns (round-robin), under one global cap.
// A slow or hanging destination therefore only ever fills its own slots: its queue waits while
// every other destination keeps starting. It also says how much more of each destination a claim
// may take (room), so claimed work waits at most the rounds of its destination's concurrency the
// caller allows (one, unless its attempts end quickly) before it starts, well inside its lease.
// Pure bookkeeping, no threads, no clock: the dispatcher calls it under its lock. How far ahead a
// destination's work is claimed is the caller's to say (push's ahead), from how quickly its
// attempts end.
#pragma once

#include <algorithm>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookgate::engine {

template <class Job>
class FairScheduler {
 public:
  struct Started {
    std::string destination;
    Job job;
  };

  explicit FairScheduler(std::size_t global_cap) : cap_(std::max<std::size_t>(1, global_cap)) {}

  // Queues job behind its destination's earlier work; limit is the destination's concurrency
  // (at least 1). ahead is how much work of it may wait to start: limit when 0 or less (one
  // round), more for a destination whose attempts end so quickly that one round drains before
  // the next claim arrives. Refused (false, job untouched) when the destination already holds
  // limit in flight plus ahead waiting. The caller hands such work back to the store.
  bool push(std::string destination, std::size_t limit, Job& job, std::size_t ahead = 0) {
    // destination is a copy: it may name a field of the job that is moved below.
    limit = std::max<std::size_t>(1, limit);
    auto& lane = lanes_[destination];
    lane.limit = limit;
    lane.ahead = std::max(limit, ahead);
    if (lane.in_flight + lane.queue.size() >= lane.limit + lane.ahead) {
      if (lane.in_flight == 0 && lane.queue.empty()) lanes_.erase(destination);
      return false;
    }
    lane.queue.push_back(std::move(job));
    ++queued_;
    make_ready(destination, lane);
    return true;
  }

  // The next job to start, taking destinations in turn; it counts as in flight until finish().
  // nullopt when the global cap is reached or no destination has both work and a free slot.
  std::optional<Started> next() {
    while (in_flight_ < cap_ && !ready_.empty()) {
      std::string destination = std::move(ready_.front());
      ready_.pop_front();
      const auto it = lanes_.find(destination);
      if (it == lanes_.end()) continue;
      auto& lane = it->second;
      lane.ready = false;
      if (lane.queue.empty() || lane.in_flight >= lane.limit) continue;
      Started started{destination, std::move(lane.queue.front())};
      lane.queue.pop_front();
      --queued_;
      ++lane.in_flight;
      ++in_flight_;
      make_ready(destination, lane);  // to the back of the ring: the others go first
      return started;
    }
    return std::nullopt;
  }

  // An attempt of destination (started by next()) is over: its slot is free again.
  void finish(std::string_view destination) {
    const auto it = lanes_.find(destination);
    if (it == lanes_.end() || it->second.in_flight == 0) return;
    auto& lane = it->second;
    --lane.in_flight;
    --in_flight_;
    if (lane.in_flight == 0 && lane.queue.empty()) {
      lanes_.erase(it);
      return;
    }
    make_ready(it->first, lane);
  }

  // An attempt of destination is over and its slot goes straight to the destination's next
  // queued job, returned (it counts as in flight until finish()), when take(job) agrees and no
  // other destination waits for the global cap (those get the slot first, in turn). Otherwise
  // the slot is freed as by finish() and nullopt returned.
  template <class Take>
  std::optional<Job> hand_over(std::string_view destination, Take take) {
    const auto it = lanes_.find(destination);
    if (it == lanes_.end() || it->second.in_flight == 0) return std::nullopt;
    auto& lane = it->second;
    const bool others_wait = in_flight_ >= cap_ && !ready_.empty();
    if (lane.queue.empty() || lane.in_flight > lane.limit || others_wait ||
        !take(std::as_const(lane.queue.front()))) {
      finish(destination);
      return std::nullopt;
    }
    std::optional<Job> job(std::move(lane.queue.front()));
    lane.queue.pop_front();
    --queued_;
    return job;
  }

  // How many more deliveries of destination a claim may take now (0: none).
  std::size_t room(std::string_view destination, std::size_t limit) const {
    const auto it = lanes_.find(destination);
    limit = std::max<std::size_t>(1, limit);
    if (it == lanes_.end()) return 2 * limit;
    const auto held = it->second.in_flight + it->second.queue.size();
    const auto full = it->second.limit + it->second.ahead;
    return held >= full ? 0 : full - held;
  }

  // What destination holds now: in flight plus waiting.
  [[nodiscard]] std::size_t held(std::string_view destination) const {
    const auto it = lanes_.find(destination);
    return it == lanes_.end() ? 0 : it->second.in_flight + it->second.queue.size();
  }

  // Whether destination holds at most half of what it may hold (in flight plus waiting): worth a
  // claim. Claiming as each slot frees would cost a store transaction per delivery.
  [[nodiscard]] bool low(std::string_view destination) const {
    const auto it = lanes_.find(destination);
    if (it == lanes_.end()) return true;
    const auto held = it->second.in_flight + it->second.queue.size();
    return 2 * held <= it->second.limit + it->second.ahead;
  }

  // The room of every destination this scheduler holds work of (others have their whole room).
  std::map<std::string, std::size_t, std::less<>> rooms() const {
    std::map<std::string, std::size_t, std::less<>> out;
    for (const auto& [name, lane] : lanes_)
      out.emplace(name, room(name, lane.limit));
    return out;
  }

  // Queued (not started) work, removed: the dispatcher is stopping and leaves it to its leases.
  std::vector<Job> take_queued() {
    std::vector<Job> out;
    for (auto it = lanes_.begin(); it != lanes_.end();) {
      for (auto& job : it->second.queue)
        out.push_back(std::move(job));
      it->second.queue.clear();
      if (it->second.in_flight == 0) {
        it = lanes_.erase(it);
      } else {
        ++it;
      }
    }
    queued_ = 0;
    ready_.clear();
    for (auto& [name, lane] : lanes_)
      lane.ready = false;
    return out;
  }

  std::size_t in_flight() const { return in_flight_; }
  std::size_t queued() const { return queued_; }
  std::size_t in_flight(std::string_view destination) const {
    const auto it = lanes_.find(destination);
    return it == lanes_.end() ? 0 : it->second.in_flight;
  }
  std::size_t destinations() const { return lanes_.size(); }

 private:
  struct Lane {
    std::deque<Job> queue;
    std::size_t in_flight = 0;
    std::size_t limit = 1;
    std::size_t ahead = 1;  // work that may wait to start, at least limit
    bool ready = false;     // listed in ready_
  };

  void make_ready(const std::string& destination, Lane& lane) {
    if (lane.ready || lane.queue.empty() || lane.in_flight >= lane.limit) return;
    lane.ready = true;
    ready_.push_back(destination);
  }

  std::size_t cap_;
  std::size_t in_flight_ = 0;
  std::size_t queued_ = 0;
  std::map<std::string, Lane, std::less<>> lanes_;
  std::deque<std::string> ready_;  // destinations with queued work and a free slot, in turn order
};

}  // namespace hookgate::engine
