// The sealing key from the config, or from (or into) the key file next to a SQLite database.
#include "outbound/sealing_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "hookgate/crypto/random.hpp"

namespace hookgate::outbound {

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
    s.pop_back();
  return s;
}

Result<SealingKey> with_key(const std::string& key_base64, std::string origin, bool generated) {
  auto seal = SecretSeal::from_base64(trimmed(key_base64));
  if (!seal) return Error{origin + ": " + seal.error()};
  return SealingKey{std::make_shared<const SecretSeal>(std::move(seal.value())), std::move(origin),
                    generated};
}

Result<SealingKey> read_key_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error{"sealing key file " + path + ": " + std::strerror(errno)};
  }
  // Like ssh with its keys: a key others can read protects nothing, so it is refused, not used.
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Error{"sealing key file " + path + " is accessible by group or others; chmod 600 it"};
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return Error{"sealing key file " + path + " cannot be read"};
  return with_key(text.str(), path, false);
}

Result<bool> write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error{std::strerror(errno)};
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return Error{std::strerror(errno)};
  return true;
}

}  // namespace

Result<SealingKey> sealing_key_file(const std::string& database_path) {
  const std::string path = database_path + ".key";
  if (std::filesystem::exists(path)) return read_key_file(path);
  // Written whole to a private temporary name, then linked into place: two nodes starting at
  // once on the same file agree on one key (link fails for the second, which reads the first's).
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid()) + "-" +
                                crypto::random_string(8, crypto::kAlphanumeric);
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error{"sealing key file " + temporary + ": " + std::strerror(errno)};
  const std::string key = SecretSeal::generate_base64();
  auto written = write_all(fd, key + "\n");
  ::close(fd);
  if (!written) {
    ::unlink(temporary.c_str());
    return Error{"sealing key file " + temporary + ": " + written.error()};
  }
  const int linked = ::link(temporary.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(temporary.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return read_key_file(path);
    return Error{"sealing key file " + path + ": " + std::strerror(link_errno)};
  }
  const auto dir = std::filesystem::path(path).parent_path();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // the new name survives a power cut with the database that needs it
    ::close(dfd);
  }
  return with_key(key, path, true);
}

Result<SealingKey> sealing_key(const config::Config& config) {
  if (const auto& key = config.outbound.secret_key) {
    return with_key(key->value, "[outbound] secret_key", false);
  }
  constexpr std::string_view kSqlite = "sqlite://";
  if (config.store_url.starts_with(kSqlite)) {
    return sealing_key_file(config.store_url.substr(kSqlite.size()));
  }
  return SealingKey{};
}

}  // namespace hookgate::outbound
