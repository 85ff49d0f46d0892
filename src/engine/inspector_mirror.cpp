// The inspector's cross-node mirror: rings written into store records, and read back.
#include "engine/inspector_mirror.hpp"

namespace hookgate::engine {

namespace {

std::string record_id(std::string_view source, std::string_view tag) {
  return std::string(source) + "/" + std::string(tag);
}

}  // namespace

Result<std::vector<Ring>> mirrored_rings(store::Store& store, std::string_view source,
                                         std::string_view own_tag, const InspectorLimits& limits,
                                         std::int64_t now_ms) {
  auto records = store.records(kInspectorRecordKind, source, "", kMaxMirroredNodes);
  if (!records) return Error{records.error()};
  std::vector<Ring> out;
  const std::string own = record_id(source, own_tag);
  for (const auto& r : *records) {
    if (r.id == own) continue;
    auto ring = decode_ring(r.body, limits);
    if (!ring || ring->updated_ms < now_ms - kInspectorStaleMs) continue;
    out.push_back(std::move(*ring));
  }
  return out;
}

Result<std::optional<Ring>> mirrored_ring(store::Store& store, std::string_view source,
                                          std::string_view tag, const InspectorLimits& limits) {
  auto record = store.record(kInspectorRecordKind, record_id(source, tag));
  if (!record) return Error{record.error()};
  if (!*record || (*record)->owner != source) return std::optional<Ring>();
  return decode_ring((*record)->body, limits);
}

InspectorMirror::InspectorMirror(const Inspector& inspector, store::Store& store,
                                 std::function<std::int64_t()> now_ms,
                                 std::chrono::milliseconds interval)
    : inspector_(inspector),
      store_(store),
      now_ms_(std::move(now_ms)),
      thread_(interval, [this](bool /*last*/) { round(); }) {}

InspectorMirror::~InspectorMirror() {
  stop();
}

void InspectorMirror::start() {
  thread_.start();
}

void InspectorMirror::stop() {
  thread_.stop();
}

// Also the last round at stop: what changed is written once more.
void InspectorMirror::round() {
  flush();
  if (now_ms_() >= next_prune_ms_) {
    prune();
    next_prune_ms_ = now_ms_() + std::int64_t{3600} * 1000;
  }
}

void InspectorMirror::flush() {
  for (const auto& source : inspector_.sources()) {
    const auto changes = inspector_.changes(source);
    auto& written = written_[source];
    if (changes == written) continue;
    auto ring = inspector_.ring(source);
    if (!ring) continue;
    store::Record record{std::string(kInspectorRecordKind), record_id(source, inspector_.tag()),
                         source, encode_ring(*ring), 0};
    auto& version = versions_[source];
    // Two tries: the stored version may be unknown (first write, or a previous life of this
    // node under the same name wrote it).
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto put = store_.put_record(record, version);
      if (!put) return;  // the store is unavailable: the next round tries again
      if (*put) {
        version = version + 1;
        written = changes;
        break;
      }
      auto stored = store_.record(kInspectorRecordKind, record.id);
      if (!stored) return;
      version = *stored ? (*stored)->version : 0;
    }
  }
}

void InspectorMirror::prune() {
  const auto now = now_ms_();
  for (const auto& source : inspector_.sources()) {
    std::string after;
    for (int page = 0; page < 16; ++page) {
      auto records = store_.records(kInspectorRecordKind, source, after, 64);
      if (!records || records->empty()) break;
      for (const auto& r : *records) {
        after = r.id;
        auto ring = decode_ring(r.body, inspector_.limits());
        if (!ring || ring->updated_ms < now - kInspectorStaleMs) {
          (void)store_.delete_record(kInspectorRecordKind, r.id);
        }
      }
      if (records->size() < 64) break;
    }
  }
}

}  // namespace hookgate::engine
