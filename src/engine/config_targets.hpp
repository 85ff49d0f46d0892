// ConfigTargets: the [[destination]] tables of the config as dispatcher targets. Inbound events are
// forwarded to these (the operator's own services); each kind has its sender, and the retry
// schedule is the config's [delivery] one.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "command_sender.hpp"
#include "file_sender.hpp"
#include "hookgate/config/config.hpp"
#include "hookgate/engine/target.hpp"

namespace hookgate::engine {

class ConfigTargets : public TargetDirectory {
 public:
  // http sends the http destinations; it must outlive this directory.
  ConfigTargets(const config::Config& config, Sender& http);
  std::shared_ptr<Target> find(std::string_view destination) override;

 private:
  CommandSender command_;
  FileSender file_;
  std::map<std::string, std::shared_ptr<Target>, std::less<>> targets_;
};

}  // namespace hookgate::engine
