// The delivery engine: a claimer thread takes due work from the store in batches no larger than
// the free workers, so nothing claimed waits in memory long enough to outlive its lease; workers
// make the attempts, record them and schedule what comes next.
#include "hookgate/engine/dispatcher.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace hookgate::engine {

namespace {

struct Job {
  store::Delivery delivery;
  std::shared_ptr<Target> target;
};

}  // namespace

struct Dispatcher::Impl {
  store::Store& store;
  TargetDirectory& targets;
  DispatcherOptions options;
  Now now;
  Observer observer;

  mutable std::mutex m;
  std::condition_variable wake_claimer;
  std::condition_variable wake_worker;
  std::condition_variable idle;
  std::deque<Job> jobs;
  std::map<std::string, std::size_t, std::less<>> busy_by_destination;
  std::map<std::string, std::deque<Job>, std::less<>> waiting;  // claimed, slot not yet free
  std::size_t running = 0;  // attempts queued or in progress (each holds a destination slot)
  std::size_t held = 0;     // claimed and not finished: running plus waiting
  std::size_t completions = 0;
  bool throttled = false;
  bool stopping = false;
  bool notified = false;
  std::mt19937_64 random{std::random_device{}()};
  std::thread claimer;
  std::vector<std::thread> workers;

  Impl(store::Store& s, TargetDirectory& t, DispatcherOptions o, Now n, Observer obs)
      : store(s), targets(t), options(std::move(o)), now(std::move(n)), observer(std::move(obs)) {}

  double random01() {
    const std::lock_guard lock(m);
    return std::uniform_real_distribution<double>(0.0, 1.0)(random);
  }

  void report(const store::Delivery& d, const store::Attempt& attempt, Verdict verdict,
              bool gave_up) {
    if (!observer) return;
    try {
      observer(AttemptReport{d.destination, attempt, verdict, gave_up});
    } catch (...) {
      // An observer is metrics and logs: its failure must not stop deliveries.
    }
  }

  void give_up(const store::Delivery& d, std::string reason) {
    store::Finished f;
    f.attempt.delivery_id = d.id;
    f.attempt.number = d.attempts + 1;
    f.attempt.started_ms = now();
    f.attempt.error = std::move(reason);
    f.next = store::Next::give_up;
    (void)store.finish(f, options.owner);
    report(d, f.attempt, Verdict::give_up, true);
  }

  void attempt(const Job& job) {
    const auto& d = job.delivery;
    Target& target = *job.target;
    const Gate gate = target.before(d, now());
    if (gate.action == Gate::Action::postpone) {
      (void)store.postpone(d.id, options.owner, gate.until_ms);
      return;
    }
    if (gate.action == Gate::Action::give_up) {
      give_up(d, gate.reason);
      return;
    }
    const int number = d.attempts + 1;
    store::Finished f;
    f.attempt.delivery_id = d.id;
    f.attempt.number = number;
    f.attempt.started_ms = now();
    const auto started = std::chrono::steady_clock::now();
    SendResult result;
    try {
      result = target.send(d, number);
    } catch (const std::exception& e) {
      result.outcome.error = std::string("internal error: ") + e.what();
    }
    f.attempt.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started)
                                .count();
    f.attempt.status = result.outcome.status;
    f.attempt.error = result.outcome.error;
    f.attempt.response = result.response;
    Verdict verdict = classify(result.outcome, target.http());
    if (verdict == Verdict::delivered && f.attempt.error.empty() && target.http() &&
        f.attempt.status == 0) {
      verdict = Verdict::retry;  // defensive: no answer is never a success
    }
    f.next = store::Next::delivered;
    if (verdict == Verdict::retry) {
      const auto& schedule = target.schedule();
      const auto delay = next_delay(schedule.delays, number, schedule.jitter, random01(),
                                    result.outcome.retry_after);
      if (delay) {
        f.next = store::Next::retry;
        f.retry_at_ms = now() + delay->count();
      } else {
        f.next = store::Next::give_up;
      }
    } else if (verdict == Verdict::give_up) {
      f.next = store::Next::give_up;
    }
    // A refused finish means the lease expired and another claimer owns the delivery now: its
    // result is the one that counts, so nothing more is done here.
    (void)store.finish(f, options.owner);
    report(d, f.attempt, verdict, f.next == store::Next::give_up);
    try {
      target.after(d, result, verdict, now());
    } catch (...) {
      // after() updates breakers and endpoint state; the attempt itself is recorded already.
    }
  }

  void work() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(m);
        wake_worker.wait(lock, [&] { return stopping || !jobs.empty(); });
        if (jobs.empty()) return;  // stopping and drained
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      attempt(job);
      {
        const std::lock_guard lock(m);
        ++completions;
        auto waiting_it = waiting.find(job.delivery.destination);
        if (waiting_it != waiting.end() && !waiting_it->second.empty()) {
          // The slot passes to the next delivery of the same destination: held, not re-queued.
          jobs.push_back(std::move(waiting_it->second.front()));
          waiting_it->second.pop_front();
          if (waiting_it->second.empty()) waiting.erase(waiting_it);
          wake_worker.notify_one();
        } else {
          --running;
          auto it = busy_by_destination.find(job.delivery.destination);
          if (it != busy_by_destination.end() && --it->second == 0) {
            busy_by_destination.erase(it);
          }
        }
        --held;
      }
      wake_claimer.notify_one();
      idle.notify_all();
    }
  }

  void claim() {
    // When work was last handed back: it is due again busy_backoff later, so until then the
    // claimer polls at that pace rather than sleeping a whole idle_poll.
    std::chrono::steady_clock::time_point handed_back_at{};
    for (;;) {
      std::size_t want = 0;
      {
        std::unique_lock lock(m);
        // After a claim that had to hand work back (a destination at its limit), claim only as
        // much as was finished since: claiming more would just hand it back again.
        const auto ready = [&] {
          return stopping || (held < options.workers && (!throttled || completions > 0));
        };
        while (!ready()) {
          // Bounded: a throttle that no completion lifts (the slow destination's attempts were
          // all handed to other nodes) ends after one poll interval.
          if (!wake_claimer.wait_for(lock, options.idle_poll, ready)) throttled = false;
        }
        if (stopping) return;
        want = options.workers - held;
        if (throttled) want = std::min(want, completions);
        want = std::min(want, options.batch);
        completions = 0;
        notified = false;
      }
      auto claimed = store.claim_due(now(), want, options.owner, options.lease.count());
      std::size_t taken = 0;
      std::size_t handed_back = 0;
      if (claimed) {
        taken = claimed->size();
        for (auto& d : *claimed) {
          if (!take(std::move(d))) ++handed_back;
        }
      }
      {
        const std::lock_guard lock(m);
        throttled = handed_back > 0;
      }
      if (handed_back > 0) handed_back_at = std::chrono::steady_clock::now();
      if (claimed && taken == want && handed_back == 0) continue;  // more may be due right now
      if (handed_back > 0) continue;  // wait for completions (the throttled predicate)
      const bool returning = std::chrono::steady_clock::now() - handed_back_at < options.idle_poll;
      std::unique_lock lock(m);
      wake_claimer.wait_for(lock, returning ? options.busy_backoff : options.idle_poll,
                            [&] { return stopping || notified; });
      if (stopping) return;
    }
  }

  // false when the delivery was handed back (its destination is at its limit on this node).
  bool take(store::Delivery d) {
    auto target = targets.find(d.destination);
    if (!target) {
      give_up(d, "destination '" + d.destination + "' is no longer configured");
      return true;
    }
    {
      const std::lock_guard lock(m);
      const auto limit = std::max<std::size_t>(1, target->concurrency());
      auto& busy = busy_by_destination[d.destination];
      if (busy < limit) {
        ++busy;
        ++running;
        ++held;
        jobs.push_back(Job{std::move(d), std::move(target)});
        wake_worker.notify_one();
        return true;
      }
      // One round of waiting at most: it starts within one attempt's time, well inside its
      // lease (the lease outlives the slowest timeout).
      auto& queue = waiting[d.destination];
      if (queue.size() < limit) {
        ++held;
        queue.push_back(Job{std::move(d), std::move(target)});
        return true;
      }
    }
    (void)store.postpone(d.id, options.owner, now() + options.busy_backoff.count());
    return false;
  }
};

Dispatcher::Dispatcher(store::Store& store, TargetDirectory& targets, DispatcherOptions options,
                       Now now, Observer observer)
    : impl_(std::make_unique<Impl>(store, targets, std::move(options), std::move(now),
                                   std::move(observer))) {
  if (impl_->options.workers == 0) impl_->options.workers = 1;
  if (impl_->options.batch == 0) impl_->options.batch = 1;
}

Dispatcher::~Dispatcher() {
  stop(std::chrono::milliseconds(0));
}

void Dispatcher::start() {
  auto& i = *impl_;
  if (i.claimer.joinable()) return;
  for (std::size_t n = 0; n < i.options.workers; ++n)
    i.workers.emplace_back([&i] { i.work(); });
  i.claimer = std::thread([&i] { i.claim(); });
}

void Dispatcher::notify() {
  {
    const std::lock_guard lock(impl_->m);
    impl_->notified = true;
  }
  impl_->wake_claimer.notify_one();
}

void Dispatcher::stop(std::chrono::milliseconds drain) {
  auto& i = *impl_;
  {
    const std::lock_guard lock(i.m);
    i.stopping = true;
  }
  i.wake_claimer.notify_all();
  if (i.claimer.joinable()) i.claimer.join();
  {
    std::unique_lock lock(i.m);
    // Jobs not started yet keep their leases; drop them so the workers can end. They are
    // retried after the lease, like a crash, which is the at-least-once promise anyway.
    i.running -= i.jobs.size();
    i.jobs.clear();
    i.waiting.clear();
    i.idle.wait_for(lock, drain, [&] { return i.running == 0; });
  }
  i.wake_worker.notify_all();
  for (auto& w : i.workers) {
    // A worker still in an attempt finishes it (bounded by the target's timeout) before join.
    if (w.joinable()) w.join();
  }
  i.workers.clear();
}

std::size_t Dispatcher::in_flight() const {
  const std::lock_guard lock(impl_->m);
  return impl_->running;
}

}  // namespace hookgate::engine
