// A wake-up a thread can sleep on with a deadline and another thread can trigger:
// the one waiting primitive of the engine (on Linux a futex word, with an eventfd for
// waits that also watch a descriptor; a pipe on other POSIX systems; an event on
// Windows). Nothing here throws: a wake-up the system could not make
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
  // Takes the signals given since a wait last returned: true if there were any.
  bool take() noexcept {
    uint32_t seen = seen_.load();
    while (true) {
      const uint32_t now = signals_.load();
      if (now == seen) return false;
      if (seen_.compare_exchange_weak(seen, now)) return true;
    }
  }
  void drain_event() noexcept;  // empties the event's read side

  NativeFile event_;
  NativeFile write_end_ = kInvalidFile;  // where the wake-up is a pipe
  OsError error_;
  // Bumped by every signal(); a wait returns true once for any number of signals it has
  // not seen. A sleep on the word itself (a futex, where there is one: wait_until, and a
  // release-wake sleep) is counted in word_sleepers_, a poll on the event in
  // fd_sleepers_: signal() makes the futex wake or the event write only while someone
  // sleeps that way. Each sleeper counts itself before it reads the word, and signal()
  // bumps the word before it reads the counts, so no signal falls between.
  std::atomic<uint32_t> signals_{0};
  std::atomic<uint32_t> seen_{0};
  std::atomic<uint32_t> word_sleepers_{0};
  std::atomic<uint32_t> fd_sleepers_{0};
  friend class ReleaseWake;
};

}  // namespace filelock::platform
