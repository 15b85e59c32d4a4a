// Wakeup on a pipe, for POSIX systems without eventfd (macOS); waiting on it:
// wakeup_wait.cpp.
#include <fcntl.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include <cerrno>

#include "platform/posix/syscall.hpp"
#include "platform/wakeup.hpp"

namespace filelock::platform {

namespace {

void set_flags(int fd) {
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
}

}  // namespace

// event_ is the pipe's read end (what waiters poll), write_end_ its write end.
Wakeup::Wakeup() noexcept : event_(kInvalidFile) {
  int fds[2];
  if (injected(Syscall::wakeup) || ::pipe(fds) != 0) {
    error_ = OsError{errno, 0, nullptr};
    return;
  }
  set_flags(fds[0]);
  set_flags(fds[1]);
  event_ = fds[0];
  write_end_ = fds[1];
}

Wakeup::~Wakeup() {
  if (event_ >= 0) ::close(event_);
  if (write_end_ >= 0) ::close(write_end_);
}

void Wakeup::signal() noexcept {
  if (write_end_ < 0) return;
  signals_.fetch_add(1);
  if (fd_sleepers_.load() == 0) return;
  const char one = 1;
  // A full pipe already holds a pending signal: EAGAIN is fine. On glibc, a raw system
  // call for the reason eventfd_wakeup.cpp gives (a late pthread_cancel).
#ifdef __linux__
  while (::syscall(SYS_write, write_end_, &one, 1) < 0 && errno == EINTR) {
  }
#else
  while (::write(write_end_, &one, 1) < 0 && errno == EINTR) {
  }
#endif
}

bool Wakeup::wait_until(bool forever, std::chrono::steady_clock::time_point deadline) noexcept {
  return wait_until_either(kInvalidFile, forever, deadline);
}

void Wakeup::drain_event() noexcept {
  char buf[64];
  while (true) {
    ssize_t n = ::read(event_, buf, sizeof buf);
    if (n > 0 || (n < 0 && errno == EINTR)) continue;
    break;
  }
}

}  // namespace filelock::platform
