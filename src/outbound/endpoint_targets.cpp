// Signing, sealing, gating and sending one endpoint delivery.
#include "outbound/endpoint_targets.hpp"

#include <boost/json.hpp>
#include <span>

#include "engine/http_sender.hpp"
#include "hookgate/schemes/catalogue.hpp"
#include "hookgate/schemes/key.hpp"
#include "hookgate/schemes/sign.hpp"
#include "outbound/publisher.hpp"
#include "outbound/sealed_envelope.hpp"

namespace hookgate::outbound {

namespace {

constexpr std::string_view kUserAgent = "Hookgate/" HOOKGATE_VERSION;
constexpr std::int64_t kSlotSlackMs = 5;

std::string stored_content_type(const std::string& headers_json) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(headers_json, ec);
  if (!ec && v.is_object()) {
    if (const auto* ct = v.as_object().if_contains("content-type"); ct && ct->is_string()) {
      return std::string(ct->as_string());
    }
  }
  return "application/json";
}

}  // namespace

Result<PreparedKeys> prepare_keys(const Endpoint& endpoint) {
  PreparedKeys out;
  for (const auto& k : endpoint.keys) {
    auto key = endpoint.ed25519 ? schemes::Key::parse_private_key(standard_webhooks(), k.secret)
                                : schemes::Key::parse_secret(standard_webhooks(), k.secret);
    if (!key) return Error{"signing key: " + key.error()};
    out.keys.push_back(std::move(key.value()));
    out.expires_ms.push_back(k.expires_ms);
  }
  return out;
}

Result<SignedRequest> sign_for_endpoint(const Endpoint& endpoint, const PreparedKeys& prepared,
                                        std::string_view id, std::string_view payload,
                                        std::string_view content_type,
                                        std::chrono::system_clock::time_point at,
                                        std::int64_t now_ms) {
  SignedRequest out;
  out.body = std::string(payload);
  out.headers.add("User-Agent", std::string(kUserAgent));
  if (!endpoint.encryption_key.empty()) {
    auto envelope = sealed_envelope(payload, content_type, endpoint.encryption_key);
    if (!envelope) return Error{envelope.error()};
    out.body = std::move(envelope.value());
    out.headers.add("Content-Type", "application/json");
    out.headers.add("webhook-encryption", std::string(kSealedAlgorithm));
  } else {
    out.headers.add("Content-Type", std::string(content_type));
  }
  // Every key signs unless it has expired (a rotated-out secret's overlap has ended); only then
  // is a copy of the live ones made.
  std::span<const schemes::Key> keys(prepared.keys);
  std::vector<schemes::Key> live;
  const auto expired = [&](std::size_t i) {
    return prepared.expires_ms[i] != 0 && prepared.expires_ms[i] <= now_ms;
  };
  bool any_expired = false;
  for (std::size_t i = 0; i < prepared.keys.size(); ++i)
    any_expired = any_expired || expired(i);
  if (any_expired) {
    for (std::size_t i = 0; i < prepared.keys.size(); ++i) {
      if (!expired(i)) live.push_back(prepared.keys[i]);
    }
    keys = live;
  }
  if (keys.empty()) return Error{"the endpoint has no live signing key"};
  schemes::SignInput input;
  input.body = out.body;  // what is sent is what is signed
  input.id = std::string(id);
  input.timestamp = at;
  auto headers = schemes::sign(standard_webhooks(), input, keys);
  if (!headers) return Error{"signing: " + headers.error()};
  for (const auto& [name, value] : headers->items())
    out.headers.add(name, value);
  out.headers.add("webhook-app-id", endpoint.app_id);
  for (const auto& [name, value] : endpoint.headers)
    out.headers.add(name, value);
  return out;
}

Result<SignedRequest> sign_for_endpoint(const Endpoint& endpoint, std::string_view id,
                                        std::string_view payload, std::string_view content_type,
                                        std::chrono::system_clock::time_point at,
                                        std::int64_t now_ms) {
  auto keys = prepare_keys(endpoint);
  if (!keys) return Error{keys.error()};
  return sign_for_endpoint(endpoint, *keys, id, payload, content_type, at, now_ms);
}

class EndpointTarget : public engine::Target {
 public:
  // The keys are parsed here, on the claimer's thread, once per claim of the endpoint: the
  // deliveries of the claim are signed with them from any thread (read-only from then on).
  EndpointTarget(EndpointTargets& owner, Endpoint endpoint)
      : owner_(owner), endpoint_(std::move(endpoint)), keys_(prepare_keys(endpoint_)) {}

  std::size_t concurrency() const override { return owner_.settings_.concurrency; }
  std::chrono::milliseconds timeout() const override { return owner_.settings_.timeout; }
  const engine::RetrySchedule& schedule() const override { return owner_.settings_.schedule; }
  bool http() const override { return true; }

  engine::Gate before(const store::Delivery& d, std::int64_t now_ms) override {
    using engine::Gate;
    if (!endpoint_.enabled) {
      return Gate{Gate::Action::give_up, 0,
                  "endpoint disabled" + (endpoint_.disabled_reason.empty()
                                             ? std::string()
                                             : ": " + endpoint_.disabled_reason)};
    }
    if (!endpoint_.verified) return Gate{Gate::Action::give_up, 0, "endpoint not verified"};
    if (const auto until = owner_.breaker(endpoint_.id)->hold_until(now_ms, {d.id, d.manual()})) {
      return Gate{Gate::Action::postpone, *until, ""};
    }
    if (endpoint_.rate_limit > 0 && !owner_.take_reserved(d.id, now_ms)) {
      const auto interval = static_cast<std::int64_t>(1000.0 / endpoint_.rate_limit);
      auto slot = owner_.store_.reserve_slot(endpoint_destination(endpoint_.id),
                                             std::max<std::int64_t>(1, interval),
                                             endpoint_.rate_burst, now_ms);
      // The slot is this delivery's: the dispatcher sends it then (waiting here when the slot is
      // near, else postponing it), and the next before() of it takes the slot without reserving
      // again (which would push it back forever).
      if (slot && *slot > now_ms) {
        owner_.keep_reserved(d.id, *slot);
        return Gate{Gate::Action::wait, *slot, ""};
      }
    }
    return {};
  }

  // A rate limit reserves its slot in the store (shared by the nodes): that one stays off the
  // event loops. The other gates are reads of this node's memory.
  bool quick_gate() const override { return endpoint_.rate_limit <= 0; }

  void send_async(const store::Delivery& d, int /*attempt*/, engine::SendDone done) override {
    // webhook-id is the message's public id, the id the API returns for it.
    if (!keys_) {
      engine::SendResult result;
      result.outcome.error = keys_.error();
      done(std::move(result));
      return;
    }
    auto request = sign_for_endpoint(endpoint_, *keys_, d.event.public_id, d.event.body,
                                     stored_content_type(d.event.headers),
                                     std::chrono::system_clock::now(), owner_.now_ms_());
    if (!request) {
      engine::SendResult result;
      result.outcome.error = request.error();
      done(std::move(result));
      return;
    }
    net::OutboundRequest out;
    out.url = endpoint_.url;
    out.headers = std::move(request->headers);
    out.body = std::move(request->body);
    out.timeout = owner_.settings_.timeout;
    owner_.send(std::move(out), std::move(done));
  }

  void after(const store::Delivery& d, const engine::SendResult& result, engine::Verdict verdict,
             std::int64_t now_ms) override {
    const bool ok = verdict == engine::Verdict::delivered;
    const auto cut_short = owner_.breaker(endpoint_.id)->record(ok, now_ms, d.id);
    if (ok) {
      owner_.release_held(endpoint_.id, cut_short, now_ms);
      owner_.note_success(endpoint_);
    } else if (result.outcome.status == 410) {
      owner_.disable(endpoint_, "the endpoint answered 410 Gone");
    } else {
      owner_.note_failure(endpoint_, now_ms);
    }
  }

 private:
  EndpointTargets& owner_;
  Endpoint endpoint_;
  Result<PreparedKeys> keys_;
};

// Stands in for an endpoint whose record could not be read just now: postpones its deliveries.
class UnavailableTarget : public engine::Target {
 public:
  explicit UnavailableTarget(const EndpointSettings& settings) : settings_(settings) {}
  std::size_t concurrency() const override { return settings_.concurrency; }
  std::chrono::milliseconds timeout() const override { return settings_.timeout; }
  const engine::RetrySchedule& schedule() const override { return settings_.schedule; }
  bool http() const override { return true; }
  engine::Gate before(const store::Delivery& /*d*/, std::int64_t now_ms) override {
    return engine::Gate{engine::Gate::Action::postpone, now_ms + kStoreRetryMs, ""};
  }
  bool quick_gate() const override { return true; }
  void send_async(const store::Delivery& /*d*/, int /*attempt*/, engine::SendDone done) override {
    engine::SendResult r;
    r.outcome.error = "endpoint record unavailable";
    done(std::move(r));
  }
  void after(const store::Delivery& /*d*/, const engine::SendResult& /*r*/, engine::Verdict /*v*/,
             std::int64_t /*now_ms*/) override {}

 private:
  static constexpr std::int64_t kStoreRetryMs = 1000;
  const EndpointSettings& settings_;
};

EndpointTargets::EndpointTargets(store::Store& store, Registry& registry, net::HttpPool& pool,
                                 EndpointSettings settings, std::function<std::int64_t()> now_ms)
    : store_(store),
      registry_(registry),
      pool_(pool),
      settings_(std::move(settings)),
      now_ms_(std::move(now_ms)) {}

std::shared_ptr<engine::Target> EndpointTargets::find(std::string_view destination) {
  const auto id = destination_endpoint(destination);
  if (!id) return nullptr;
  // Read at each claim: an edit (disable, URL, rotation) on any node applies to the next attempt.
  auto endpoint = registry_.endpoint_by_id(*id);
  if (!endpoint) {
    // Deleted: nothing will ever deliver it. A store hiccup is not a reason to give up a
    // delivery: it waits and is tried again.
    if (endpoint.error().starts_with("not_found:")) return nullptr;
    return std::make_shared<UnavailableTarget>(settings_);
  }
  return std::make_shared<EndpointTarget>(*this, std::move(endpoint.value()));
}

void EndpointTargets::send(net::OutboundRequest request, engine::SendDone done) {
  pool_.send(std::move(request),
             [done = std::move(done)](Result<net::HttpClientResponse> response) {
               done(engine::send_result(std::move(response)));
             });
}

std::vector<std::string> EndpointTargets::open_circuits() {
  std::vector<std::string> out;
  const std::lock_guard lock(m_);
  for (const auto& [id, b] : breakers_) {
    if (b->open()) out.push_back(id);
  }
  return out;
}

std::shared_ptr<CircuitBreaker> EndpointTargets::breaker(const std::string& endpoint_id) {
  const std::lock_guard lock(m_);
  auto& b = breakers_[endpoint_id];
  if (!b) {
    // A trial's outcome comes within its timeout and the recorder's batch: well inside the
    // limit, which only frees a trial that was handed back unsent.
    b = std::make_shared<CircuitBreaker>(
        settings_.breaker_failures, std::chrono::milliseconds(settings_.breaker_cooldown),
        std::chrono::minutes(10), settings_.timeout + std::chrono::seconds(10));
  }
  return b;
}

void EndpointTargets::release_held(const std::string& endpoint_id, std::int64_t cut_short_ms,
                                   std::int64_t now_ms) {
  std::int64_t until = cut_short_ms;
  {
    const std::lock_guard lock(m_);
    const auto it = held_.find(endpoint_id);
    if (it != held_.end()) {
      until = std::max(until, it->second);
      held_.erase(it);
    }
  }
  if (until <= now_ms) return;
  // A store hiccup leaves the rest to come due at the cool-down's end, as before the trial.
  auto moved =
      store_.bring_forward(endpoint_destination(endpoint_id), until, now_ms, kReleaseBatch);
  if (!moved || *moved < static_cast<std::int64_t>(kReleaseBatch)) return;
  // More may wait: the endpoint's next success moves the next batch.
  const std::lock_guard lock(m_);
  if (held_.size() >= kMaxHeld) held_.clear();
  held_[endpoint_id] = until;
}

bool EndpointTargets::take_reserved(std::int64_t delivery_id, std::int64_t now_ms) {
  const std::lock_guard lock(m_);
  const auto it = reserved_.find(delivery_id);
  if (it == reserved_.end()) return false;
  const bool due = it->second <= now_ms + kSlotSlackMs;
  reserved_.erase(it);
  return due;
}

void EndpointTargets::keep_reserved(std::int64_t delivery_id, std::int64_t slot_ms) {
  const std::lock_guard lock(m_);
  // Bounded: a delivery claimed by another node never comes back here to take its slot.
  if (reserved_.size() > 100'000) reserved_.clear();
  reserved_[delivery_id] = slot_ms;
}

void EndpointTargets::disable(const Endpoint& endpoint, const std::string& reason) {
  bool changed = false;
  auto updated = registry_.modify_endpoint(endpoint.id, [&](Endpoint& e) {
    if (!e.enabled) return false;
    e.enabled = false;
    e.disabled_reason = reason;
    changed = true;
    return true;
  });
  if (!updated || !changed) return;
  store::NewEvent event;
  event.source = "operational";
  event.event_type = "endpoint.disabled";
  event.received_ms = now_ms_();
  event.headers = R"({"content-type":"application/json"})";
  event.body =
      boost::json::serialize(boost::json::object{{"type", "endpoint.disabled"},
                                                 {"app_id", endpoint.app_id},
                                                 {"endpoint_id", endpoint.id},
                                                 {"reason", reason},
                                                 {"failing_since_ms", endpoint.failing_since_ms},
                                                 {"disabled_ms", event.received_ms}});
  event.destinations = settings_.operational_destinations;
  (void)store_.append(std::move(event));
}

void EndpointTargets::note_failure(const Endpoint& endpoint, std::int64_t now_ms) {
  if (endpoint.failing_since_ms == 0) {
    (void)registry_.modify_endpoint(endpoint.id, [&](Endpoint& e) {
      if (e.failing_since_ms != 0) return false;
      e.failing_since_ms = now_ms;
      return true;
    });
    return;
  }
  if (now_ms - endpoint.failing_since_ms >=
      std::chrono::milliseconds(settings_.disable_after).count()) {
    disable(endpoint, "failing continuously since " + std::to_string(endpoint.failing_since_ms) +
                          " (unix ms)");
  }
}

void EndpointTargets::note_success(const Endpoint& endpoint) {
  if (endpoint.failing_since_ms == 0) return;
  (void)registry_.modify_endpoint(endpoint.id, [](Endpoint& e) {
    if (e.failing_since_ms == 0) return false;
    e.failing_since_ms = 0;
    return true;
  });
}

}  // namespace hookgate::outbound
