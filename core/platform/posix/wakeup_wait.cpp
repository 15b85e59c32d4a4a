// Sleeping on a Wakeup, the same for its eventfd (linux/) and pipe (posix/pipe_wakeup.cpp)
// forms: poll the event's read side, and another descriptor if given, until the deadline.
// ppoll takes a nanosecond deadline where it exists (Linux); elsewhere poll's
// millisecond timeout is rounded up, so a deadline is never cut short.
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "platform/wakeup.hpp"

namespace filelock::platform {

namespace {

// true when a descriptor is readable; false at the deadline (or on a poll failure).
bool poll_until(struct pollfd *fds, nfds_t count, bool forever,
                std::chrono::steady_clock::time_point deadline) noexcept {
  while (true) {
    int n;
    if (forever) {
      n = ::poll(fds, count, -1);
    } else {
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) return false;
#ifdef __linux__
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      struct timespec ts;
      ts.tv_sec = static_cast<time_t>(ns / 1000000000);
      ts.tv_nsec = static_cast<long>(ns % 1000000000);
      n = ::ppoll(fds, count, &ts, nullptr);
#else
      auto us = std::chrono::duration_cast<std::chrono::microseconds>(left).count();
      n = ::poll(fds, count, static_cast<int>(std::min<long long>((us + 999) / 1000, 1 << 30)));
#endif
    }
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
    // Interrupted, or woken at the timeout: the loop head tells whether the deadline passed.
  }
}

}  // namespace

bool Wakeup::wait_until(bool forever, std::chrono::steady_clock::time_point deadline) noexcept {
  return wait_until_either(kInvalidFile, forever, deadline);
}

bool Wakeup::wait_until_either(NativeFile other, bool forever,
                               std::chrono::steady_clock::time_point deadline) noexcept {
  if (event_ < 0) return false;  // never made (error()): nothing could wake it
  struct pollfd fds[2] = {{event_, POLLIN, 0}, {other, POLLIN, 0}};
  if (!poll_until(fds, other >= 0 ? 2 : 1, forever, deadline)) return false;
  if (fds[0].revents & POLLIN) drain();
  return true;
}

}  // namespace filelock::platform
