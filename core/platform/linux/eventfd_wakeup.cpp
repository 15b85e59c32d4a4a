// Wakeup on Linux: a wait with nothing else to watch sleeps on the signal word itself
// (a futex), so a signal is one atomic add and, only while someone sleeps, one
// FUTEX_WAKE; the eventfd serves the waits that poll another descriptor too
// (posix/wakeup_wait.cpp).
#include "platform/wakeup.hpp"

#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <ctime>

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
  if (word_sleepers_.load() != 0)
    ::syscall(SYS_futex, &signals_, FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
  if (fd_sleepers_.load() == 0) return;
  uint64_t one = 1;
  // A raw system call, not write(): write() is a cancellation point, and the waiter
  // thread signals right after a pthread_cancel may have been sent to it. glibc 2.36
  // acts on a pending cancel inside any cancellation point that turns asynchronous
  // cancellation on, even with cancellation disabled, and the unwind through this
  // noexcept function would terminate the process.
  while (::syscall(SYS_write, event_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void Wakeup::drain_event() noexcept {
  uint64_t value;
  while (::read(event_, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

bool Wakeup::wait_until(bool forever, std::chrono::steady_clock::time_point deadline) noexcept {
  if (event_ < 0) return false;  // never made (error()): nothing could wake it
  word_sleepers_.fetch_add(1);
  bool woke = false;
  struct timespec at;  // FUTEX_WAIT_BITSET's absolute time is on CLOCK_MONOTONIC: steady_clock's
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
  at.tv_sec = static_cast<time_t>(ns / 1000000000);
  at.tv_nsec = static_cast<long>(ns % 1000000000);
  while (true) {
    const uint32_t word = signals_.load();
    if (take()) {
      woke = true;
      break;
    }
    if (!forever && std::chrono::steady_clock::now() >= deadline) break;
    if (::syscall(SYS_futex, &signals_, FUTEX_WAIT_BITSET_PRIVATE, word, forever ? nullptr : &at,
                  nullptr, FUTEX_BITSET_MATCH_ANY) != 0 &&
        errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT) {
      // No futex (a filter refusing it): wait on the eventfd instead.
      word_sleepers_.fetch_sub(1);
      return wait_until_either(kInvalidFile, forever, deadline);
    }
  }
  word_sleepers_.fetch_sub(1);
  return woke;
}

}  // namespace filelock::platform
