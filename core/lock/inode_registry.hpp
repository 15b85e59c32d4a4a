// Every open handle of this process, grouped by the inode of its lock file.
//
// Handles publish who holds them (thread id + mode) in their own atomics, so locking and
// unlocking never touch the registry; it is consulted only on the slow paths: before
// waiting forever (would this thread wait for itself, with no other thread to release
// it? then FL_EDEADLK, not a hang) and by the POSIX backend, whose locks belong to the
// process (see posix_lock.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "lock/lock.hpp"
#include "platform/file.hpp"
#include "platform/wakeup.hpp"

namespace filelock {

// What one handle holds, readable by other threads.
struct HolderSlot {
  std::atomic<uint64_t> thread{0};  // platform::current_thread_id() of the holder, 0: none
  std::atomic<int> mode{0};         // LockMode value, 0: none
  // platform::fork_generation() when it was taken: a slot of another generation is the
  // parent's lock, seen through an inherited handle, which this process never releases.
  std::atomic<uint64_t> generation{0};
  // Its unlock wakes local waiters (InodeEntry::released); set before the slot joins.
  bool wakes_local_waiters = false;
};

struct PosixInodeState;  // posix_lock.hpp

struct InodeEntry {
  platform::FileInfo id;
  std::vector<const HolderSlot *> slots;   // guarded by the registry mutex
  std::shared_ptr<PosixInodeState> posix;  // POSIX backend only; set under the registry mutex

  // Waiters for a handle of this process to let go (LocalWait): woken by its unlock
  // directly, one wake-up, where a wait in the kernel costs a waiter thread and a second
  // wake-up. Called by such a handle after its kernel lock is released; one load when
  // nobody waits. Wakes one waiter, the longest waiting of those not woken yet, as the
  // kernel wakes one of its flock waiters: waking all, in a pool of 200 threads, made
  // every release 200 signals and 199 failed tries.
  void released() noexcept;

 private:
  friend class LocalWait;
  friend class InodeRegistry;
  struct Waiter {
    std::shared_ptr<platform::Wakeup> wakeup;
    bool woken;  // signalled, and not yet back at its next try
  };
  // Under the registry mutex: marks the first waiter not woken yet, and returns its
  // wake-up (null if every waiter is about to try anyway).
  std::shared_ptr<platform::Wakeup> take_next() noexcept;
  std::atomic<int> waiter_count_{0};
  // Guarded by the registry mutex, in the order they came. The wake-ups are shared, so
  // they are signalled after the mutex is let go: a waiter woken while the releaser
  // still held it would block on it again at once, costing two more context switches.
  std::vector<Waiter> waiters_;
};

// A wait registered on an entry for as long as it lives. Register before the first try,
// and call retrying() before each later one, so that a release after a try is never
// missed. A wait that ends without the lock exclusively held (timed out, cancelled,
// left for another kind of wait, or holding it shared) wakes the next waiter on its
// way out, so the one wake-up a release gave is never lost with it. A signal can come
// after the wait ended: the next wait on that wake-up then wakes once for nothing,
// which every wait allows.
class LocalWait {
 public:
  LocalWait(InodeEntry &entry, std::shared_ptr<platform::Wakeup> wakeup);
  ~LocalWait();
  LocalWait(const LocalWait &) = delete;
  LocalWait &operator=(const LocalWait &) = delete;

  // Back from a sleep, before the next try: a release from now on wakes this wait again.
  void retrying() noexcept;
  // The wait ended with the lock held exclusively: its unlock wakes the next waiter.
  void acquired_exclusive() noexcept { holds_baton_ = true; }

 private:
  InodeEntry &entry_;
  std::shared_ptr<platform::Wakeup> wakeup_;
  bool holds_baton_ = false;
};

class InodeRegistry {
 public:
  static InodeRegistry &instance();

  std::shared_ptr<InodeEntry> join(const platform::FileInfo &id, const HolderSlot *slot);
  void leave(const std::shared_ptr<InodeEntry> &entry, const HolderSlot *slot) noexcept;
  // True if `thread` holds `entry` through a handle other than `self` in a mode that
  // conflicts with `want` and is the process's only thread: waiting forever for `want`
  // could then never end. With other threads, one of them may release that handle.
  bool would_deadlock(const InodeEntry &entry, const HolderSlot *self, uint64_t thread,
                      LockMode want);
  // True if a handle of this process other than `self`, one whose unlock wakes local
  // waiters, holds `entry` in a mode that conflicts with `want`.
  bool held_here(const InodeEntry &entry, const HolderSlot *self, LockMode want);

  // Whether any handle of this process has the inode open / open with the POSIX backend
  // (then no other descriptor of it may be opened and closed: that drops our locks).
  bool has_open(const platform::FileInfo &id);
  bool has_posix_open(const platform::FileInfo &id);

  std::mutex &mutex() { return mutex_; }
  // In a fork child, under the mutex: drops every LocalWait (their threads are gone).
  void forget_local_waiters() noexcept;

 private:
  InodeRegistry();
  std::mutex mutex_;
  std::vector<std::shared_ptr<InodeEntry>> entries_;  // few per process: a scan is cheapest
};

}  // namespace filelock
