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
#include "platform/windows/win_util.hpp"

namespace filelock::platform {

NativeFile hold_entry_lock(const std::string &path, bool directory) {
  if (directory) return kInvalidFile;
  HANDLE h = win::open_existing_lock_file(path, GENERIC_READ | GENERIC_WRITE);
  if (h == INVALID_HANDLE_VALUE)
    win::throw_win32("lock (hold the lock entry)", path, ::GetLastError());
  try {
    // The entry is ours and new, but a name-lock acquirer may be probing it (a shared
    // lock for an instant, entry_lock_held): try again for up to about a second.
    for (int attempt = 0;; ++attempt) {
      if (kernel_try_lock(h, KernelLockKind::flock, LockMode::exclusive, path)) return h;
      if (attempt == 1000)
        throw_error(Status::io, "lock (hold the lock entry)", path,
                    "its LockFileEx lock stayed taken by another handle");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  } catch (...) {
    ::CloseHandle(h);
    throw;
  }
}

// Closing the handle releases its lock.
void drop_entry_lock(NativeFile file) noexcept {
  if (file != INVALID_HANDLE_VALUE && file != nullptr) ::CloseHandle(file);
}

bool entry_lock_held(const std::string &path, bool directory) {
  if (directory) return false;
  HANDLE h = win::open_existing_lock_file(path, GENERIC_READ);
  if (h == INVALID_HANDLE_VALUE) return false;
  bool held = false;
  try {
    held = !kernel_try_lock(h, KernelLockKind::flock, LockMode::shared, path);
  } catch (const Error &) {
    held = false;  // cannot be probed
  }
  ::CloseHandle(h);  // releases the probe's lock
  return held;
}

}  // namespace filelock::platform
