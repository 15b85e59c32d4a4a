// The OS's own file locks. They die with their holder, so a crash never leaves one held.
//
//   flock  whole-file lock owned by the open file description (BSD flock(2)); the same
//          lock as flock(1), py-filelock, portalocker and gofrs/flock use.
//   ofd    Linux open-file-description fcntl record lock over the whole file: owned like
//          flock, but also works on NFS (the server sees it as a POSIX lock).
//   posix  classic fcntl record lock: owned by the PROCESS, and dropped when the process
//          closes ANY descriptor of the file. Only for filesystems where nothing else
//          works; the engine shares one descriptor per inode to live with it.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "common/lock_mode.hpp"
#include "platform/file.hpp"
#include "platform/wakeup.hpp"

namespace filelock::platform {

enum class KernelLockKind { flock, ofd, posix };

// Nothing here throws: an OS error comes back as an OsError (platform/file.hpp), and
// core/io/lock_io turns it into the Error naming the operation, the path and the reason
// (io::kernel_try_lock ...). Every system call goes through platform/syscalls.hpp.

// What to use instead of a kind of lock this system does not have (kNoSuchLock).
const char *missing_lock_reason(KernelLockKind kind) noexcept;
// "flock", "OFD fcntl", "POSIX fcntl" ("LockFileEx" for flock on Windows): for messages.
const char *kernel_lock_name(KernelLockKind kind) noexcept;

// `acquired` true: the lock is ours; false: someone holds a conflicting lock. An error
// otherwise (ENOLCK, EOPNOTSUPP... where the filesystem has no such locks).
OsError kernel_try_lock(NativeFile file, KernelLockKind kind, LockMode mode, bool &acquired);
// A failed unlock reports op "unlock".
OsError kernel_unlock(NativeFile file, KernelLockKind kind);

// The descriptor number of `file` if a child process that inherits it shares a lock of
// this kind (so the lock lasts while either holds it, as with flock(1)); -1 otherwise.
int inheritable_descriptor(NativeFile file, KernelLockKind kind) noexcept;

// true where KernelLockKind::flock is carried out by LockFileEx (Windows): there the
// WINDOWS backend is that lock, and AUTO picks it.
bool whole_file_lock_is_lockfileex() noexcept;

// Whether an fcntl lock (OFD, POSIX) on `file` leaves flock holders of it alone, so that
// an OFD or POSIX holder must take flock too to exclude them (see kernel_file_lock.hpp):
// Linux on a local filesystem. False where flock is itself an fcntl lock (NFS, SMB) and
// where the two already conflict (the BSDs, macOS: one process's flock and fcntl locks
// would there conflict with each other); false on Windows.
bool flock_apart_from_fcntl(NativeFile file) noexcept;

// The lock a LOCKFILE or LOCKDIR holder keeps on its own entry while it holds, so that a
// kernel-backend acquirer of the same name finds it held (entry_guard.hpp): an exclusive
// flock on the file or on the directory (Windows: the WINDOWS backend's LockFileEx lock
// on a file; none on a directory). kInvalidFile where there is no such lock (the name
// alone then excludes, as before) in `out`.
OsError hold_entry_lock(const std::string &path, bool directory, NativeFile &out);
// Lets go of it by closing the descriptor only: after fork() the child's copy must never
// unlock the parent's lock.
void drop_entry_lock(NativeFile file) noexcept;
// True if someone holds a kernel lock on the entry at `path` now (a live name-lock
// holder's entry lock); false if not, or if it is missing or cannot be probed.
bool entry_lock_held(const std::string &path, bool directory);

// replaced: the path names another file than `file` now (fl_clean_stale removed it);
// nothing is held, and the caller re-opens the path and tries again.
enum class WaitOutcome { acquired, timed_out, canceled, replaced };

// What a handle's waits leave for the next one. Where a blocked flock() cannot be
// interrupted without a signal handler of ours (macOS, see posix/kernel_wait.cpp), a wait
// that times out or is cancelled leaves its waiter thread blocked, parked here: the next
// wait in the same mode takes it over instead of starting another, so a caller retrying
// with short timeouts keeps one waiter, not one per attempt. A parked waiter that gets
// the lock releases it at once and ends; so does one left behind when the handle closes.
struct ParkedWait {
  ParkedWait() = default;
  ~ParkedWait();
  ParkedWait(const ParkedWait &) = delete;
  ParkedWait &operator=(const ParkedWait &) = delete;
  // After fork(): the waiter thread does not exist in the child; drop it unseen.
  void forget() noexcept { waiter = nullptr; }

  void *waiter = nullptr;  // the platform's own
};

// Blocks until the lock is acquired, `deadline` passes (unless `forever`) or `cancel` is
// set (cancel() sets it and then signals `wakeup`). The kernel wakes us on release: this
// never polls. On timed_out/canceled/replaced nothing is held. `wakeup` is shared because
// a finished waiter thread may still be signalling it after this returns. `path` names
// the file `file` has open. A flock wait may hand back the lock on a new descriptor of
// the same file: `file` is then replaced by it (the old one closed). `parked` keeps a
// waiter between waits (see ParkedWait): required for flock, nullptr for posix (which
// never parks). An error is the lock call's (op unset) or names its step's op ("lock
// (start waiter thread)", "unlock"...); nothing is held then.
OsError kernel_wait_lock(NativeFile &file, KernelLockKind kind, LockMode mode, bool forever,
                         std::chrono::steady_clock::time_point deadline,
                         const std::shared_ptr<Wakeup> &wakeup, const std::atomic<bool> &cancel,
                         const std::string &path, ParkedWait *parked, WaitOutcome &outcome);

}  // namespace filelock::platform
