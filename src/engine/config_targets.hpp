// ConfigTargets: the [[destination]] tables of the config as dispatcher targets. Inbound events are
// forwarded to these (the operator's own services); each kind has its sender, and the retry
// schedule is the config's [delivery] one. HTTP attempts go through the asynchronous connection
// pool (no thread waits for a slow service); command and file attempts block (a process runs to
// its exit, a line is synced), so they run on a bounded pool of [delivery] workers threads, never
// on the dispatcher's or an event loop's.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "command_sender.hpp"
#include "engine/blocking_pool.hpp"
#include "engine/destination_pauses.hpp"
#include "engine/http_sender.hpp"
#include "file_sender.hpp"
#include "hookgate/config/config.hpp"
#include "hookgate/engine/target.hpp"
#include "hookgate/net/http_pool.hpp"

namespace hookgate::engine {

class ConfigTargets : public TargetDirectory {
 public:
  // http builds the http destinations' requests and pool sends them; both must outlive this
  // directory, and so must pauses (null: nothing is ever paused).
  ConfigTargets(const config::Config& config, HttpSender& http, net::HttpPool& pool,
                const DestinationPauses* pauses = nullptr);
  std::shared_ptr<Target> find(std::string_view destination) override;
  std::vector<std::string> paused() override;

 private:
  CommandSender command_;
  FileSender file_;
  std::map<std::string, std::shared_ptr<Target>, std::less<>> targets_;
  const DestinationPauses* pauses_;
  BlockingPool blocking_;  // last: its threads end (joined) before the senders they use
};

}  // namespace hookgate::engine
