// The listen cursor on disk: the XDG state directory, the file's name, atomic durable writes.
#include "hookgate/relay/cursor_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "hookgate/crypto/digest.hpp"
#include "hookgate/crypto/encoding.hpp"
#include "hookgate/crypto/random.hpp"

namespace hookgate::relay {

namespace {

std::string readable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '-' || c == '_';
    out.push_back(keep ? c : '_');
    if (out.size() >= 64) break;
  }
  return out;
}

std::string errno_text() {
  return std::strerror(errno);  // NOLINT(concurrency-mt-unsafe): messages of our own errno only
}

// A canonical seq: "0" or digits without a leading zero, at most 2^63-1.
std::optional<std::int64_t> canonical_seq(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  if (text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  if (text.size() > 1 && text.front() == '0') return std::nullopt;
  if (text.size() == 19 && text > "9223372036854775807") return std::nullopt;
  return std::stoll(std::string(text));
}

Result<bool> make_private_dirs(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{"cannot create " + dir.string() + ": " + ec.message()};
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  return true;
}

}  // namespace

Result<std::filesystem::path> state_directory() {
  // getenv is read before any thread starts (the command resolves paths first).
  const char* xdg = std::getenv("XDG_STATE_HOME");  // NOLINT(concurrency-mt-unsafe)
  if (xdg != nullptr && xdg[0] == '/') return std::filesystem::path(xdg) / "hookgate" / "cursors";
  const char* home = std::getenv("HOME");  // NOLINT(concurrency-mt-unsafe)
  if (home != nullptr && home[0] == '/') {
    return std::filesystem::path(home) / ".local" / "state" / "hookgate" / "cursors";
  }
  return Error{"no state directory: set XDG_STATE_HOME or HOME to an absolute path"};
}

std::filesystem::path cursor_path(const std::filesystem::path& dir, const std::string& gateway_url,
                                  const std::string& source) {
  std::string_view rest = gateway_url;
  if (const auto scheme = rest.find("://"); scheme != std::string_view::npos) {
    rest.remove_prefix(scheme + 3);
  }
  const auto host = rest.substr(0, rest.find('/'));
  const std::string key = gateway_url + "\n" + source;
  const auto id = crypto::hex_encode(crypto::digest(crypto::DigestAlgorithm::sha256, key));
  return dir / (readable(host) + "-" + readable(source) + "-" + id.substr(0, 16));
}

Result<std::optional<std::int64_t>> CursorFile::load() const {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path_, ec)) return std::optional<std::int64_t>();
    return Error{"cannot read the cursor " + path_.string()};
  }
  std::string text(32, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  const auto seq = canonical_seq(text);
  if (!seq) {
    return Error{"the cursor " + path_.string() +
                 " does not hold a seq (remove it, or start with --from SEQ|now)"};
  }
  return std::optional<std::int64_t>(*seq);
}

Result<bool> CursorFile::save(std::int64_t seq) const {
  const auto dir = path_.parent_path();
  if (auto made = make_private_dirs(dir); !made) return Error{made.error()};
  const auto temp = path_.string() + ".tmp-" + crypto::hex_encode(crypto::random_bytes(6));
  const std::string text = std::to_string(seq) + "\n";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error{"cannot write the cursor " + temp + ": " + errno_text()};
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ok && ::fsync(fd) == 0;
  const std::string step_error = ok ? "" : errno_text();
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), path_.c_str()) != 0) {
    const auto why = ok ? errno_text() : step_error;
    ::unlink(temp.c_str());
    return Error{"cannot write the cursor " + path_.string() + ": " + why};
  }
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return true;
}

}  // namespace hookgate::relay
