// CombinedTargets: one directory for the dispatcher over both directions: "endpoint:<id>"
// deliveries go to application endpoints, every other name to the config's [[destination]]s.
#pragma once

#include "hookgate/engine/target.hpp"
#include "outbound/publisher.hpp"

namespace hookgate::outbound {

class CombinedTargets : public engine::TargetDirectory {
 public:
  CombinedTargets(engine::TargetDirectory& configured, engine::TargetDirectory& endpoints)
      : configured_(configured), endpoints_(endpoints) {}
  std::shared_ptr<engine::Target> find(std::string_view destination) override {
    return destination_endpoint(destination) ? endpoints_.find(destination)
                                             : configured_.find(destination);
  }
  std::vector<std::string> paused() override { return configured_.paused(); }

 private:
  engine::TargetDirectory& configured_;
  engine::TargetDirectory& endpoints_;
};

}  // namespace hookgate::outbound
