// Per-application fan-out in memory, checked against the store's records generation.
#include "outbound/fanout_cache.hpp"

#include <algorithm>
#include <utility>

namespace hookgate::outbound {

namespace {

constexpr std::size_t kPage = 250;

// What routing reads of an endpoint, and nothing it does not: keys (sealed or, in rows of earlier
// versions, clear), custom headers and free text stay in the store.
Endpoint routing_view(Endpoint e) {
  e.keys.clear();
  e.headers.clear();
  e.encryption_key.clear();
  e.description.clear();
  e.disabled_reason.clear();
  e.verification_error.clear();
  e.url.clear();
  return e;
}

}  // namespace

FanoutCache::FanoutCache(store::Store& store, std::size_t max_apps)
    : store_(store), max_apps_(std::max<std::size_t>(1, max_apps)) {}

std::uint64_t FanoutCache::loads() const {
  const std::lock_guard lock(m_);
  return loads_;
}

Result<std::vector<std::string>> FanoutCache::subscribers(
    const std::string& app_id, std::string_view event_type,
    const std::vector<std::string>& channels) {
  // Read before the rows (in load): rows read afterwards are at least as new as this generation,
  // so a copy tagged with it can only be older than the store when the generation moved.
  auto generation = store_.records_generation(kEndpointKind, app_id);
  if (!generation) return Error{"store_error: " + generation.error()};
  std::shared_ptr<const Fanout> fanout;
  if (*generation) fanout = find(app_id, **generation);
  if (!fanout) {
    auto loaded = load(app_id, generation->value_or(0));
    if (!loaded) return Error{loaded.error()};
    fanout = std::move(loaded.value());
    if (*generation) keep(app_id, fanout);  // a store without generations: nothing is kept
  }
  std::vector<std::string> ids;
  for (const auto& e : fanout->routes) {
    if (e.wants(event_type, channels)) ids.push_back(e.id);
  }
  return ids;
}

Result<std::shared_ptr<const FanoutCache::Fanout>> FanoutCache::load(const std::string& app_id,
                                                                     std::int64_t generation) {
  auto fanout = std::make_shared<Fanout>();
  fanout->generation = generation;
  std::string cursor;
  for (;;) {
    auto rows = store_.records(kEndpointKind, app_id, cursor, kPage);
    if (!rows) return Error{"store_error: " + rows.error()};
    for (const auto& row : *rows) {
      auto e = endpoint_from_json(row.body, row.version);
      if (!e) return Error{"store_error: " + e.error()};
      // An unverified endpoint gets nothing: it has not shown that it wants these events.
      if (e->enabled && e->verified) fanout->routes.push_back(routing_view(std::move(e.value())));
    }
    if (rows->size() < kPage) break;
    cursor = rows->back().id;
  }
  {
    const std::lock_guard lock(m_);
    ++loads_;
  }
  return std::shared_ptr<const Fanout>(std::move(fanout));
}

std::shared_ptr<const FanoutCache::Fanout> FanoutCache::find(const std::string& app_id,
                                                             std::int64_t generation) {
  const std::lock_guard lock(m_);
  const auto it = entries_.find(app_id);
  if (it == entries_.end() || it->second.fanout->generation != generation) return nullptr;
  recency_.splice(recency_.begin(), recency_, it->second.used);
  return it->second.fanout;
}

void FanoutCache::keep(const std::string& app_id, std::shared_ptr<const Fanout> fanout) {
  const std::lock_guard lock(m_);
  const auto it = entries_.find(app_id);
  if (it != entries_.end()) {
    // Whichever load finished last wins; an older copy is only ever a reload later, never used
    // under a generation it was not read at.
    it->second.fanout = std::move(fanout);
    recency_.splice(recency_.begin(), recency_, it->second.used);
    return;
  }
  while (entries_.size() >= max_apps_ && !recency_.empty()) {
    entries_.erase(recency_.back());
    recency_.pop_back();
  }
  recency_.push_front(app_id);
  entries_.emplace(app_id, Entry{std::move(fanout), recency_.begin()});
}

}  // namespace hookgate::outbound
