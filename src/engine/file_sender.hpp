// FileSender: appends each event as one JSON line to the destination's file and syncs it, so a
// line that was reported delivered survives a crash.
#pragma once

#include <map>
#include <mutex>

#include "hookgate/engine/sender.hpp"

namespace hookgate::engine {

class FileSender : public Sender {
 public:
  SendResult send(const store::Delivery& delivery, const config::Destination& destination,
                  int attempt) override;

 private:
  std::mutex m_;  // one writer at a time keeps lines whole
};

// The JSON line written for an event (also the stdin of command destinations).
std::string event_json(const store::Event& event);

}  // namespace hookgate::engine
