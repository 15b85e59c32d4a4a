// DirectoryWatch on macOS: a kqueue with a vnode filter on the directory. A name removed
// or renamed away writes the directory (NOTE_WRITE), and a kqueue descriptor polls
// readable while an event is pending, so Wakeup::wait_until_either can sleep on it.
#include <fcntl.h>
#include <sys/event.h>
#include <unistd.h>

#include "platform/dir_watch.hpp"
#include "platform/posix/syscall.hpp"

namespace filelock::platform {

// A name renamed into the directory writes it as well (NOTE_WRITE): one filter for both events.
DirectoryWatch::DirectoryWatch(const std::string &dir, const std::string &name, Event) noexcept
    : fd_(injected(Syscall::watch) ? -1 : ::kqueue()), name_(name) {
  if (fd_ < 0) return;
  ::fcntl(fd_, F_SETFD, FD_CLOEXEC);
  // O_EVTONLY: watching must not keep the directory's volume from being unmounted.
  dir_ = injected(Syscall::open) ? -1 : ::open(dir.c_str(), O_EVTONLY | O_DIRECTORY | O_CLOEXEC);
  struct kevent change;
  EV_SET(&change, dir_, EVFILT_VNODE, EV_ADD | EV_CLEAR, NOTE_WRITE | NOTE_DELETE, 0, nullptr);
  if (dir_ < 0 || injected(Syscall::watch_add) || ::kevent(fd_, &change, 1, nullptr, 0, nullptr) != 0) {
    if (dir_ >= 0) ::close(dir_);
    ::close(fd_);
    fd_ = kInvalidFile;
    dir_ = kInvalidFile;
  }
}

struct DirectoryWatch::More {};

// A kqueue watch on a directory sees its entries, not a file written in place.
bool DirectoryWatch::also_arrivals(const std::string &, const std::string &) noexcept { return false; }

DirectoryWatch::~DirectoryWatch() {
  if (fd_ >= 0) ::close(fd_);
  if (dir_ >= 0) ::close(dir_);
}

bool DirectoryWatch::drain() noexcept {
  if (fd_ < 0) return true;
  struct kevent events[8];
  const struct timespec zero = {0, 0};
  while (::kevent(fd_, nullptr, 0, events, 8, &zero) > 0) {
  }
  return true;  // a vnode event names no entry
}

}  // namespace filelock::platform
