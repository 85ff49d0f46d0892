// Which key seals endpoint secrets at rest. [outbound] secret_key when the config sets one (the
// way for PostgreSQL, where nodes share the endpoints and must share the key). Otherwise, for a
// SQLite store, a key generated once into "<database>.key" (mode 0600) next to the database, so a
// single node works without setup and a copy of the database alone holds no usable secret. With
// PostgreSQL and no key there is none: endpoints can then neither be written nor, once sealed,
// read, and `hookgate serve` refuses to start with the management API on.
#pragma once

#include <memory>
#include <string>

#include "hookgate/config/config.hpp"
#include "outbound/secret_seal.hpp"

namespace hookgate::outbound {

struct SealingKey {
  std::shared_ptr<const SecretSeal> seal;  // null: no key (PostgreSQL without secret_key)
  std::string origin;                      // "[outbound] secret_key" or the key file's path
  bool generated = false;                  // the key file was created by this call
};

// Errors name the problem (a malformed key, a key file others can read, an unreadable file),
// never the key.
Result<SealingKey> sealing_key(const config::Config& config);

// The key file of a SQLite store at database_path: read, or created (atomically, 0600) when
// absent.
Result<SealingKey> sealing_key_file(const std::string& database_path);

}  // namespace hookgate::outbound
