// Wakeup on Linux: a futex counter for plain waits, an eventfd for waits that also watch
// another descriptor (ppoll can watch both, a futex cannot). A plain wait is the kernel
// lock's handoff path, where the futex saves the eventfd's read on every wake-up; the
// eventfd is written only while a ppoll waiter is registered.
#include "platform/wakeup.hpp"

#include <linux/futex.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>

#include "common/error.hpp"

namespace filelock::platform {

namespace {

// Raw system calls, not write()/read(): those are cancellation points, and the waiter
// thread signals right after a pthread_cancel may have been sent to it. glibc 2.36 acts
// on a pending cancel inside any cancellation point that turns asynchronous cancellation
// on, even with cancellation disabled, and the unwind through a noexcept function would
// terminate the process.
void futex_wake_all(std::atomic<uint32_t> *word) {
  ::syscall(SYS_futex, reinterpret_cast<uint32_t *>(word), FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
            INT_MAX, nullptr, nullptr, 0);
}

// Sleeps while *word == seen, until `deadline` (CLOCK_MONOTONIC, as steady_clock) unless
// `forever`. Returns false once the deadline has passed.
bool futex_wait(std::atomic<uint32_t> *word, uint32_t seen, bool forever,
                std::chrono::steady_clock::time_point deadline) {
  struct timespec ts;
  if (!forever) {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
    ts.tv_sec = static_cast<time_t>(ns / 1000000000);
    ts.tv_nsec = static_cast<long>(ns % 1000000000);
  }
  // Bitset form: an absolute deadline, so a spurious return needs no recomputation.
  const long rc = ::syscall(SYS_futex, reinterpret_cast<uint32_t *>(word),
                            FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, seen,
                            forever ? nullptr : &ts, nullptr, FUTEX_BITSET_MATCH_ANY);
  return !(rc < 0 && errno == ETIMEDOUT);
}

}  // namespace

Wakeup::Wakeup() : event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (event_ < 0) throw_os_error("create wake-up event", "eventfd", errno);
}

Wakeup::~Wakeup() {
  parked_.reset();  // its thread may still signal us: stop it before the event goes
  ::close(event_);
}

void Wakeup::signal() noexcept {
  signals_.fetch_add(1, std::memory_order_seq_cst);
  futex_wake_all(&signals_);
  // seq_cst with wait_until_either's registration: either it sees the new count before
  // sleeping, or we see it registered and wake its ppoll.
  if (pollers_.load(std::memory_order_seq_cst) == 0) return;
  uint64_t one = 1;
  while (::syscall(SYS_write, event_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void Wakeup::drain() noexcept {
  consumed_ = signals_.load(std::memory_order_acquire);
  uint64_t value;
  while (::syscall(SYS_read, event_, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

bool Wakeup::wait_until(bool forever, std::chrono::steady_clock::time_point deadline) noexcept {
  while (true) {
    const uint32_t now = signals_.load(std::memory_order_acquire);
    if (now != consumed_) {
      consumed_ = now;
      return true;
    }
    if (!futex_wait(&signals_, now, forever, deadline)) return false;
  }
}

bool Wakeup::wait_until_either(NativeFile other, bool forever,
                               std::chrono::steady_clock::time_point deadline) noexcept {
  struct pollfd fds[2] = {{event_, POLLIN, 0}, {other, POLLIN, 0}};
  const nfds_t count = other >= 0 ? 2 : 1;
  pollers_.fetch_add(1, std::memory_order_seq_cst);
  bool woken = false;
  while (true) {
    const uint32_t now = signals_.load(std::memory_order_seq_cst);
    if (now != consumed_) {
      consumed_ = now;
      woken = true;
      break;
    }
    struct timespec ts;
    struct timespec *timeout = nullptr;
    if (!forever) {
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) break;
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      ts.tv_sec = static_cast<time_t>(ns / 1000000000);
      ts.tv_nsec = static_cast<long>(ns % 1000000000);
      timeout = &ts;
    }
    int n = ::ppoll(fds, count, timeout, nullptr);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (fds[0].revents & POLLIN) {
      drain();
      woken = true;
      break;
    }
    woken = true;  // `other` is ready
    break;
  }
  pollers_.fetch_sub(1, std::memory_order_seq_cst);
  return woken;
}

}  // namespace filelock::platform
