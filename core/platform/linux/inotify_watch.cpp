// DirectoryWatch on Linux: an inotify watch on the directory for a name going or arriving.
#include "platform/dir_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "platform/posix/syscall.hpp"

namespace filelock::platform {

DirectoryWatch::DirectoryWatch(const std::string &dir, const std::string &name, Event event) noexcept
    : fd_(injected(Syscall::watch) ? -1 : ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)), name_(name) {
  if (fd_ < 0) return;
  // A release deletes the lock name (or a breaker renames it away); a commit renames
  // its temp file onto the name, an editor may write it in place.
  const uint32_t mask = event == Event::gone ? (IN_DELETE | IN_MOVED_FROM)
                                             : (IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE);
  if (injected(Syscall::watch_add) || ::inotify_add_watch(fd_, dir.c_str(), mask | IN_ONLYDIR) < 0) {
    ::close(fd_);
    fd_ = kInvalidFile;
  }
}

DirectoryWatch::~DirectoryWatch() {
  if (fd_ >= 0) ::close(fd_);
}

bool DirectoryWatch::drain() noexcept {
  if (fd_ < 0) return true;
  bool concerned = false;
  alignas(struct inotify_event) char buf[4096];
  while (true) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (char *p = buf; p < buf + n;) {
      const auto *ev = reinterpret_cast<const struct inotify_event *>(p);
      // A lost event (queue overflow) or the watched directory gone: may be ours.
      if ((ev->mask & (IN_Q_OVERFLOW | IN_IGNORED)) != 0 ||
          (ev->len > 0 && name_ == ev->name))
        concerned = true;
      p += sizeof(struct inotify_event) + ev->len;
    }
  }
  return concerned;
}

}  // namespace filelock::platform
