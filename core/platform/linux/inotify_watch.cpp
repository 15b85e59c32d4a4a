// DirectoryWatch on Linux: an inotify watch on the directory for names deleted or renamed away.
#include "platform/dir_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

namespace filelock::platform {

DirectoryWatch::DirectoryWatch(const std::string &dir) noexcept
    : fd_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (fd_ < 0) return;
  // A release deletes the lock name (or a breaker renames it away).
  if (::inotify_add_watch(fd_, dir.c_str(), IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR) < 0) {
    ::close(fd_);
    fd_ = kInvalidFile;
  }
}

DirectoryWatch::~DirectoryWatch() {
  if (fd_ >= 0) ::close(fd_);
}

void DirectoryWatch::drain() noexcept {
  if (fd_ < 0) return;
  alignas(struct inotify_event) char buf[4096];
  while (true) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    break;
  }
}

}  // namespace filelock::platform
