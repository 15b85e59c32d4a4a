// DirectoryWatch on Linux: an inotify watch on the directory for a name going or arriving,
// and a second directory's on the same descriptor (also_arrivals).
#include "platform/dir_watch.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <new>
#include <string>

#include "platform/posix/syscall.hpp"

namespace filelock::platform {

namespace {
constexpr uint32_t kArrivals = IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE;
}  // namespace

// Events carry the watch they came from: the name counts only in its own directory.
struct DirectoryWatch::More {
  int first = -1, second = -1;
  std::string second_name;
};

DirectoryWatch::DirectoryWatch(const std::string &dir, const std::string &name, Event event) noexcept
    : fd_(injected(Syscall::watch) ? -1 : ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)), name_(name) {
  if (fd_ < 0) return;
  // A release deletes the lock name (or a breaker renames it away); a commit renames
  // its temp file onto the name, an editor may write it in place.
  const uint32_t mask = event == Event::gone ? (IN_DELETE | IN_MOVED_FROM) : kArrivals;
  const int wd = injected(Syscall::watch_add) ? -1 : ::inotify_add_watch(fd_, dir.c_str(), mask | IN_ONLYDIR);
  if (wd < 0) {
    ::close(fd_);
    fd_ = kInvalidFile;
    return;
  }
  more_ = std::unique_ptr<More>(new (std::nothrow) More{wd, -1, {}});
}

bool DirectoryWatch::also_arrivals(const std::string &dir, const std::string &name) noexcept {
  if (fd_ < 0 || !more_ || more_->second >= 0) return false;
  // The same directory gives the same watch back, its mask widened (IN_MASK_ADD).
  const int wd = injected(Syscall::watch_add)
                     ? -1
                     : ::inotify_add_watch(fd_, dir.c_str(), kArrivals | IN_ONLYDIR | IN_MASK_ADD);
  if (wd < 0) return false;
  more_->second = wd;
  try {
    more_->second_name = name;
  } catch (...) {
    more_->second = -1;
    return false;
  }
  return true;
}

DirectoryWatch::~DirectoryWatch() {
  if (fd_ >= 0) ::close(fd_);
}

bool DirectoryWatch::complete() const noexcept { return fd_ >= 0; }

bool DirectoryWatch::drain() noexcept {
  if (fd_ < 0) return true;
  bool concerned = false;
  alignas(struct inotify_event) char buf[4096];
  while (true) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    // A read returns every event that fits: one that left room for the largest took the
    // last, so no second read just to be told EAGAIN.
    const bool last = static_cast<size_t>(n) + sizeof(struct inotify_event) + NAME_MAX + 1 <= sizeof buf;
    for (char *p = buf; p < buf + n;) {
      const auto *ev = reinterpret_cast<const struct inotify_event *>(p);
      // A lost event (queue overflow) or the watched directory gone: may be ours.
      const bool first = !more_ || ev->wd == more_->first;
      const bool second = more_ && ev->wd == more_->second;
      if ((ev->mask & (IN_Q_OVERFLOW | IN_IGNORED)) != 0 ||
          (ev->len > 0 && ((first && name_ == ev->name) || (second && more_->second_name == ev->name))))
        concerned = true;
      p += sizeof(struct inotify_event) + ev->len;
    }
    if (last) break;
  }
  return concerned;
}

}  // namespace filelock::platform
