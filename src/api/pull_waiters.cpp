// The parked-poll registry and its timer thread.
#include "api/pull_waiters.hpp"

#include <vector>

namespace hookgate::api {

namespace {

// A poll no worker could take is offered again after this long.
constexpr std::chrono::milliseconds kRetryRefused{100};

}  // namespace

PullWaiters::PullWaiters(std::size_t max_parked, std::chrono::milliseconds recheck)
    : max_parked_(max_parked), recheck_(recheck), timer_([this] { run(); }) {}

PullWaiters::~PullWaiters() {
  stop();
}

std::uint64_t PullWaiters::generation(const std::string& source) const {
  const std::lock_guard lock(m_);
  const auto it = generations_.find(source);
  return it == generations_.end() ? 0 : it->second;
}

std::chrono::steady_clock::time_point PullWaiters::next_recheck() const {
  return recheck_.count() > 0 ? std::chrono::steady_clock::now() + recheck_
                              : std::chrono::steady_clock::time_point::max();
}

PullWaiters::Park PullWaiters::park(std::shared_ptr<ParkedPoll> poll, std::uint64_t seen) {
  {
    const std::lock_guard lock(m_);
    if (stopping_) return Park::stopping;
    const auto it = generations_.find(poll->source);
    if ((it == generations_.end() ? 0 : it->second) != seen) return Park::stale;
    if (count_ >= max_parked_) return Park::full;
    insert(next_id_++, Entry{std::move(poll), next_recheck()});
  }
  cv_.notify_one();  // the timer may have to wake earlier for this deadline
  return Park::parked;
}

void PullWaiters::notify(const std::string& source) {
  std::vector<std::pair<std::uint64_t, Entry>> woken;
  {
    const std::lock_guard lock(m_);
    // Callers pass configured source names only, so the map stays as small as the config.
    ++generations_[source];
    if (const auto it = parked_.find(source); it != parked_.end()) {
      for (auto& [id, entry] : it->second)
        woken.emplace_back(id, std::move(entry));
      count_ -= it->second.size();
      parked_.erase(it);
    }
  }
  std::vector<std::pair<std::uint64_t, Entry>> refused;
  for (auto& w : woken) {
    if (!w.second.poll->resume()) refused.push_back(std::move(w));
  }
  if (refused.empty()) return;
  {
    const std::lock_guard lock(m_);
    if (!stopping_) {
      for (auto& r : refused) {
        r.second.recheck_at = std::chrono::steady_clock::now() + kRetryRefused;
        insert(r.first, std::move(r.second));
      }
      refused.clear();
    }
  }
  for (auto& r : refused)
    r.second.poll->expire();  // stopped meanwhile: answer it like the others
  cv_.notify_one();
}

void PullWaiters::insert(std::uint64_t id, Entry entry) {
  const std::string source = entry.poll->source;
  parked_[source].emplace(id, std::move(entry));
  ++count_;
}

void PullWaiters::stop() {
  std::map<std::string, std::map<std::uint64_t, Entry>, std::less<>> all;
  {
    const std::lock_guard lock(m_);
    stopping_ = true;
    all.swap(parked_);
    count_ = 0;
  }
  cv_.notify_one();
  for (auto& [source, polls] : all) {
    for (auto& [id, e] : polls)
      e.poll->expire();
  }
  if (timer_.joinable() && timer_.get_id() != std::this_thread::get_id()) timer_.join();
}

std::size_t PullWaiters::parked() const {
  const std::lock_guard lock(m_);
  return count_;
}

void PullWaiters::run() {
  for (;;) {
    try {
      tick_until_stopped();
      return;
    } catch (const std::exception&) {
      // Out of memory while sorting out deadlines: the polls in hand are lost to their
      // connections' own timeouts; the rest stay parked. Try again rather than end the thread.
      std::this_thread::sleep_for(kRetryRefused);
    }
  }
}

void PullWaiters::tick_until_stopped() {
  std::unique_lock lock(m_);
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    auto wake = std::chrono::steady_clock::time_point::max();
    std::vector<Entry> expired, recheck;
    for (auto source = parked_.begin(); source != parked_.end();) {
      auto& polls = source->second;
      for (auto it = polls.begin(); it != polls.end();) {
        auto& e = it->second;
        if (e.poll->deadline <= now) {
          expired.push_back(std::move(e));
          it = polls.erase(it);
          --count_;
        } else if (e.recheck_at <= now) {
          recheck.push_back(std::move(e));
          it = polls.erase(it);
          --count_;
        } else {
          wake = std::min({wake, e.poll->deadline, e.recheck_at});
          ++it;
        }
      }
      source = polls.empty() ? parked_.erase(source) : std::next(source);
    }
    if (expired.empty() && recheck.empty()) {
      if (wake == std::chrono::steady_clock::time_point::max()) {
        cv_.wait(lock);
      } else {
        cv_.wait_until(lock, wake);
      }
      continue;
    }
    // Callbacks run unlocked: resume may park the poll again from a worker meanwhile.
    lock.unlock();
    for (auto& e : expired)
      e.poll->expire();
    std::vector<Entry> refused;
    for (auto& e : recheck) {
      if (!e.poll->resume()) refused.push_back(std::move(e));
    }
    lock.lock();
    for (auto& e : refused) {
      if (stopping_) {
        lock.unlock();
        e.poll->expire();
        lock.lock();
        continue;
      }
      e.recheck_at = std::chrono::steady_clock::now() + kRetryRefused;
      insert(next_id_++, std::move(e));
    }
  }
}

}  // namespace hookgate::api
