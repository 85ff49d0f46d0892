// The delivery engine. Four threads of its own, none of which waits for a destination:
// - the claimer takes due work from the store in batches, with room per destination from the
//   fair scheduler (a destination at its limit gets none), and sleeps until the earliest due
//   time it knows of (the store's next due time, a retry this node scheduled, idle_poll at most)
//   or a notify();
// - the starter takes work from the fair scheduler in turn, applies each target's gate (rate
//   limit, breaker, disabled endpoint) and starts attempts, which complete on the targets' own
//   threads (event loops, the blocking pool); the thread that completes an attempt starts the
//   next one its destination holds claimed in the freed slot when the target's gate is quick
//   (Target::quick_gate), so a busy destination's attempts follow each other on its event loop
//   without waking the starter;
// - the pacer holds rate-limited sends on timers and starts each at its reserved slot;
// - the recorder writes attempt results and postponements in batches (finish_many,
//   postpone_many), then tells the targets and the observer.
// Every claimed delivery is held in exactly one place (the scheduler's queue, in flight, a pacing
// timer, or the recorder's batch) and counts against max_in_flight until it is recorded.
#include "hookgate/engine/dispatcher.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "engine/fair_scheduler.hpp"

namespace hookgate::engine {

namespace {

using Clock = std::chrono::steady_clock;

struct Job {
  store::Delivery delivery;
  std::shared_ptr<Target> target;
};

// One write for the recorder: an attempt's result (or a give-up without attempt), or a delivery
// handed back without one.
struct Record {
  bool postpone = false;
  store::Finished finished;
  store::Postponement postponement;
  std::string destination;
  std::shared_ptr<Target> target;  // told after() when set
  store::Delivery delivery;        // for after()
  SendResult result;
  Verdict verdict = Verdict::delivered;
  bool report = false;  // an attempt (or give-up) the observer hears of
  double took_ms = 0;   // the attempt's duration, finer than the recorded whole milliseconds
};

// Retry times this node scheduled, kept to wake the claimer at the earliest; bounded (the store's
// next due time covers the ones dropped).
constexpr std::size_t kMaxLocalDue = 65'536;
// Jobs the starter takes from the scheduler per turn of its loop.
constexpr std::size_t kStartBatch = 64;
// Claim ahead: a destination may hold at most this many rounds of its concurrency waiting.
constexpr std::size_t kMaxAheadRounds = 16;
// Destinations without work held that a claim lists with room beyond one round, at most.
constexpr std::size_t kMaxAheadListed = 256;
// A fast destination holds at least what it drains in this long, so it is claimed about once
// per half of it at most: a claim is a store transaction, and one per few deliveries would cost
// more CPU than the deliveries (claims no longer wait for a sync, so their round trip alone
// would size them small).
constexpr std::int64_t kMinClaimSpacingMs = 20;
// Weight of the newest sample in the running averages of attempt and claim durations.
constexpr double kAverageWeight = 0.2;
// Destinations whose attempt durations are kept; past it the averages start again.
constexpr std::size_t kMaxPaced = 16'384;

// Set while a thread runs the attempts it took over from the ones it completed: an attempt that
// completes inside its own start (a target answering at once) then leaves its slot to the
// starter, so these starts never nest.
thread_local bool running_handed_over = false;

}  // namespace

struct Dispatcher::Impl {
  store::Store& store;
  TargetDirectory& targets;
  DispatcherOptions options;
  Now now;
  Observer observer;

  mutable std::mutex m;
  std::condition_variable claimer_cv;
  std::condition_variable starter_cv;
  std::condition_variable pacer_cv;
  std::condition_variable recorder_cv;
  std::condition_variable idle_cv;
  FairScheduler<Job> scheduler;
  // Paced sends waiting for their reserved slot; each keeps its destination's slot.
  std::multimap<Clock::time_point, Job> timers;
  std::vector<Record> records;
  std::size_t recording = 0;  // records queued or being written
  // Destinations a claim left due work of (their room was used up): a slot they free is worth a
  // new claim.
  std::set<std::string, std::less<>> hungry;
  bool wake_claim = true;  // claim as soon as there is room
  Clock::time_point next_claim_at{};
  std::multiset<std::int64_t> local_due;
  // Running averages (ms) of attempt durations per destination and of a claim's round trip,
  // which size how far ahead a destination is claimed.
  struct Pace {
    double attempt_ms = 0;
    std::size_t limit = 1;  // the destination's concurrency when last seen
  };
  std::map<std::string, Pace, std::less<>> paces;
  double claim_ms = 0;
  bool stopping = false;
  bool recorder_stop = false;
  bool closed = false;

  std::mutex random_m;
  std::mt19937_64 random{std::random_device{}()};
  std::thread claimer;
  std::thread starter;
  std::thread pacer;
  std::thread recorder;

  Impl(store::Store& s, TargetDirectory& t, DispatcherOptions o, Now n, Observer obs)
      : store(s),
        targets(t),
        options(std::move(o)),
        now(std::move(n)),
        observer(std::move(obs)),
        scheduler(options.max_in_flight) {}

  // Claimed and not yet recorded, with m held.
  std::size_t held() const { return scheduler.in_flight() + scheduler.queued() + recording; }
  bool room_left() const { return held() < options.max_in_flight; }

  double random01() {
    const std::lock_guard lock(random_m);
    return std::uniform_real_distribution<double>(0.0, 1.0)(random);
  }

  Record give_up_record(const store::Delivery& d, std::string reason) const {
    Record r;
    r.finished.attempt.delivery_id = d.id;
    r.finished.attempt.number = d.attempts + 1;
    r.finished.attempt.started_ms = now();
    r.finished.attempt.error = std::move(reason);
    r.finished.next = store::Next::give_up;
    r.destination = d.destination;
    r.verdict = Verdict::give_up;
    r.report = true;
    return r;
  }

  static Record postpone_record(const store::Delivery& d, std::int64_t due_ms) {
    Record r;
    r.postpone = true;
    r.postponement = {d.id, due_ms};
    r.destination = d.destination;
    return r;
  }

  // With m held: a slot of destination is free again, or (next given) taken at once by the
  // destination's next claimed job, which the caller then starts itself: the starter is woken
  // only for a slot it may fill. A destination a claim left work of wakes the claimer once it
  // has drained to half of what it may hold, not at every freed slot (a claim per delivery), and
  // without waiting for the recorder: records do not hold a destination's room, so the next claim
  // overlaps the sync of the records before it.
  void release(const std::string& destination, std::optional<Job>* next) {
    if (next != nullptr && !stopping) {
      *next =
          scheduler.hand_over(destination, [](const Job& job) { return job.target->quick_gate(); });
    } else {
      scheduler.finish(destination);
    }
    if (!wake_claim && hungry.contains(destination) && scheduler.low(destination)) {
      wake_claim = true;
      claimer_cv.notify_one();
    }
    if (next == nullptr || !next->has_value()) starter_cv.notify_one();
  }

  // With m held: how much of destination (concurrency limit) may wait to start. One round,
  // unless its attempts end so fast that a round drains before the next claim comes back: then
  // what it drains in two claim round trips (kMinClaimSpacingMs at least), so its slots never
  // stand empty while a claim is in the store. Bounded in rounds, by max_in_flight, and so that the
  // last of it starts within a quarter of its lease at the rate the destination answers.
  std::size_t ahead(std::string_view destination, std::size_t limit) const {
    limit = std::max<std::size_t>(1, limit);
    const auto it = paces.find(destination);
    if (it == paces.end() || it->second.attempt_ms <= 0 || claim_ms <= 0) return limit;
    const double per_ms = static_cast<double>(limit) / std::max(0.05, it->second.attempt_ms);
    const double wanted =
        per_ms * std::max(2 * claim_ms + 1, static_cast<double>(kMinClaimSpacingMs));
    const double by_lease = per_ms * static_cast<double>(options.lease.count()) / 4;
    const double cap = std::min({static_cast<double>(kMaxAheadRounds * limit),
                                 static_cast<double>(options.max_in_flight) / 2, by_lease});
    return std::max(limit, static_cast<std::size_t>(std::max(0.0, std::min(wanted, cap))));
  }

  static void average(double& into, double sample) {
    into = into <= 0 ? sample : into + kAverageWeight * (sample - into);
  }

  // The job's slot is released and its record queued, in one step, so held() never dips
  // between them (the claimer would take more than max_in_flight). hand_over: the caller starts
  // the destination's next job in the slot (returned) itself.
  std::optional<Job> settle(Record record, bool hand_over = false) {
    std::optional<Job> next;
    {
      const std::lock_guard lock(m);
      if (closed) return next;
      if (record.target && !record.postpone) {
        if (paces.size() >= kMaxPaced && !paces.contains(record.destination)) paces.clear();
        auto& pace = paces[record.destination];
        average(pace.attempt_ms, record.took_ms);
        pace.limit = std::max<std::size_t>(1, record.target->concurrency());
      }
      release(record.destination, hand_over ? &next : nullptr);
      records.push_back(std::move(record));
      ++recording;
      // The recorder waits for the first record of a batch, then for a full batch or its delay:
      // waking it at every record in between would cost a context switch per delivery.
      if (records.size() != 1 && records.size() < options.record_batch) return next;
    }
    recorder_cv.notify_one();
    return next;
  }

  // Starts the jobs handed over to this thread by the attempts it completed, one after the other
  // (a gate that gives up or postpones hands the slot on again), never nested.
  void run_handed_over(std::optional<Job> next) {
    struct Running {
      Running() { running_handed_over = true; }
      ~Running() { running_handed_over = false; }
      Running(const Running&) = delete;
      Running& operator=(const Running&) = delete;
    } running;
    while (next)
      next = begin(std::move(*next), true);
  }

  // ---- claimer ----

  void claim_loop() {
    for (;;) {
      store::ClaimRequest request;
      {
        std::unique_lock lock(m);
        for (;;) {
          if (stopping) return;
          if (room_left() && (wake_claim || Clock::now() >= next_claim_at)) break;
          if (!room_left()) {
            claimer_cv.wait(lock);
          } else {
            claimer_cv.wait_until(lock, next_claim_at);
          }
        }
        wake_claim = false;
        next_claim_at = Clock::now() + options.idle_poll;
        request.limit = std::min(options.batch, options.max_in_flight - held());
        request.room = scheduler.rooms();
        // A fast destination whose work all ended before this claim keeps its room beyond one
        // round (without it, the claim would give it default_room).
        std::size_t listed = 0;
        for (const auto& [name, pace] : paces) {
          if (listed == kMaxAheadListed) break;
          if (request.room.contains(name)) continue;
          const auto wanted = ahead(name, pace.limit);
          if (wanted <= pace.limit) continue;
          request.room.emplace(name, pace.limit + wanted);
          ++listed;
        }
        hungry.clear();
      }
      // A paused destination gets no room: its deliveries stay pending, unclaimed.
      for (auto& name : targets.paused())
        request.room.insert_or_assign(std::move(name), 0);
      request.now_ms = now();
      request.owner = options.owner;
      request.lease_ms = options.lease.count();
      request.default_room = options.default_room;
      const auto claim_started = Clock::now();
      auto claimed = store.claim(request);
      if (!claimed) continue;  // a store hiccup: tried again at next_claim_at (idle_poll)
      {
        const std::lock_guard lock(m);
        average(claim_ms,
                std::chrono::duration<double, std::milli>(Clock::now() - claim_started).count());
      }
      take(request, std::move(claimed.value()));
    }
  }

  void take(const store::ClaimRequest& request, store::Claimed claimed) {
    std::vector<Job> jobs;
    std::vector<Record> out;
    jobs.reserve(claimed.deliveries.size());
    // One look-up per destination and claim, not per delivery: a target is read from the store
    // (an endpoint's record, its secrets opened), and a claim of a fast destination holds up to
    // two rounds of its concurrency. Each claim still reads it afresh, so an edit applies to the
    // next claim on every node.
    std::map<std::string, std::shared_ptr<Target>, std::less<>> found;
    for (auto& d : claimed.deliveries) {
      auto known = found.find(d.destination);
      if (known == found.end())
        known = found.emplace(d.destination, targets.find(d.destination)).first;
      auto target = known->second;
      if (!target) {
        out.push_back(
            give_up_record(d, "destination '" + d.destination + "' is no longer configured"));
        continue;
      }
      jobs.push_back(Job{std::move(d), std::move(target)});
    }
    const auto count = claimed.deliveries.size();
    const auto now_ms = request.now_ms;
    {
      const std::lock_guard lock(m);
      std::map<std::string, std::size_t, std::less<>> taken;
      // What each destination may hold, fixed for this claim: at least what the claim's room
      // granted. ahead() may have shrunk since the request (this claim's own duration moved the
      // average it reads), and work the store leased within the room it was given is started,
      // not handed back: a hand-back costs a store write and a claim again.
      std::map<std::string, std::size_t, std::less<>> may_wait;
      for (auto& job : jobs) {
        const auto& name = job.delivery.destination;
        ++taken[name];
        const auto limit = std::max<std::size_t>(1, job.target->concurrency());
        auto bound = may_wait.find(name);
        if (bound == may_wait.end()) {
          const auto it = request.room.find(name);
          const auto granted = it == request.room.end() ? request.default_room : it->second;
          // Bounded by max_in_flight: a store that ignores room cannot make a lane unbounded.
          const auto whole =
              std::min(scheduler.held(name) + std::min(granted, options.max_in_flight),
                       options.max_in_flight);
          bound =
              may_wait.emplace(name, std::max(ahead(name, limit), whole - std::min(whole, limit)))
                  .first;
        }
        if (!scheduler.push(name, limit, job, bound->second)) {
          // More than one round of this destination (a store whose claim does not apply room):
          // handed back, due again after busy_backoff.
          out.push_back(postpone_record(job.delivery, now_ms + options.busy_backoff.count()));
          hungry.insert(name);
        }
      }
      for (const auto& [name, room] : request.room) {
        if (room == 0) hungry.insert(name);
      }
      for (const auto& [name, n] : taken) {
        const auto it = request.room.find(name);
        const auto room = it == request.room.end() ? request.default_room : it->second;
        if (n >= room) hungry.insert(name);
      }
      recording += out.size();
      for (auto& r : out)
        records.push_back(std::move(r));
      while (!local_due.empty() && *local_due.begin() <= now_ms)
        local_due.erase(local_due.begin());
      if (count >= request.limit) {
        wake_claim = true;  // more may be due right now
      } else {
        std::int64_t wake_ms = now_ms + options.idle_poll.count();
        if (claimed.next_due_ms) wake_ms = std::min(wake_ms, *claimed.next_due_ms);
        if (!local_due.empty()) wake_ms = std::min(wake_ms, *local_due.begin());
        next_claim_at =
            Clock::now() + std::chrono::milliseconds(std::max<std::int64_t>(0, wake_ms - now_ms));
      }
    }
    starter_cv.notify_one();
    if (!out.empty()) recorder_cv.notify_one();
  }

  // ---- starter ----

  void start_loop() {
    std::unique_lock lock(m);
    for (;;) {
      if (stopping) return;
      std::vector<Job> jobs;
      while (jobs.size() < kStartBatch) {
        auto started = scheduler.next();
        if (!started) break;
        jobs.push_back(std::move(started->job));
      }
      if (jobs.empty()) {
        starter_cv.wait(lock);
        continue;
      }
      lock.unlock();
      for (auto& job : jobs)
        begin(std::move(job));
      lock.lock();
    }
  }

  // Its own thread, so a paced send goes out at its slot even while the starter waits for the
  // store in another job's gate (a rate-limit reservation is a store write).
  void pace_loop() {
    std::unique_lock lock(m);
    for (;;) {
      if (stopping) return;
      std::vector<Job> due;
      const auto t = Clock::now();
      while (!timers.empty() && timers.begin()->first <= t) {
        due.push_back(std::move(timers.begin()->second));
        timers.erase(timers.begin());
      }
      if (due.empty()) {
        if (timers.empty()) {
          pacer_cv.wait(lock);
        } else {
          pacer_cv.wait_until(lock, timers.begin()->first);
        }
        continue;
      }
      lock.unlock();
      for (auto& job : due)
        begin(std::move(job));
      lock.lock();
    }
  }

  // Gates one job that holds a slot of its destination, then starts its attempt, waits for its
  // paced slot, or hands it back. handed: run by run_handed_over, which starts the job returned
  // (the destination's next, in the slot this one left without an attempt).
  std::optional<Job> begin(Job job, bool handed = false) {
    const auto& d = job.delivery;
    Target& target = *job.target;
    const auto now_ms = now();
    Gate gate;
    try {
      gate = target.before(d, now_ms);
    } catch (...) {
      gate = Gate{Gate::Action::postpone, now_ms + options.busy_backoff.count(), ""};
    }
    const auto timeout = target.timeout().count();
    // At most half of what the lease leaves beyond the timeout (the config guarantees a second),
    // so work started promptly after its claim is never handed back.
    const auto margin =
        std::min<std::int64_t>(options.lease_margin.count(),
                               std::max<std::int64_t>(0, (options.lease.count() - timeout) / 2));
    switch (gate.action) {
      case Gate::Action::give_up:
        return settle(give_up_record(d, gate.reason), handed);
      case Gate::Action::postpone:
        return settle(postpone_record(d, gate.until_ms), handed);
      case Gate::Action::wait:
        if (gate.until_ms - now_ms <= options.pace_horizon.count() &&
            gate.until_ms + timeout + margin <= d.lease_until_ms) {
          const auto at = Clock::now() + std::chrono::milliseconds(gate.until_ms - now_ms);
          const std::lock_guard lock(m);
          if (stopping) {
            // Left to its lease, like the queued work stop() drops.
            scheduler.finish(d.destination);
            idle_cv.notify_all();
            return std::nullopt;
          }
          timers.emplace(at, std::move(job));
          pacer_cv.notify_one();
          return std::nullopt;
        }
        return settle(postpone_record(d, gate.until_ms), handed);
      case Gate::Action::send:
        break;
    }
    if (now_ms + timeout + margin > d.lease_until_ms) {
      // Too little lease left for a whole attempt: claimed again under a new lease instead.
      return settle(postpone_record(d, now_ms), handed);
    }
    send(std::move(job), now_ms);
    return std::nullopt;
  }

  void send(Job job, std::int64_t started_ms) {
    auto shared = std::make_shared<Job>(std::move(job));
    const int number = shared->delivery.attempts + 1;
    const auto started = Clock::now();
    auto once = std::make_shared<std::atomic<bool>>(false);
    auto self = self_ptr.lock();
    auto done = [self, shared, number, started_ms, started, once](SendResult result) {
      if (once->exchange(true)) return;
      try {
        self->completed(*shared, number, started_ms, started, std::move(result));
      } catch (...) {
        // Out of memory building the record: the delivery keeps its lease and is retried.
      }
    };
    try {
      shared->target->send_async(shared->delivery, number, done);
    } catch (const std::exception& e) {
      SendResult failed;
      failed.outcome.error = std::string("internal error: ") + e.what();
      done(std::move(failed));
    } catch (...) {
      SendResult failed;
      failed.outcome.error = "internal error";
      done(std::move(failed));
    }
  }

  // On whichever thread the target answered: makes the attempt's record, and starts the
  // destination's next claimed attempt here when its gate is quick (unless this completion came
  // inside a start this thread is running already).
  void completed(Job& job, int number, std::int64_t started_ms, Clock::time_point started,
                 SendResult result) {
    Record r;
    auto& f = r.finished;
    f.attempt.delivery_id = job.delivery.id;
    f.attempt.number = number;
    f.attempt.started_ms = started_ms;
    const auto took = Clock::now() - started;
    f.attempt.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
    r.took_ms = std::chrono::duration<double, std::milli>(took).count();
    f.attempt.status = result.outcome.status;
    f.attempt.error = result.outcome.error;
    f.attempt.response = result.response;
    Target& target = *job.target;
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
    r.destination = job.delivery.destination;
    r.target = std::move(job.target);
    // The job is spent: its delivery moves to the record. after() needs who and what happened,
    // not the payload.
    r.delivery = std::move(job.delivery);
    r.delivery.event.body.clear();
    r.result = std::move(result);
    r.verdict = verdict;
    r.report = true;
    const bool nested = running_handed_over;
    auto next = settle(std::move(r), !nested);
    if (next) run_handed_over(std::move(next));
  }

  // ---- recorder ----

  void record_loop() {
    std::unique_lock lock(m);
    for (;;) {
      recorder_cv.wait(lock, [&] { return recorder_stop || !records.empty(); });
      if (records.empty()) return;  // stopping, and everything is written
      // Gathers a batch: a few ms at most after the first record, or until it is full.
      recorder_cv.wait_for(lock, options.record_delay,
                           [&] { return recorder_stop || records.size() >= options.record_batch; });
      std::vector<Record> batch;
      if (records.size() <= options.record_batch) {
        batch.swap(records);
      } else {
        const auto end = records.begin() + static_cast<std::ptrdiff_t>(options.record_batch);
        batch.assign(std::make_move_iterator(records.begin()), std::make_move_iterator(end));
        records.erase(records.begin(), end);
      }
      lock.unlock();
      write(batch);
      lock.lock();
      recording -= batch.size();
      std::optional<std::int64_t> earliest;
      // Retries and postponements this node scheduled: the claimer wakes when they fall due.
      for (const auto& r : batch) {
        std::int64_t due = 0;
        if (r.postpone) {
          due = r.postponement.due_ms;
        } else if (r.finished.next == store::Next::retry) {
          due = r.finished.retry_at_ms;
        } else {
          continue;
        }
        local_due.insert(due);
        if (!earliest || due < *earliest) earliest = due;
      }
      while (local_due.size() > kMaxLocalDue)
        local_due.erase(std::prev(local_due.end()));
      if (earliest) {
        const auto at =
            Clock::now() + std::chrono::milliseconds(std::max<std::int64_t>(0, *earliest - now()));
        next_claim_at = std::min(next_claim_at, at);
      }
      claimer_cv.notify_one();
      idle_cv.notify_all();
    }
  }

  void write(std::vector<Record>& batch) {
    std::vector<store::Finished> finished;
    std::vector<store::Postponement> postponed;
    for (const auto& r : batch) {
      if (r.postpone) {
        postponed.push_back(r.postponement);
      } else {
        finished.push_back(r.finished);
      }
    }
    // A refused finish means the lease expired and another claimer owns the delivery now: its
    // result is the one that counts. A failed write leaves the lease to expire: retried.
    if (!finished.empty()) (void)store.finish_many(finished, options.owner);
    if (!postponed.empty()) (void)store.postpone_many(postponed, options.owner);
    for (auto& r : batch) {
      if (!r.report) continue;
      report(r);
      if (!r.target) continue;
      try {
        r.target->after(r.delivery, r.result, r.verdict, now());
      } catch (...) {
        // after() updates breakers and endpoint state; the attempt itself is recorded already.
      }
    }
  }

  void report(const Record& r) const {
    if (!observer) return;
    try {
      observer(AttemptReport{r.destination, r.finished.attempt, r.verdict,
                             r.finished.next == store::Next::give_up});
    } catch (...) {
      // An observer is metrics and logs: its failure must not stop deliveries.
    }
  }

  std::weak_ptr<Impl> self_ptr;
};

Dispatcher::Dispatcher(store::Store& store, TargetDirectory& targets, DispatcherOptions options,
                       Now now, Observer observer) {
  if (options.max_in_flight == 0) options.max_in_flight = 1;
  if (options.batch == 0) options.batch = 1;
  if (options.record_batch == 0) options.record_batch = 1;
  impl_ = std::make_shared<Impl>(store, targets, std::move(options), std::move(now),
                                 std::move(observer));
  impl_->self_ptr = impl_;
}

Dispatcher::~Dispatcher() {
  stop(std::chrono::milliseconds(0));
}

void Dispatcher::start() {
  auto& i = *impl_;
  if (i.claimer.joinable()) return;
  i.recorder = std::thread([&i] { i.record_loop(); });
  i.starter = std::thread([&i] { i.start_loop(); });
  i.pacer = std::thread([&i] { i.pace_loop(); });
  i.claimer = std::thread([&i] { i.claim_loop(); });
}

void Dispatcher::notify() {
  {
    const std::lock_guard lock(impl_->m);
    impl_->wake_claim = true;
  }
  impl_->claimer_cv.notify_one();
}

void Dispatcher::stop(std::chrono::milliseconds drain) {
  auto& i = *impl_;
  {
    const std::lock_guard lock(i.m);
    if (i.closed) return;
    i.stopping = true;
  }
  i.claimer_cv.notify_all();
  i.starter_cv.notify_all();
  i.pacer_cv.notify_all();
  if (i.claimer.joinable()) i.claimer.join();
  if (i.starter.joinable()) i.starter.join();
  if (i.pacer.joinable()) i.pacer.join();
  {
    std::unique_lock lock(i.m);
    // Work not started yet keeps its lease: it is retried after the lease, like after a crash,
    // which is the at-least-once promise anyway.
    (void)i.scheduler.take_queued();
    for (auto& [at, job] : i.timers)
      i.scheduler.finish(job.delivery.destination);
    i.timers.clear();
    i.idle_cv.wait_for(lock, drain,
                       [&] { return i.scheduler.in_flight() == 0 && i.recording == 0; });
    // Attempts still out after the drain keep their leases; their answers are dropped.
    i.recorder_stop = true;
    i.closed = true;
  }
  i.recorder_cv.notify_all();
  if (i.recorder.joinable()) i.recorder.join();
}

std::size_t Dispatcher::in_flight() const {
  const std::lock_guard lock(impl_->m);
  return impl_->scheduler.in_flight();
}

}  // namespace hookgate::engine
