// fdatasync of the WAL file, reopening it if SQLite replaced it.
#include "store/sqlite/wal_sync.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hookgate::store::sqlite {

int WalSync::fdatasync_file(int fd, const std::string& /*path*/) {
  while (::fdatasync(fd) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

WalSync::WalSync(std::string database_path, SyncFile sync_file)
    : wal_path_(std::move(database_path) + "-wal"), sync_file_(std::move(sync_file)) {}

WalSync::~WalSync() {
  if (fd_ >= 0) ::close(fd_);
}

Result<bool> WalSync::reopen_if_replaced() {
  struct stat now {};
  if (::stat(wal_path_.c_str(), &now) != 0) {
    if (errno == ENOENT) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
      return false;
    }
    return Error{"cannot stat " + wal_path_ + ": " + std::strerror(errno)};
  }
  if (fd_ >= 0 && now.st_dev == device_ && now.st_ino == inode_) return true;
  if (fd_ >= 0) ::close(fd_);
  // Read-only is enough: fdatasync flushes the file, not what this descriptor wrote.
  fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    if (errno == ENOENT) return false;
    return Error{"cannot open " + wal_path_ + ": " + std::strerror(errno)};
  }
  struct stat opened {};
  if (::fstat(fd_, &opened) != 0) {
    return Error{"cannot stat " + wal_path_ + ": " + std::strerror(errno)};
  }
  device_ = opened.st_dev;
  inode_ = opened.st_ino;
  return true;
}

Result<bool> WalSync::sync() {
  if (failed_) return Error{*failed_};
  auto present = reopen_if_replaced();
  if (!present) return present;
  if (!*present) return true;
  if (const int failed = sync_file_(fd_, wal_path_); failed != 0) {
    // After a failed fsync Linux may mark the lost pages clean, so a later fsync would succeed
    // without the data being on disk: never trust this file again in this process.
    failed_ = "fdatasync " + wal_path_ + ": " + std::strerror(failed) +
              " (the store stops acknowledging writes until hookgate restarts)";
    return Error{*failed_};
  }
  return true;
}

}  // namespace hookgate::store::sqlite
