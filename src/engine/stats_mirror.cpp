// The per-node stats mirror: a node's hour of counts written into its store record, read back and
// summed by the other nodes.
#include "engine/stats_mirror.hpp"

#include <boost/json.hpp>

#include "engine/inspector.hpp"

namespace hookgate::engine {

namespace json = boost::json;

namespace {

// A whole hour of every counter and reason, with absolute seconds, stays well below this.
constexpr std::size_t kMaxRecordBytes = std::size_t{4} << 20;
constexpr std::size_t kMaxName = 256;
constexpr std::size_t kMaxReasonName = 64;
constexpr std::size_t kMaxCircuitId = 128;
constexpr std::size_t kSeconds = StatsSeries::kSeconds;

std::optional<std::uint64_t> count_of(const json::value& v) {
  if (v.is_uint64())
    return v.get_uint64() <= UINT32_MAX ? std::optional(v.get_uint64()) : std::nullopt;
  if (v.is_int64() && v.get_int64() >= 0 && v.get_int64() <= INT64_C(0xffffffff)) {
    return static_cast<std::uint64_t>(v.get_int64());
  }
  return std::nullopt;
}

// The counts and circuits of stats (what a change is judged by: not the time, not the window's
// start, so an idle node's record is not rewritten every second).
json::object content(const NodeStats& stats) {
  const auto& w = stats.window;
  json::array rows;
  const std::size_t n = w.counters[0].size();
  for (std::size_t i = 0; i < n; ++i) {
    json::array row;
    bool any = false;
    row.push_back(w.start_s + static_cast<std::int64_t>(i));
    for (const auto& c : w.counters) {
      const auto v = i < c.size() ? c[i] : 0;
      any = any || v != 0;
      row.push_back(v);
    }
    if (any) rows.push_back(std::move(row));
  }
  json::object reasons;
  for (const auto& [name, values] : w.reasons) {
    json::array pairs;
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (values[i] != 0) {
        pairs.push_back(json::array{w.start_s + static_cast<std::int64_t>(i), values[i]});
      }
    }
    if (!pairs.empty()) reasons[name] = std::move(pairs);
  }
  json::array open;
  for (const auto& id : stats.open_circuits) {
    if (open.size() == kMaxMirroredCircuits) break;
    open.push_back(json::string(id));
  }
  return json::object{
      {"rows", std::move(rows)}, {"reasons", std::move(reasons)}, {"open", std::move(open)}};
}

std::optional<std::size_t> offset_of(const json::value& v, std::int64_t start_s) {
  if (!v.is_int64()) return std::nullopt;
  const auto s = v.get_int64();
  if (s < start_s || s >= start_s + static_cast<std::int64_t>(kSeconds)) return std::nullopt;
  return static_cast<std::size_t>(s - start_s);
}

}  // namespace

std::string encode_node_stats(const NodeStats& stats) {
  auto o = content(stats);
  o["node"] = stats.node;
  o["updated_ms"] = stats.updated_ms;
  o["start_s"] = stats.window.start_s;
  return json::serialize(o);
}

std::optional<NodeStats> decode_node_stats(std::string_view text) {
  if (text.size() > kMaxRecordBytes) return std::nullopt;
  boost::system::error_code ec;
  const auto v = json::parse(text, ec);
  const auto* o = ec ? nullptr : v.if_object();
  if (o == nullptr) return std::nullopt;
  NodeStats out;
  const auto* node = o->if_contains("node");
  const auto* updated = o->if_contains("updated_ms");
  const auto* start = o->if_contains("start_s");
  const auto* rows = o->if_contains("rows");
  const auto* reasons = o->if_contains("reasons");
  const auto* open = o->if_contains("open");
  if (node == nullptr || !node->is_string() || node->get_string().size() > kMaxName ||
      updated == nullptr || !updated->is_int64() || start == nullptr || !start->is_int64() ||
      rows == nullptr || !rows->is_array() || rows->get_array().size() > kSeconds ||
      reasons == nullptr || !reasons->is_object() ||
      reasons->get_object().size() > StatsSeries::kMaxReasons || open == nullptr ||
      !open->is_array() || open->get_array().size() > kMaxMirroredCircuits) {
    return std::nullopt;
  }
  out.node = std::string(node->get_string());
  out.updated_ms = updated->get_int64();
  auto& w = out.window;
  w.start_s = start->get_int64();
  for (auto& c : w.counters)
    c.assign(kSeconds, 0);
  for (const auto& r : rows->get_array()) {
    const auto* row = r.if_array();
    if (row == nullptr || row->size() != 1 + StatsSeries::kCounters) return std::nullopt;
    const auto at = offset_of((*row)[0], w.start_s);
    if (!at) return std::nullopt;
    for (std::size_t c = 0; c < StatsSeries::kCounters; ++c) {
      const auto count = count_of((*row)[c + 1]);
      if (!count) return std::nullopt;
      w.counters[c][*at] = *count;
    }
  }
  for (const auto& [name, pairs] : reasons->get_object()) {
    if (name.empty() || name.size() > kMaxReasonName || !pairs.is_array() ||
        pairs.get_array().size() > kSeconds) {
      return std::nullopt;
    }
    std::vector<std::uint64_t> values(kSeconds, 0);
    for (const auto& p : pairs.get_array()) {
      const auto* pair = p.if_array();
      if (pair == nullptr || pair->size() != 2) return std::nullopt;
      const auto at = offset_of((*pair)[0], w.start_s);
      const auto count = count_of((*pair)[1]);
      if (!at || !count) return std::nullopt;
      values[*at] = *count;
    }
    w.reasons.emplace(std::string(name), std::move(values));
  }
  for (const auto& id : open->get_array()) {
    if (!id.is_string() || id.get_string().empty() || id.get_string().size() > kMaxCircuitId) {
      return std::nullopt;
    }
    out.open_circuits.emplace_back(id.get_string());
  }
  return out;
}

Result<std::vector<NodeStats>> mirrored_stats(store::Store& store, std::string_view own_tag,
                                              std::int64_t now_ms) {
  auto records = store.records(kStatsRecordKind, "", "", kMaxStatsNodes);
  if (!records) return Error{records.error()};
  std::vector<NodeStats> out;
  for (const auto& r : *records) {
    if (r.id == own_tag) continue;
    auto stats = decode_node_stats(r.body);
    if (!stats || stats->updated_ms < now_ms - kStatsStaleMs) continue;
    out.push_back(std::move(*stats));
  }
  return out;
}

void add_window(StatsSeries::Window& into, const StatsSeries::Window& from) {
  const auto add = [&](std::vector<std::uint64_t>& to, const std::vector<std::uint64_t>& values) {
    for (std::size_t i = 0; i < to.size(); ++i) {
      const auto s = into.start_s + static_cast<std::int64_t>(i);
      if (s < from.start_s) continue;
      const auto j = static_cast<std::size_t>(s - from.start_s);
      if (j >= values.size()) break;
      to[i] += values[j];
    }
  };
  for (std::size_t c = 0; c < StatsSeries::kCounters; ++c)
    add(into.counters[c], from.counters[c]);
  const std::size_t length = into.counters[0].size();
  for (const auto& [name, values] : from.reasons) {
    auto it = into.reasons.find(name);
    if (it == into.reasons.end()) {
      const std::string key = into.reasons.size() < StatsSeries::kMaxReasons - 1 ? name : "other";
      it = into.reasons.find(key);
      if (it == into.reasons.end()) {
        it = into.reasons.emplace(key, std::vector<std::uint64_t>(length, 0)).first;
      }
    }
    add(it->second, values);
  }
  // A reason that has no count inside the window is not shown (as StatsSeries::window does).
  for (auto it = into.reasons.begin(); it != into.reasons.end();) {
    bool any = false;
    for (const auto v : it->second)
      any = any || v != 0;
    it = any ? std::next(it) : into.reasons.erase(it);
  }
}

StatsMirror::StatsMirror(const StatsSeries& series, std::string node,
                         std::function<std::vector<std::string>()> open_circuits,
                         store::Store& store, std::function<std::int64_t()> now_ms,
                         std::chrono::milliseconds interval)
    : series_(series),
      node_(std::move(node)),
      tag_(node_tag(node_)),
      open_circuits_(std::move(open_circuits)),
      store_(store),
      now_ms_(std::move(now_ms)),
      thread_(interval, [this](bool last) { round(last); }) {}

StatsMirror::~StatsMirror() {
  stop();
}

void StatsMirror::start() {
  thread_.start();
}

void StatsMirror::stop() {
  thread_.stop();
}

void StatsMirror::round(bool last) {
  if (last) return;  // a stopped node's record ages out (kStatsStaleMs)
  flush();
  if (now_ms_() >= next_prune_ms_) {
    prune();
    next_prune_ms_ = now_ms_() + std::int64_t{3600} * 1000;
  }
}

void StatsMirror::flush() {
  const auto now = now_ms_();
  NodeStats stats;
  stats.node = node_;
  stats.updated_ms = now;
  stats.window = series_.window(now, StatsSeries::kSeconds);
  if (open_circuits_) stats.open_circuits = open_circuits_();
  auto changed = json::serialize(content(stats));
  if (changed == written_ && now - written_ms_ < kStatsHeartbeatMs) return;
  const store::Record record{std::string(kStatsRecordKind), tag_, "", encode_node_stats(stats), 0};
  // Two tries: the stored version may be unknown (first write, or a previous life of this node
  // under the same name wrote it).
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto put = store_.put_record(record, version_);
    if (!put) return;  // the store is unavailable: the next round tries again
    if (*put) {
      ++version_;
      written_ = std::move(changed);
      written_ms_ = now;
      return;
    }
    auto stored = store_.record(kStatsRecordKind, tag_);
    if (!stored) return;
    version_ = *stored ? (*stored)->version : 0;
  }
}

void StatsMirror::prune() {
  auto records = store_.records(kStatsRecordKind, "", "", kMaxStatsNodes * 4);
  if (!records) return;
  const auto now = now_ms_();
  for (const auto& r : *records) {
    if (r.id == tag_) continue;
    auto stats = decode_node_stats(r.body);
    if (!stats || stats->updated_ms < now - kStatsForgetMs) {
      (void)store_.delete_record(kStatsRecordKind, r.id);
    }
  }
}

}  // namespace hookgate::engine
