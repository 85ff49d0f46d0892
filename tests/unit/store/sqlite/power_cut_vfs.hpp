// PowerCutVfs: a SQLite VFS for tests that behaves like a disk losing power. It wraps the default
// unix VFS and writes through, but remembers, per file, what every write or truncate since that
// file's last sync overwrote (and the size it had then). cut() refuses all further I/O and puts
// every file back as it was at its last sync: exactly what a power cut keeps of a page cache.
//
// SQLite's own xSync calls reach it as usual. The store syncs its WAL itself (WalSync, on a
// descriptor of its own), so the test routes that sync through sync_path(): the shim tracks files
// by path, and whichever handle wrote a file, a sync of its path makes it durable.
#pragma once

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace hookgate::store::testing {

class PowerCutVfs {
 public:
  PowerCutVfs() {
    real_ = sqlite3_vfs_find(nullptr);
    vfs_ = *real_;
    vfs_.zName = "hookgate-power-cut";
    vfs_.szOsFile = static_cast<int>(sizeof(ShimFile)) + real_->szOsFile;
    vfs_.pAppData = this;
    vfs_.xOpen = &PowerCutVfs::open;
    vfs_.xDelete = &PowerCutVfs::remove;
    methods_ = sqlite3_io_methods{};
    methods_.iVersion = 3;
    methods_.xClose = &PowerCutVfs::close;
    methods_.xRead = [](sqlite3_file* f, void* b, int n, sqlite3_int64 o) {
      return real_of(f)->pMethods->xRead(real_of(f), b, n, o);
    };
    methods_.xWrite = &PowerCutVfs::write;
    methods_.xTruncate = &PowerCutVfs::truncate;
    methods_.xSync = &PowerCutVfs::sync;
    methods_.xFileSize = [](sqlite3_file* f, sqlite3_int64* size) {
      return real_of(f)->pMethods->xFileSize(real_of(f), size);
    };
    methods_.xLock = [](sqlite3_file* f, int l) {
      return real_of(f)->pMethods->xLock(real_of(f), l);
    };
    methods_.xUnlock = [](sqlite3_file* f, int l) {
      return real_of(f)->pMethods->xUnlock(real_of(f), l);
    };
    methods_.xCheckReservedLock = [](sqlite3_file* f, int* out) {
      return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
    };
    methods_.xFileControl = [](sqlite3_file* f, int op, void* arg) {
      return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
    };
    methods_.xSectorSize = [](sqlite3_file* f) {
      return real_of(f)->pMethods->xSectorSize(real_of(f));
    };
    methods_.xDeviceCharacteristics = [](sqlite3_file* f) {
      return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
    };
    methods_.xShmMap = [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
      return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
    };
    methods_.xShmLock = [](sqlite3_file* f, int offset, int n, int flags) {
      return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
    };
    methods_.xShmBarrier = [](sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); };
    methods_.xShmUnmap = [](sqlite3_file* f, int remove) {
      return real_of(f)->pMethods->xShmUnmap(real_of(f), remove);
    };
    // No memory-mapped I/O: every page goes through xRead, so nothing bypasses the shim.
    methods_.xFetch = [](sqlite3_file*, sqlite3_int64, int, void** out) {
      *out = nullptr;
      return SQLITE_OK;
    };
    methods_.xUnfetch = [](sqlite3_file*, sqlite3_int64, void*) { return SQLITE_OK; };
  }
  PowerCutVfs(const PowerCutVfs&) = delete;
  PowerCutVfs& operator=(const PowerCutVfs&) = delete;
  ~PowerCutVfs() { uninstall(); }

  // Becomes the default VFS, so every connection opened from now on goes through it.
  bool install() {
    installed_ = sqlite3_vfs_register(&vfs_, 1) == SQLITE_OK;
    return installed_;
  }
  // Only once every connection through it is closed.
  void uninstall() {
    if (installed_) sqlite3_vfs_unregister(&vfs_);
    installed_ = false;
  }

  // A sync of path made outside SQLite: what was written to it so far is durable. false after
  // the cut (the sync "failed").
  bool sync_path(const std::string& path) {
    const std::lock_guard lock(mutex_);
    if (cut_) return false;
    auto found = files_.find(path);
    if (found != files_.end()) settle(found->first, found->second);
    return true;
  }

  // The power cut: refuses all I/O from now on and puts every file back as of its last sync.
  // Returns the bytes of unsynced writes it dropped.
  std::uint64_t cut() {
    const std::lock_guard lock(mutex_);
    cut_ = true;
    std::uint64_t dropped = 0;
    for (auto& [path, state] : files_) {
      if (state.undo.empty() && !state.grew) continue;
      const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0) continue;
      for (auto undo = state.undo.rbegin(); undo != state.undo.rend(); ++undo) {
        dropped += undo->written;
        if (!undo->old.empty()) {
          (void)!::pwrite(fd, undo->old.data(), undo->old.size(), undo->offset);
        }
      }
      (void)!::ftruncate(fd, state.synced_size);
      ::close(fd);
      state.undo.clear();
      state.grew = false;
    }
    return dropped;
  }

  // Bytes written to path since its last sync.
  std::uint64_t unsynced_bytes(const std::string& path) {
    const std::lock_guard lock(mutex_);
    auto found = files_.find(path);
    if (found == files_.end()) return 0;
    std::uint64_t bytes = 0;
    for (const auto& undo : found->second.undo)
      bytes += undo.written;
    return bytes;
  }

 private:
  struct Undo {
    sqlite3_int64 offset = 0;
    std::string old;            // the bytes the write replaced (those that existed)
    std::uint64_t written = 0;  // bytes the write or truncate changed
  };
  struct FileState {
    sqlite3_int64 synced_size = 0;
    bool grew = false;
    std::vector<Undo> undo;  // oldest first
  };
  struct ShimFile {
    sqlite3_file base;
    PowerCutVfs* vfs;
    std::string* path;  // nullptr for SQLite's nameless temporary files
  };

  static sqlite3_file* real_of(sqlite3_file* f) {
    return reinterpret_cast<sqlite3_file*>(reinterpret_cast<ShimFile*>(f) + 1);
  }
  static ShimFile* shim_of(sqlite3_file* f) { return reinterpret_cast<ShimFile*>(f); }

  static sqlite3_int64 size_on_disk(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    const off_t size = ::lseek(fd, 0, SEEK_END);
    ::close(fd);
    return size < 0 ? 0 : size;
  }

  void settle(const std::string& path, FileState& state) {
    state.undo.clear();
    state.grew = false;
    state.synced_size = size_on_disk(path);
  }

  // Called with mutex_ held, before the write or truncate reaches the file.
  void remember(sqlite3_file* f, sqlite3_int64 offset, sqlite3_int64 length,
                std::uint64_t written) {
    ShimFile* shim = shim_of(f);
    if (shim->path == nullptr) return;
    FileState& state = files_[*shim->path];
    sqlite3_int64 size = 0;
    real_of(f)->pMethods->xFileSize(real_of(f), &size);
    Undo undo;
    undo.offset = offset;
    undo.written = written;
    const sqlite3_int64 end = offset + length;
    if (offset < size) {
      undo.old.resize(static_cast<std::size_t>(std::min(end, size) - offset));
      real_of(f)->pMethods->xRead(real_of(f), undo.old.data(), static_cast<int>(undo.old.size()),
                                  offset);
    }
    if (end > size) state.grew = true;
    state.undo.push_back(std::move(undo));
  }

  static int open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
    auto* self = static_cast<PowerCutVfs*>(vfs->pAppData);
    ShimFile* shim = shim_of(f);
    shim->base.pMethods = nullptr;
    shim->vfs = self;
    shim->path = nullptr;
    {
      const std::lock_guard lock(self->mutex_);
      if (self->cut_) return SQLITE_IOERR;
    }
    const int rc = self->real_->xOpen(self->real_, name, real_of(f), flags, out_flags);
    if (rc != SQLITE_OK || real_of(f)->pMethods == nullptr) return rc;
    if (name != nullptr) {
      shim->path = new std::string(name);
      const std::lock_guard lock(self->mutex_);
      // A file first seen now is durable as it stands on disk.
      if (self->files_.find(*shim->path) == self->files_.end()) {
        self->files_[*shim->path].synced_size = size_on_disk(*shim->path);
      }
    }
    shim->base.pMethods = &self->methods_;
    return SQLITE_OK;
  }

  static int remove(sqlite3_vfs* vfs, const char* name, int sync_dir) {
    auto* self = static_cast<PowerCutVfs*>(vfs->pAppData);
    const std::lock_guard lock(self->mutex_);
    if (self->cut_) return SQLITE_IOERR_DELETE;
    // A removed file stays removed (directory entries are not modelled).
    self->files_.erase(name);
    return self->real_->xDelete(self->real_, name, sync_dir);
  }

  static int close(sqlite3_file* f) {
    ShimFile* shim = shim_of(f);
    const int rc = real_of(f)->pMethods->xClose(real_of(f));
    delete shim->path;
    shim->path = nullptr;
    return rc;
  }

  static int write(sqlite3_file* f, const void* data, int n, sqlite3_int64 offset) {
    PowerCutVfs* self = shim_of(f)->vfs;
    const std::lock_guard lock(self->mutex_);
    if (self->cut_) return SQLITE_IOERR_WRITE;
    self->remember(f, offset, n, static_cast<std::uint64_t>(n));
    return real_of(f)->pMethods->xWrite(real_of(f), data, n, offset);
  }

  static int truncate(sqlite3_file* f, sqlite3_int64 size) {
    PowerCutVfs* self = shim_of(f)->vfs;
    const std::lock_guard lock(self->mutex_);
    if (self->cut_) return SQLITE_IOERR_TRUNCATE;
    sqlite3_int64 now = 0;
    real_of(f)->pMethods->xFileSize(real_of(f), &now);
    if (size < now) {
      self->remember(f, size, now - size, static_cast<std::uint64_t>(now - size));
    }
    return real_of(f)->pMethods->xTruncate(real_of(f), size);
  }

  static int sync(sqlite3_file* f, int flags) {
    PowerCutVfs* self = shim_of(f)->vfs;
    const std::lock_guard lock(self->mutex_);
    if (self->cut_) return SQLITE_IOERR_FSYNC;
    const int rc = real_of(f)->pMethods->xSync(real_of(f), flags);
    if (rc == SQLITE_OK && shim_of(f)->path != nullptr) {
      self->settle(*shim_of(f)->path, self->files_[*shim_of(f)->path]);
    }
    return rc;
  }

  sqlite3_vfs* real_ = nullptr;
  sqlite3_vfs vfs_{};
  sqlite3_io_methods methods_{};
  bool installed_ = false;
  std::mutex mutex_;
  bool cut_ = false;                        // guarded by mutex_
  std::map<std::string, FileState> files_;  // guarded by mutex_
};

}  // namespace hookgate::store::testing
