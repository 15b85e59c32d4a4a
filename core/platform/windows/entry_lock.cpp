// The lock a LOCKFILE holder keeps on its entry (kernel_lock.hpp): the WINDOWS backend's
// own LockFileEx lock (kernel_lock.cpp), so a WINDOWS-backend process finds a held
// LOCKFILE's file locked and waits for its release. The handle shares reading, writing
// and deletion: the holder renames its file into place and deletes it while holding it,
// and others read its record meanwhile.
//
// A directory cannot carry a LockFileEx lock: a LOCKDIR holder keeps none. No kernel
// backend needs one there, as it fails at once on a lock directory (open_kernel_lock_file).
#include <chrono>
#include <thread>

#include "platform/kernel_lock.hpp"
#include "platform/windows/win_file.hpp"

namespace filelock::platform {

OsError hold_entry_lock(const std::string &path, bool directory, NativeFile &out) {
  out = kInvalidFile;
  if (directory) return OsError{};
  HANDLE h;
  if (const OsError e = win::open_existing_lock_file(path, GENERIC_READ | GENERIC_WRITE, h))
    return e;
  // The entry is ours and new, but a name-lock acquirer may be probing it (a shared
  // lock for an instant, entry_lock_held): try again for up to about a second.
  for (int attempt = 0;; ++attempt) {
    bool acquired = false;
    const OsError e = kernel_try_lock(h, KernelLockKind::flock, LockMode::exclusive, acquired);
    if (!e && acquired) {
      out = h;
      return OsError{};
    }
    if (e || attempt == 1000) {
      ::CloseHandle(h);
      // Still taken by another handle after a second: reported as the lock's conflict.
      return e ? e : win::from_win32(ERROR_LOCK_VIOLATION);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// Closing the handle releases its lock.
void drop_entry_lock(NativeFile file) noexcept {
  if (file != INVALID_HANDLE_VALUE && file != nullptr) ::CloseHandle(file);
}

bool entry_lock_held(const std::string &path, bool directory) {
  if (directory) return false;
  HANDLE h;
  if (win::open_existing_lock_file(path, GENERIC_READ, h)) return false;
  bool acquired = true;
  // An error: it cannot be probed, which counts as not held.
  const bool held = !kernel_try_lock(h, KernelLockKind::flock, LockMode::shared, acquired) && !acquired;
  ::CloseHandle(h);  // releases the probe's lock
  return held;
}

}  // namespace filelock::platform
