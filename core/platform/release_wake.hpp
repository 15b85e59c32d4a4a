// One-hop wake-ups for kernel lock waits, where the system has them (Linux).
//
// A wait for a flock held by another process otherwise blocks a waiter thread in flock()
// and takes two wake-ups (the release wakes the thread, the thread wakes the caller;
// kernel_wait.cpp). Here the caller sleeps itself, on a futex word that every filelock
// release of the file bumps and wakes, and on its own Wakeup (cancel) at once.
//
// The words live in a table shared by the user's processes: a shared-memory file of the
// user's own (mode 0600; one owned by anyone else is not used), one slot per lock file,
// chosen by a hash of its device and inode:
//   generation  bumped by every filelock release of an exclusive kernel lock of the file
//   sleepers    set by each wait before it sleeps on the slot, cleared by the release
//               that wakes them: a release with none set makes no call, and one left
//               by a killed waiter costs the next release one call, not every later one
//   holder      the process holding the file exclusively through filelock, 0 if none,
//               with its PID namespace and the file's key (two files may share a slot)
// Only a live holder that is another process of our PID namespace, holding this very
// file, promises a release that wakes; anything else (flock(1), gofrs, a shared holder,
// another user's process, a holder in a container) leaves the wait to the kernel at once.
// A holder that dies bumps no word: the sleeper watches it (HolderWatch), and its death
// wakes the sleeper, whose next try finds the lock the kernel freed.
//
// The table only makes waits faster, never decides who holds. What could still make a
// sleep wait for nothing (a mark left by a killed holder whose PID was reused, a table
// scribbled on by one of the user's processes) delays a wait by at most
// kReleaseWakeSpan, after which it goes on in the kernel.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "platform/file.hpp"
#include "platform/wakeup.hpp"

namespace filelock::platform {

// How long a wait sleeps on the table before it lets the kernel wait too (see above).
inline constexpr std::chrono::milliseconds kReleaseWakeSpan{1000};

struct ReleaseWakeSlot;

class ReleaseWake {
 public:
  ReleaseWake() = default;
  // The slot of the file `id` names, for this process; empty where the system has no
  // table or it could not be opened (Syscall::wake_table).
  static ReleaseWake for_file(const FileInfo &id) noexcept;
  explicit operator bool() const noexcept { return slot_ != nullptr; }
  bool operator==(const ReleaseWake &o) const noexcept { return slot_ == o.slot_; }
  bool operator!=(const ReleaseWake &o) const noexcept { return slot_ != o.slot_; }

  // The holder's side: after an exclusive acquisition; after its unlock (wakes sleepers).
  // Only an exclusive holder is slept on, so a shared one calls neither.
  void held() const noexcept;
  void released() const noexcept;

  // A waiter's side: it reads the generation before it tries the lock, and sleeps only
  // if the try failed and waking_holder() names one, watched (HolderWatch).
  uint32_t generation() const noexcept;
  // Whether the slot's next release makes the wake call (see above).
  bool sleepers() const noexcept;
  // The process whose release will wake us (see above), or 0.
  int32_t waking_holder() const noexcept;
  enum class Sleep { changed, signalled, timed_out };
  // Sleeps until the generation is no longer `generation`, `wakeup` is signalled after
  // its count was `signals` (Wakeup::signals()), or `until`.
  Sleep sleep(uint32_t generation, Wakeup &wakeup, uint32_t signals,
              std::chrono::steady_clock::time_point until) const noexcept;

 private:
  ReleaseWakeSlot *slot_ = nullptr;
  // Read only where there is a table.
  [[maybe_unused]] uint64_t key_ = 0;   // the file's
  [[maybe_unused]] int32_t self_ = 0;   // this process, as the holder field names it
  [[maybe_unused]] uint32_t pid_ns_ = 0;
};

// While it lives, the end of process `pid` signals `wakeup` (one watcher thread per
// process serves every watch). Empty (false) if the process is gone or cannot be watched.
class HolderWatch {
 public:
  HolderWatch(int32_t pid, const std::shared_ptr<Wakeup> &wakeup) noexcept;
  ~HolderWatch();
  HolderWatch(const HolderWatch &) = delete;
  HolderWatch &operator=(const HolderWatch &) = delete;
  explicit operator bool() const noexcept { return id_ != 0; }
  int32_t pid() const noexcept { return pid_; }
  // Made, in this process, and the process it watches has not ended: it can serve
  // another wait for the same holder.
  bool live() const noexcept;

 private:
  uint64_t id_ = 0;
  int32_t pid_;
};

}  // namespace filelock::platform
