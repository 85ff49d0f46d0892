// Sender: hands one stored event to one destination, once. The dispatcher owns retries; a
// sender only reports what happened. Implementations: HTTP(S) (signed), command, JSON-lines file.
#pragma once

#include <string>

#include "hookgate/config/config.hpp"
#include "hookgate/engine/retry_policy.hpp"
#include "hookgate/store/store.hpp"

namespace hookgate::engine {

struct SendResult {
  AttemptOutcome outcome;
  std::string response;  // capped excerpt of what the destination answered, for the record
};

class Sender {
 public:
  virtual ~Sender() = default;
  // attempt is 1-based. Must not throw; must return within the destination's timeout (plus a
  // small margin). Thread-safe.
  virtual SendResult send(const store::Delivery& delivery, const config::Destination& destination,
                          int attempt) = 0;
};

inline constexpr std::size_t kMaxRecordedResponse = 4096;

}  // namespace hookgate::engine
