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

namespace filelock {

// What one handle holds, readable by other threads.
struct HolderSlot {
  std::atomic<uint64_t> thread{0};  // platform::current_thread_id() of the holder, 0: none
  std::atomic<int> mode{0};         // LockMode value, 0: none
};

struct PosixInodeState;  // posix_lock.hpp

struct InodeEntry {
  platform::FileIdentity id;
  std::vector<const HolderSlot *> slots;   // guarded by the registry mutex
  std::shared_ptr<PosixInodeState> posix;  // POSIX backend only; set under the registry mutex
};

class InodeRegistry {
 public:
  static InodeRegistry &instance();

  std::shared_ptr<InodeEntry> join(const platform::FileIdentity &id, const HolderSlot *slot);
  void leave(const std::shared_ptr<InodeEntry> &entry, const HolderSlot *slot) noexcept;
  // True if `thread` holds `entry` through a handle other than `self` in a mode that
  // conflicts with `want` and is the process's only thread: waiting forever for `want`
  // could then never end. With other threads, one of them may release that handle.
  bool would_deadlock(const InodeEntry &entry, const HolderSlot *self, uint64_t thread,
                      LockMode want);

  // Whether any handle of this process has the inode open / open with the POSIX backend
  // (then no other descriptor of it may be opened and closed: that drops our locks).
  bool has_open(const platform::FileIdentity &id);
  bool has_posix_open(const platform::FileIdentity &id);

  std::mutex &mutex() { return mutex_; }

 private:
  InodeRegistry();
  std::mutex mutex_;
  std::vector<std::shared_ptr<InodeEntry>> entries_;  // few per process: a scan is cheapest
};

}  // namespace filelock
