// The replay key of an accepted inbound event and how long it is remembered: the provider's
// signed event id, else the digest of the signed content, kept as long as a resent copy could
// still verify (the timestamp tolerance) or, without one, for the source's dedupe window.
#pragma once

#include <cstdint>
#include <string>

#include "hookgate/config/config.hpp"
#include "hookgate/schemes/scheme.hpp"
#include "hookgate/schemes/verify.hpp"

namespace hookgate::engine {

struct ReplayKey {
  std::string key;  // never empty for an accepted event
  std::int64_t until_ms = 0;
};

// ids longer than this are hashed into the key, so a large signed body field cannot make a
// large store key.
inline constexpr std::size_t kMaxIdKeyBytes = 200;

// verdict must be ok. received_ms is the gateway's clock at acceptance.
ReplayKey replay_key(const schemes::Scheme& scheme, const schemes::Verdict& verdict,
                     const config::Source& source, std::int64_t received_ms);

}  // namespace hookgate::engine
