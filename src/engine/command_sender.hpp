// CommandSender: runs the destination's argv (never through a shell) with the raw event body on
// stdin and the metadata in HOOKGATE_* environment variables; exit status 0 is delivered. The
// child gets a minimal environment: the gateway's own environment may hold env: secrets.
#pragma once

#include "hookgate/engine/sender.hpp"

namespace hookgate::engine {

class CommandSender : public Sender {
 public:
  SendResult send(const store::Delivery& delivery, const config::Destination& destination,
                  int attempt) override;
};

}  // namespace hookgate::engine
