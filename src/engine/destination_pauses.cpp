// The operator pause of configured destinations: its record form, and the in-memory copy the
// dispatcher reads, refreshed from the store.
#include "engine/destination_pauses.hpp"

#include <boost/json.hpp>

namespace hookgate::engine {

namespace json = boost::json;

namespace {

// Records read per page when refreshing (configured destinations are few).
constexpr std::size_t kRefreshPage = 256;
// Pages read per refresh at most: the configured destinations bound what is kept anyway.
constexpr int kMaxRefreshPages = 64;

}  // namespace

std::string encode_pause(const DestinationPause& pause) {
  return json::serialize(json::object{{"paused", pause.paused},
                                      {"by", pause.by},
                                      {"at_ms", pause.at_ms},
                                      {"reason", pause.reason}});
}

std::optional<DestinationPause> decode_pause(std::string_view text) {
  if (text.size() > 4096) return std::nullopt;
  boost::system::error_code ec;
  const auto v = json::parse(text, ec);
  const auto* o = ec ? nullptr : v.if_object();
  if (o == nullptr) return std::nullopt;
  const auto* paused = o->if_contains("paused");
  const auto* by = o->if_contains("by");
  const auto* at = o->if_contains("at_ms");
  const auto* reason = o->if_contains("reason");
  if (paused == nullptr || !paused->is_bool() || by == nullptr || !by->is_string() ||
      by->get_string().size() > kMaxPauseActor || at == nullptr || !at->is_int64() ||
      reason == nullptr || !reason->is_string() || reason->get_string().size() > kMaxPauseReason) {
    return std::nullopt;
  }
  return DestinationPause{paused->get_bool(), std::string(by->get_string()), at->get_int64(),
                          std::string(reason->get_string())};
}

DestinationPauses::DestinationPauses(store::Store& store, std::vector<std::string> destinations,
                                     std::function<std::int64_t()> now_ms,
                                     std::chrono::milliseconds interval)
    : store_(store),
      configured_(destinations.begin(), destinations.end()),
      now_ms_(std::move(now_ms)),
      // A store hiccup keeps the last known state until the next round.
      thread_(interval, [this](bool last) {
        if (!last) (void)refresh();
      }) {}

DestinationPauses::~DestinationPauses() {
  stop();
}

bool DestinationPauses::paused(std::string_view destination) const {
  const std::lock_guard lock(m_);
  return paused_.contains(destination);
}

std::vector<std::string> DestinationPauses::paused_names() const {
  const std::lock_guard lock(m_);
  return {paused_.begin(), paused_.end()};
}

Result<std::optional<DestinationPause>> DestinationPauses::read(std::string_view destination) {
  auto record = store_.record(kPauseRecordKind, destination);
  if (!record) return Error{record.error()};
  if (!*record) return std::optional<DestinationPause>();
  return decode_pause((*record)->body);
}

Result<DestinationPause> DestinationPauses::set(std::string_view destination, bool paused,
                                                std::string by, std::string reason) {
  if (!configured_.contains(destination)) {
    return Error{"not_found: no configured destination of that name"};
  }
  if (by.size() > kMaxPauseActor) by.resize(kMaxPauseActor);
  if (reason.size() > kMaxPauseReason) return Error{"invalid: the reason is too long"};
  const DestinationPause pause{paused, std::move(by), now_ms_(), std::move(reason)};
  store::Record record{std::string(kPauseRecordKind), std::string(destination), "",
                       encode_pause(pause), 0};
  // Compare-and-set against what is stored now; a concurrent change makes us read again. Bounded:
  // a writer that keeps losing reports the conflict instead of spinning.
  for (int attempt = 0;; ++attempt) {
    auto stored = store_.record(kPauseRecordKind, destination);
    if (!stored) return Error{stored.error()};
    auto put = store_.put_record(record, *stored ? (*stored)->version : 0);
    if (!put) return Error{put.error()};
    if (*put) break;
    if (attempt == 8) return Error{"conflict: the destination was changed meanwhile, try again"};
  }
  bool resumed = false;
  {
    const std::lock_guard lock(m_);
    if (paused) {
      paused_.emplace(destination);
    } else {
      const auto it = paused_.find(destination);
      resumed = it != paused_.end();
      if (resumed) paused_.erase(it);
    }
  }
  if (resumed && resumed_) resumed_();
  return pause;
}

Result<bool> DestinationPauses::refresh() {
  std::set<std::string, std::less<>> now_paused;
  std::string after;
  for (int page = 0; page < kMaxRefreshPages; ++page) {
    auto records = store_.records(kPauseRecordKind, "", after, kRefreshPage);
    if (!records) return Error{records.error()};
    for (const auto& r : *records) {
      after = r.id;
      if (!configured_.contains(r.id)) continue;
      const auto pause = decode_pause(r.body);
      if (pause && pause->paused) now_paused.insert(r.id);
    }
    if (records->size() < kRefreshPage) break;
  }
  apply(std::move(now_paused));
  return true;
}

void DestinationPauses::apply(std::set<std::string, std::less<>> paused) {
  bool resumed = false;
  {
    const std::lock_guard lock(m_);
    for (const auto& name : paused_)
      resumed = resumed || !paused.contains(name);
    paused_ = std::move(paused);
  }
  if (resumed && resumed_) resumed_();
}

void DestinationPauses::start() {
  thread_.start();
}

void DestinationPauses::stop() {
  thread_.stop();
}

}  // namespace hookgate::engine
