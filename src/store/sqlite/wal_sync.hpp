// WalSync: makes committed WAL frames durable from a thread other than SQLite's writer.
//
// The writer connection runs with synchronous = NORMAL: COMMIT writes its frames to the WAL but
// does not fsync it (SQLite still syncs the WAL before each checkpoint and the database after
// it, so a checkpoint never loses a commit). WalSync then calls fdatasync on the WAL file,
// which on Linux flushes the file's pages whichever descriptor wrote them. NORMAL plus this sync
// before any answer is as durable as FULL, but the fsync of one batch overlaps the SQLite work
// of the next instead of stalling the writer.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "hookgate/result.hpp"

namespace hookgate::store::sqlite {

class WalSync {
 public:
  // Makes the file behind fd durable; returns 0, or the errno of the failure. The default is
  // fdatasync. Tests route it through a VFS shim that simulates a power cut, so a missing sync
  // loses acknowledged writes there as it would on a real disk.
  using SyncFile = std::function<int(int fd, const std::string& path)>;
  static int fdatasync_file(int fd, const std::string& path);

  explicit WalSync(std::string database_path, SyncFile sync_file = fdatasync_file);
  WalSync(const WalSync&) = delete;
  WalSync& operator=(const WalSync&) = delete;
  ~WalSync();

  // Makes everything committed so far durable. Once an fdatasync failed, every later call fails. A
  // WAL that no longer exists was checkpointed and removed by SQLite, which synced the database
  // first: nothing to do.
  Result<bool> sync();

 private:
  Result<bool> reopen_if_replaced();

  std::string wal_path_;
  SyncFile sync_file_;
  int fd_ = -1;
  unsigned long long device_ = 0;
  unsigned long long inode_ = 0;
  std::optional<std::string> failed_;
};

}  // namespace hookgate::store::sqlite
