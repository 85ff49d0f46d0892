// Each configured destination bound to the sender of its kind, its attempts run on the blocking
// pool.
#include "config_targets.hpp"

namespace hookgate::engine {

namespace {

class ConfigTarget : public Target {
 public:
  ConfigTarget(config::Destination destination, Sender& sender, RetrySchedule schedule,
               BlockingPool& pool)
      : destination_(std::move(destination)),
        sender_(sender),
        schedule_(std::move(schedule)),
        pool_(pool) {}

  std::size_t concurrency() const override { return destination_.concurrency; }
  std::chrono::milliseconds timeout() const override { return destination_.timeout; }
  const RetrySchedule& schedule() const override { return schedule_; }
  bool http() const override { return destination_.kind == config::Destination::Kind::http; }
  Gate before(const store::Delivery& /*delivery*/, std::int64_t /*now_ms*/) override { return {}; }
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
};

}  // namespace

ConfigTargets::ConfigTargets(const config::Config& config, Sender& http)
    : blocking_(config.delivery.workers) {
  const RetrySchedule schedule{config.delivery.schedule, config.delivery.jitter};
  for (const auto& d : config.destinations) {
    Sender* sender = &http;
    if (d.kind == config::Destination::Kind::command) sender = &command_;
    if (d.kind == config::Destination::Kind::file) sender = &file_;
    targets_.emplace(d.name, std::make_shared<ConfigTarget>(d, *sender, schedule, blocking_));
  }
}

std::shared_ptr<Target> ConfigTargets::find(std::string_view destination) {
  const auto it = targets_.find(destination);
  return it == targets_.end() ? nullptr : it->second;
}

}  // namespace hookgate::engine
