// CursorFile: where `hookgate listen` remembers, per gateway and source, the seq of the last
// event the local server accepted, so a restart resumes there (at-least-once: the cursor moves
// only after a 2xx, so an event being forwarded when the process dies is sent again).
// The file lives in the XDG state directory: $XDG_STATE_HOME/hookgate/cursors/ (an absolute
// XDG_STATE_HOME only, as the XDG spec says), else ~/.local/state/hookgate/cursors/; the
// directories are created 0700. Writes are atomic and durable: a temporary file in the same
// directory, fsync, rename over the old one, fsync of the directory, so a crash leaves the old
// cursor or the new one, never a torn one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "hookgate/result.hpp"

namespace hookgate::relay {

// The state directory as above; Error when neither XDG_STATE_HOME nor HOME is usable.
Result<std::filesystem::path> state_directory();

// The cursor file of one gateway (its base URL, without credentials: the token is not part of
// it) and source, in dir: a readable name (host, port, source, reduced to [A-Za-z0-9._-]) and a
// digest of the exact gateway URL and source, so different gateways never share a file.
std::filesystem::path cursor_path(const std::filesystem::path& dir, const std::string& gateway_url,
                                  const std::string& source);

class CursorFile {
 public:
  explicit CursorFile(std::filesystem::path path) : path_(std::move(path)) {}

  // The stored seq; nullopt when there is no file yet. A file that does not hold a canonical
  // seq is an error (the user is told, nothing is guessed).
  Result<std::optional<std::int64_t>> load() const;
  // Atomically replaces the stored seq (see above). Errors name the path and the failed step.
  Result<bool> save(std::int64_t seq) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace hookgate::relay
