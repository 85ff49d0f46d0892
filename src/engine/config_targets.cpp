// Each configured destination bound to the sender of its kind: HTTP through the connection
// pool, commands and files on the blocking pool.
#include "config_targets.hpp"

namespace hookgate::engine {

namespace {

// A delivery claimed before its destination was paused (or by a node that learnt of the pause
// late) goes back, without an attempt, for this long; claims skip the destination meanwhile.
constexpr std::int64_t kPausedHoldMs = 1000;

Gate pause_gate(const DestinationPauses* pauses, const std::string& name, std::int64_t now_ms) {
  if (pauses != nullptr && pauses->paused(name)) {
    return Gate{Gate::Action::postpone, now_ms + kPausedHoldMs, ""};
  }
  return {};
}

class ConfigTarget : public Target {
 public:
  ConfigTarget(config::Destination destination, Sender& sender, RetrySchedule schedule,
               BlockingPool& pool, const DestinationPauses* pauses)
      : destination_(std::move(destination)),
        sender_(sender),
        schedule_(std::move(schedule)),
        pool_(pool),
        pauses_(pauses) {}

  std::size_t concurrency() const override { return destination_.concurrency; }
  std::chrono::milliseconds timeout() const override { return destination_.timeout; }
  const RetrySchedule& schedule() const override { return schedule_; }
  bool http() const override { return destination_.kind == config::Destination::Kind::http; }
  Gate before(const store::Delivery& /*delivery*/, std::int64_t now_ms) override {
    return pause_gate(pauses_, destination_.name, now_ms);
  }
  // The pause is read from memory: cheap enough for the thread that completed an attempt.
  bool quick_gate() const override { return true; }
  void send_async(const store::Delivery& delivery, int attempt, SendDone done) override {
    pool_.post([this, delivery, attempt, done = std::move(done)](bool run) {
      SendResult result;
      if (run) {
        result = sender_.send(delivery, destination_, attempt);
      } else {
        result.outcome.error = "cancelled: the gateway is stopping";
      }
      done(std::move(result));
    });
  }
  void after(const store::Delivery& /*delivery*/, const SendResult& /*result*/, Verdict /*verdict*/,
             std::int64_t /*now_ms*/) override {}

 private:
  config::Destination destination_;
  Sender& sender_;
  RetrySchedule schedule_;
  BlockingPool& pool_;
  const DestinationPauses* pauses_;
};

class HttpTarget : public Target {
 public:
  HttpTarget(config::Destination destination, HttpSender& http, RetrySchedule schedule,
             net::HttpPool& pool, const DestinationPauses* pauses)
      : destination_(std::move(destination)),
        http_(http),
        schedule_(std::move(schedule)),
        pool_(pool),
        pauses_(pauses) {}

  std::size_t concurrency() const override { return destination_.concurrency; }
  std::chrono::milliseconds timeout() const override { return destination_.timeout; }
  const RetrySchedule& schedule() const override { return schedule_; }
  bool http() const override { return true; }
  Gate before(const store::Delivery& /*delivery*/, std::int64_t now_ms) override {
    return pause_gate(pauses_, destination_.name, now_ms);
  }
  // The pause is read from memory: cheap enough for the thread that completed an attempt.
  bool quick_gate() const override { return true; }
  void send_async(const store::Delivery& delivery, int /*attempt*/, SendDone done) override {
    auto request = http_.request(delivery, destination_);  // its timeout is the destination's
    if (!request) {
      SendResult result;
      result.outcome.error = request.error();
      done(std::move(result));
      return;
    }
    pool_.send(std::move(request.value()),
               [done = std::move(done)](Result<net::HttpClientResponse> response) {
                 done(send_result(std::move(response)));
               });
  }
  void after(const store::Delivery& /*delivery*/, const SendResult& /*result*/, Verdict /*verdict*/,
             std::int64_t /*now_ms*/) override {}

 private:
  config::Destination destination_;
  HttpSender& http_;
  RetrySchedule schedule_;
  net::HttpPool& pool_;
  const DestinationPauses* pauses_;
};

}  // namespace

ConfigTargets::ConfigTargets(const config::Config& config, HttpSender& http, net::HttpPool& pool,
                             const DestinationPauses* pauses)
    : pauses_(pauses), blocking_(config.delivery.workers) {
  const RetrySchedule schedule{config.delivery.schedule, config.delivery.jitter};
  for (const auto& d : config.destinations) {
    if (d.kind == config::Destination::Kind::http) {
      targets_.emplace(d.name, std::make_shared<HttpTarget>(d, http, schedule, pool, pauses));
      continue;
    }
    Sender* sender = &command_;
    if (d.kind == config::Destination::Kind::file) sender = &file_;
    targets_.emplace(d.name,
                     std::make_shared<ConfigTarget>(d, *sender, schedule, blocking_, pauses));
  }
}

std::shared_ptr<Target> ConfigTargets::find(std::string_view destination) {
  const auto it = targets_.find(destination);
  return it == targets_.end() ? nullptr : it->second;
}

std::vector<std::string> ConfigTargets::paused() {
  return pauses_ != nullptr ? pauses_->paused_names() : std::vector<std::string>();
}

}  // namespace hookgate::engine
