// FanoutCache: each application's fan-out (its endpoints as routing sees them) held in memory, so
// a publish costs one point read of the store instead of reading and parsing every endpoint row
// of its application. The copy is tagged with the application's records generation (store.hpp),
// which every endpoint create, update and delete moves in its own transaction, on whichever node
// or engine thread writes: a publish that reads a generation other than its copy's reloads, so an
// endpoint created, disabled or deleted anywhere is honoured by the very next publish everywhere.
// Held endpoints carry no key, header or other secret: only what routing reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "hookgate/result.hpp"
#include "hookgate/store/store.hpp"
#include "outbound/model.hpp"

namespace hookgate::outbound {

class FanoutCache {
 public:
  static constexpr std::size_t kDefaultMaxApps = 4096;

  // max_apps: applications held at once (least recently published evicted first), at least 1.
  explicit FanoutCache(store::Store& store, std::size_t max_apps = kDefaultMaxApps);

  // Ids of app_id's endpoints that receive a message of event_type sent to channels now:
  // enabled, verified, and wanting it (Endpoint::wants, the one routing rule). Does not check
  // that the application exists.
  Result<std::vector<std::string>> subscribers(const std::string& app_id,
                                               std::string_view event_type,
                                               const std::vector<std::string>& channels = {});

  // Loads from the store since construction (for tests and metrics: a reload per changed
  // generation, none for an unchanged one).
  std::uint64_t loads() const;

 private:
  struct Fanout {
    std::int64_t generation = 0;
    std::vector<Endpoint> routes;  // enabled and verified endpoints, secrets stripped
  };
  struct Entry {
    std::shared_ptr<const Fanout> fanout;
    std::list<std::string>::iterator used;  // position in recency_
  };

  Result<std::shared_ptr<const Fanout>> load(const std::string& app_id, std::int64_t generation);
  std::shared_ptr<const Fanout> find(const std::string& app_id, std::int64_t generation);
  void keep(const std::string& app_id, std::shared_ptr<const Fanout> fanout);

  store::Store& store_;
  const std::size_t max_apps_;
  mutable std::mutex m_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::list<std::string> recency_;  // most recently used first
  std::uint64_t loads_ = 0;
};

}  // namespace hookgate::outbound
