// Wakeup on a pipe, for POSIX systems without eventfd (macOS). poll's millisecond
// timeout is rounded up, so a deadline is never cut short.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include <algorithm>
#include <cerrno>

#include "common/error.hpp"
#include "platform/wakeup.hpp"

namespace filelock::platform {

namespace {

void set_flags(int fd) {
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
  ::fcntl(fd, F_SETFL, O_NONBLOCK);
}

}  // namespace

// event_ is the read end; the write end follows it, as event_ + 1 is not guaranteed.
Wakeup::Wakeup() : event_(kInvalidFile) {
  int fds[2];
  if (::pipe(fds) != 0) throw_os_error("create wake-up event", "pipe", errno);
  set_flags(fds[0]);
  set_flags(fds[1]);
  event_ = fds[0];
  write_end_ = fds[1];
}

Wakeup::~Wakeup() {
  ::close(event_);
  ::close(write_end_);
}

void Wakeup::signal() noexcept {
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

void Wakeup::drain() noexcept {
  char buf[64];
  while (true) {
    ssize_t n = ::read(event_, buf, sizeof buf);
    if (n > 0 || (n < 0 && errno == EINTR)) continue;
    break;
  }
}

bool Wakeup::wait_until(bool forever, std::chrono::steady_clock::time_point deadline) noexcept {
  return wait_until_either(kInvalidFile, forever, deadline);
}

bool Wakeup::wait_until_either(NativeFile other, bool forever,
                               std::chrono::steady_clock::time_point deadline) noexcept {
  struct pollfd fds[2] = {{event_, POLLIN, 0}, {other, POLLIN, 0}};
  const nfds_t count = other >= 0 ? 2 : 1;
  while (true) {
    int timeout_ms = -1;
    if (!forever) {
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return false;
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
      timeout_ms = static_cast<int>(std::min<long long>((us + 999) / 1000, 1 << 30));
    }
    int n = ::poll(fds, count, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) continue;  // the loop head tells a passed deadline from early rounding
    if (fds[0].revents & POLLIN) drain();
    return true;
  }
}

}  // namespace filelock::platform
