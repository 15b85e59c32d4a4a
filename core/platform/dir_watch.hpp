// Wakes a waiter when a name disappears from a directory (inotify on Linux, kqueue on
// macOS), so the lock-file backends learn of a release without polling. Where no watch
// is available (a watch limit) native() is kInvalidFile and callers fall back to
// re-checking every retry_interval_ms; they do so anyway, for releases made on other
// hosts (NFS), which no local watch sees.
#pragma once

#include <string>

#include "platform/file.hpp"

namespace filelock::platform {

class DirectoryWatch {
 public:
  explicit DirectoryWatch(const std::string &dir) noexcept;
  ~DirectoryWatch();
  DirectoryWatch(const DirectoryWatch &) = delete;
  DirectoryWatch &operator=(const DirectoryWatch &) = delete;

  NativeFile native() const noexcept { return fd_; }
  void drain() noexcept;  // consume pending events

 private:
  NativeFile fd_;
  NativeFile dir_ = kInvalidFile;  // the watched directory, where a watch needs it open
};

}  // namespace filelock::platform
