// Wakeup on an eventfd (waiting on it: posix/wakeup_wait.cpp).
#include "platform/wakeup.hpp"

#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>

#include "platform/posix/syscall.hpp"

namespace filelock::platform {

Wakeup::Wakeup() noexcept
    : event_(injected(Syscall::wakeup) ? -1 : ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (event_ < 0) error_ = OsError{errno, 0, nullptr};
}

Wakeup::~Wakeup() {
  if (event_ >= 0) ::close(event_);
}

void Wakeup::signal() noexcept {
  if (event_ < 0) return;
  signals_.fetch_add(1);
  if (word_sleepers_.load() != 0)  // a release-wake sleep (release_wake.hpp)
    ::syscall(SYS_futex, &signals_, FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
  uint64_t one = 1;
  // A raw system call, not write(): write() is a cancellation point, and the waiter
  // thread signals right after a pthread_cancel may have been sent to it. glibc 2.36
  // acts on a pending cancel inside any cancellation point that turns asynchronous
  // cancellation on, even with cancellation disabled, and the unwind through this
  // noexcept function would terminate the process.
  while (::syscall(SYS_write, event_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void Wakeup::drain() noexcept {
  if (event_ < 0) return;
  uint64_t value;
  while (::read(event_, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

}  // namespace filelock::platform
