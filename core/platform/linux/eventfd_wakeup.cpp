// Wakeup on an eventfd: ppoll gives a nanosecond deadline and can watch a second fd.
#include "platform/wakeup.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "common/error.hpp"

namespace filelock::platform {

Wakeup::Wakeup() : event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (event_ < 0) throw_os_error("create wake-up event", "eventfd", errno);
}

Wakeup::~Wakeup() { ::close(event_); }

void Wakeup::signal() noexcept {
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
  uint64_t value;
  while (::read(event_, &value, sizeof value) < 0 && errno == EINTR) {
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
    struct timespec ts;
    struct timespec *timeout = nullptr;
    if (!forever) {
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return false;
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      ts.tv_sec = static_cast<time_t>(ns / 1000000000);
      ts.tv_nsec = static_cast<long>(ns % 1000000000);
      timeout = &ts;
    }
    int n = ::ppoll(fds, count, timeout, nullptr);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (fds[0].revents & POLLIN) drain();
    return true;
  }
}

}  // namespace filelock::platform
