// DirectoryWatch on Linux: an inotify watch on the directory for a name going or arriving,
// and a second directory's on the same descriptor (also_arrivals).
#include "platform/dir_watch.hpp"

#include <pthread.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <mutex>
#include <new>
#include <string>
#include <utility>

#include "platform/posix/syscall.hpp"
#include "platform/process.hpp"

namespace filelock::platform {

namespace {
constexpr uint32_t kArrivals = IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE;

// Closing an inotify instance that had watches waits for the kernel to free them (an RCU
// grace period: 0.05 to 20 ms on an idle machine), and a waiter would pay that between
// its wake-up and its return. Removing a watch does not wait, so a watch's instance is
// kept, without watches, for this process's next DirectoryWatch: one, since instances
// count against a per-user limit (128 by default) shared by every process. An instance
// inherited across fork is the parent's too (one event queue): the child never reuses it.
class IdleInstance {
 public:
  static IdleInstance &get() {
    // Outlives every watch, even at exit. Its mutex is held across fork(), so the
    // child's copy is never one another thread of the parent held; the child closes
    // its copy of the instance (the parent's stays open: no wait there).
    static IdleInstance *kept = [] {
      auto *k = new IdleInstance;
      ::pthread_atfork([] { get().mutex_.lock(); }, [] { get().mutex_.unlock(); },
                       [] {
                         IdleInstance &self = get();
                         if (self.fd_ >= 0) ::close(self.fd_);
                         self.fd_ = -1;
                         self.mutex_.unlock();
                       });
      return k;
    }();
    return *kept;
  }
  int take() noexcept {
    std::lock_guard<std::mutex> lk(mutex_);
    return std::exchange(fd_, -1);
  }
  // Keeps `fd` (no watches, events drained), or closes it if one is kept already.
  void give(int fd) noexcept {
    {
      std::lock_guard<std::mutex> lk(mutex_);
      if (fd_ < 0) {
        fd_ = fd;
        return;
      }
    }
    ::close(fd);
  }

 private:
  std::mutex mutex_;
  int fd_ = -1;
};

int new_instance() noexcept {
  if (injected(Syscall::watch)) return -1;
  const int fd = IdleInstance::get().take();
  return fd >= 0 ? fd : ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

// Reads and drops whatever is queued (IN_IGNORED for removed watches, events before it).
void discard_events(int fd) noexcept {
  alignas(struct inotify_event) char buf[4096];
  ssize_t n;
  do n = ::read(fd, buf, sizeof buf);
  while (n > 0 || (n < 0 && errno == EINTR));
}
}  // namespace

// Events carry the watch they came from: the name counts only in its own directory.
struct DirectoryWatch::More {
  int first = -1, second = -1;
  std::string second_name;
  uint64_t fork_generation = platform::fork_generation();  // whose instance it is
};

DirectoryWatch::DirectoryWatch(const std::string &dir, const std::string &name, Event event) noexcept
    : fd_(new_instance()), name_(name) {
  if (fd_ < 0) return;
  // A release deletes the lock name (or a breaker renames it away); a commit renames
  // its temp file onto the name, an editor may write it in place.
  const uint32_t mask = event == Event::gone ? (IN_DELETE | IN_MOVED_FROM) : kArrivals;
  const int wd = injected(Syscall::watch_add) ? -1 : ::inotify_add_watch(fd_, dir.c_str(), mask | IN_ONLYDIR);
  if (wd < 0) {
    IdleInstance::get().give(fd_);
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
  if (fd_ < 0) return;
  // Watches we cannot name to remove, or the parent's (a forked child's copy: removing
  // them would end the parent's watch): our descriptor goes, nothing else.
  if (!more_ || more_->fork_generation != fork_generation()) {
    ::close(fd_);
    return;
  }
  ::inotify_rm_watch(fd_, more_->first);
  if (more_->second >= 0 && more_->second != more_->first) ::inotify_rm_watch(fd_, more_->second);
  discard_events(fd_);
  IdleInstance::get().give(fd_);
}

bool DirectoryWatch::complete() const noexcept { return fd_ >= 0; }

unsigned DirectoryWatch::drain() noexcept {
  if (fd_ < 0) return kEither;
  unsigned concerned = kNone;
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
      if ((ev->mask & IN_Q_OVERFLOW) != 0) concerned = kEither;
      // The two names may share a directory (one watch): each name counts for itself.
      if (first && (((ev->mask & IN_IGNORED) != 0) || (ev->len > 0 && name_ == ev->name))) concerned |= kName;
      if (second && (((ev->mask & IN_IGNORED) != 0) || (ev->len > 0 && more_->second_name == ev->name)))
        concerned |= kAlso;
      p += sizeof(struct inotify_event) + ev->len;
    }
    if (last) break;
  }
  return concerned;
}

}  // namespace filelock::platform
