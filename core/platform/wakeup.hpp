// A wake-up a thread can sleep on with a deadline and another thread can trigger:
// the one waiting primitive of the engine (eventfd on Linux, a pipe on other POSIX
// systems, an event on Windows).
#pragma once

#include <chrono>

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

 private:
  NativeFile event_;
  NativeFile write_end_ = kInvalidFile;  // where the wake-up is a pipe
};

}  // namespace filelock::platform
