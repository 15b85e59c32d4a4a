// How the lock-file backends (LOCKFILE, LOCKDIR) and the kernel backends (FLOCK, OFD,
// POSIX) keep each other out of one lock name. The rule: any two handles of one path
// exclude each other whatever backend each chose, or the later one fails at once with
// Status::busy naming the backend in the way; a live holder is never broken.
//
//   name lock holds, kernel backend comes: the holder keeps an exclusive flock on its
//     entry (EntryGuard) from before the name is visible (a LOCKFILE is flocked under its
//     temporary name, then moved in) until after it is deleted. Every kernel backend
//     takes flock (kernel_file_lock.hpp), so it finds the file held and waits in the
//     kernel; the release deletes, then unlocks, and the waiter's "still linked?" check
//     re-opens a fresh file. A LOCKDIR's directory cannot be kernel-locked by a kernel
//     backend: it fails at once (open_kernel_lock_file). On Windows the entry lock is
//     the WINDOWS backend's LockFileEx lock; a directory takes none, so a LOCKDIR holder
//     keeps no entry lock there (platform/windows/entry_lock.cpp).
//   kernel backend holds, name lock comes: the file is an orphan to the name lock. It is
//     never removed while any kernel lock (flock or fcntl) is held on it; unheld, a file
//     carrying a kernel backend's record (left behind by design) is removed at once, an
//     unknown empty file only after the orphan grace (lock_entry.hpp). A release frees
//     no name, so inotify cannot wake the name-lock waiter: it re-checks every
//     retry_interval_ms.
//   name lock holds, name lock comes: the name excludes (as ever); a holder whose entry
//     lock is still held is alive, whatever its record says, and is never broken.
#pragma once

#include <string>

#include "lock/lock_entry.hpp"
#include "platform/file.hpp"

namespace filelock {

class EntryGuard {
 public:
  EntryGuard() = default;
  ~EntryGuard() { release(); }
  EntryGuard(const EntryGuard &) = delete;
  EntryGuard &operator=(const EntryGuard &) = delete;

  // Takes the entry lock on what `path` names (a directory for LOCKDIR). Throws Error.
  void hold(const std::string &path, bool directory);
  // Where create_lock_file leaves the lock it took on a LOCKFILE before placing it.
  platform::NativeFile *slot() noexcept { return &file_; }
  // Closes the descriptor (never unlocks: after fork() it may be the parent's lock).
  void release() noexcept;

 private:
  platform::NativeFile file_ = platform::kInvalidFile;
};

// True if the entry a name-lock acquirer found is a live holder's by its kernel lock:
// then it is never broken, even if its record looks stale.
bool entry_guarded(const std::string &lock_path, const LockEntry &entry);

// An orphan a kernel backend left behind by design (its record names flock, ofd or
// posix): remove_orphan_entry may remove it at once, as it removes only an unheld file.
bool kernel_backend_leftover(const LockEntry &entry);

// The reason for a name lock's busy failure, naming the backend that holds the name.
std::string name_taken_reason(const std::string &lock_path);

}  // namespace filelock
