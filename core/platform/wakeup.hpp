// A wake-up a thread can sleep on with a deadline and another thread can trigger:
// the one waiting primitive of the engine (a futex and an eventfd on Linux, an event on
// Windows).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

#include "platform/file.hpp"

namespace filelock::platform {

class Wakeup {
 public:
  Wakeup();  // throws Error
  ~Wakeup();
  Wakeup(const Wakeup &) = delete;
  Wakeup &operator=(const Wakeup &) = delete;

  void signal() noexcept;  // async-signal-safe; may be called from any thread
  void drain() noexcept;   // forget earlier signals
  // Sleeps until signalled (true, consuming the signal) or the deadline (false).
  bool wait_until(bool forever, std::chrono::steady_clock::time_point deadline) noexcept;
  // Like wait_until, but also wakes when `other` becomes readable (an inotify
  // descriptor); returns true if `other` is ready or the wake-up was signalled.
  bool wait_until_either(NativeFile other, bool forever,
                         std::chrono::steady_clock::time_point deadline) noexcept;

  // What a platform keeps for its owner's lock waits between them (POSIX: the parked
  // waiter thread, see kernel_lock.cpp); released before the event closes.
  std::shared_ptr<void> &parked() noexcept { return parked_; }

 private:
  NativeFile event_;
  std::shared_ptr<void> parked_;
  // POSIX: signals counted in a futex word; the waiting thread's count of those it saw;
  // threads sleeping on event_ (only they need it written).
  std::atomic<uint32_t> signals_{0};
  uint32_t consumed_ = 0;
  std::atomic<int> pollers_{0};
};

}  // namespace filelock::platform
