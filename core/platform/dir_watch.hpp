// Wakes a waiter when a name disappears from a directory (inotify on Linux, kqueue on
// macOS), so the lock-file backends learn of a release without polling; or, watching
// for arrivals, when a name is renamed or written into it (a state commit). Where events
// carry names (inotify) only the watched name counts: other waiters' temporary files
// and breakers' claims come and go in the same directory. Where no watch is available (a
// watch limit, or any failed call: Syscall::watch, watch_add in platform/syscalls.hpp)
// native() is kInvalidFile and callers fall back to
// re-checking every retry_interval_ms; they do so anyway, for releases made on other
// hosts (NFS), which no local watch sees.
#pragma once

#include <memory>
#include <string>

#include "platform/file.hpp"

namespace filelock::platform {

class DirectoryWatch {
 public:
  enum class Event {
    gone,     // `name` deleted or renamed away
    arrived,  // `name` renamed or created into the directory, or written and closed
  };
  // Watches `dir` for `event` on `name` (a name in it, no slash).
  DirectoryWatch(const std::string &dir, const std::string &name, Event event = Event::gone) noexcept;
  ~DirectoryWatch();
  DirectoryWatch(const DirectoryWatch &) = delete;
  DirectoryWatch &operator=(const DirectoryWatch &) = delete;

  NativeFile native() const noexcept { return fd_; }
  // Also wakes, on the same native(), when `name` arrives in `dir` or is written there
  // in place (inotify's IN_CLOSE_WRITE, a Windows change notification's LAST_WRITE/SIZE,
  // a kqueue vnode filter on the file, followed when the name gets another file): one
  // sleep covers a state's document and its journal. False where the platform cannot (a
  // watch limit): the caller re-checks every retry interval instead. Once per watch.
  bool also_arrivals(const std::string &dir, const std::string &name) noexcept;
  // False once something asked of the watch can no longer be watched (macOS: the file
  // of also_arrivals made again and not opened): the caller re-checks on its interval.
  bool complete() const noexcept;
  // Consumes pending events; which watched names they may concern: kName (the
  // constructor's), kAlso (also_arrivals's), or both (kEither: where events carry no
  // names, or some were lost); kNone when none do.
  enum Concerns : unsigned { kNone = 0, kName = 1, kAlso = 2, kEither = 3 };
  unsigned drain() noexcept;

 private:
  struct More;  // what also_arrivals() adds, per platform
  NativeFile fd_;
  std::string name_;
  // The watched directory, where a watch needs it open (macOS).
  [[maybe_unused]] NativeFile dir_ = kInvalidFile;
  std::unique_ptr<More> more_;
};

}  // namespace filelock::platform
