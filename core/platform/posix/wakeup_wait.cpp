// Sleeping on a Wakeup's event, the same for its eventfd (linux/) and pipe
// (posix/pipe_wakeup.cpp) forms: poll the event's read side, and another descriptor if
// given, until the deadline. The event only says "look at the signal word": one written
// for a signal an earlier wait took is drained and the poll goes on.
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

void Wakeup::drain() noexcept {
  if (event_ < 0) return;
  seen_.store(signals_.load());
  drain_event();
}

bool Wakeup::wait_until_either(NativeFile other, bool forever,
                               std::chrono::steady_clock::time_point deadline) noexcept {
  if (event_ < 0) return false;  // never made (error()): nothing could wake it
  fd_sleepers_.fetch_add(1);     // from here on every signal() writes the event
  bool woke = false;
  while (!(woke = take())) {
    struct pollfd fds[2] = {{event_, POLLIN, 0}, {other, POLLIN, 0}};
    if (!poll_until(fds, other >= 0 ? 2 : 1, forever, deadline)) break;
    if (fds[0].revents & POLLIN) drain_event();
    if (other >= 0 && (fds[1].revents & POLLIN)) {
      take();
      woke = true;
      break;
    }
  }
  fd_sleepers_.fetch_sub(1);
  return woke;
}

}  // namespace filelock::platform
