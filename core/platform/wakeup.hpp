// A wake-up a thread can sleep on with a deadline and another thread can trigger:
// the one waiting primitive of the engine (eventfd on Linux, a pipe on other POSIX
// systems, an event on Windows). Nothing here throws: a wake-up the system could not make
// says so in error(), which its maker checks (io::check_wakeup) before anything uses it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "platform/file.hpp"

namespace filelock::platform {

class Wakeup {
 public:
  Wakeup() noexcept;  // through the system-call table (Syscall::wakeup)
  ~Wakeup();
  Wakeup(const Wakeup &) = delete;
  Wakeup &operator=(const Wakeup &) = delete;

  // Why the wake-up could not be made (err 0: it was). A failed one's waits return false
  // at once and its signals do nothing.
  OsError error() const noexcept { return error_; }

  void signal() noexcept;  // async-signal-safe; may be called from any thread
  // How many times it was signalled (wrapping): a sleep on a release-wake word
  // (release_wake.hpp) ends on a signal given after this was read.
  uint32_t signals() const noexcept { return signals_.load(); }
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
  OsError error_;
  // Bumped by every signal(); a release-wake sleep also sleeps on it (a futex where
  // there is one), and signal() wakes it only while one does.
  std::atomic<uint32_t> signals_{0};
  std::atomic<uint32_t> word_sleepers_{0};
  friend class ReleaseWake;
};

}  // namespace filelock::platform
