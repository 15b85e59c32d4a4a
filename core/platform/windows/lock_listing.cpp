// Windows has no list of byte-range locks: inspection probes with non-blocking LockFileEx
// on a fresh handle, and removal deletes through the very handle that holds the lock.
#include "platform/lock_listing.hpp"

#include "platform/kernel_lock.hpp"
#include "platform/windows/win_util.hpp"

namespace filelock::platform {

namespace {

// Deletes the file `h` names. POSIX semantics (Windows 10 1709+, NTFS) remove the name at
// once even while other handles stay open; the classic disposition hides it only when the
// last handle closes, and until then new opens of the name fail with access denied.
bool delete_by_handle(HANDLE h) {
  // FileDispositionInfoEx and its flags, which older MinGW headers lack.
  constexpr auto kDispositionInfoEx = static_cast<FILE_INFO_BY_HANDLE_CLASS>(21);
  struct {
    DWORD flags;
  } ex = {0x1 /*DELETE*/ | 0x2 /*POSIX_SEMANTICS*/};
  if (::SetFileInformationByHandle(h, kDispositionInfoEx, &ex, sizeof ex)) return true;
  FILE_DISPOSITION_INFO classic = {TRUE};
  return ::SetFileInformationByHandle(h, FileDispositionInfo, &classic, sizeof classic) != FALSE;
}

}  // namespace

bool list_kernel_locks(const FileInfo &, std::vector<KernelLockHolder> &) { return false; }

int probe_kernel_lock(const std::string &path) {
  HANDLE h = win::open_existing_lock_file(path, GENERIC_READ);
  if (h == INVALID_HANDLE_VALUE) win::throw_win32("probe lock", path, ::GetLastError());
  int state = 0;
  try {
    if (!kernel_try_lock(h, KernelLockKind::flock, LockMode::shared, path)) {
      state = 2;
    } else {
      kernel_unlock(h, KernelLockKind::flock, path);
      if (!kernel_try_lock(h, KernelLockKind::flock, LockMode::exclusive, path)) state = 1;
    }
  } catch (...) {
    ::CloseHandle(h);
    throw;
  }
  ::CloseHandle(h);  // releases anything the probe took
  return state;
}

RemoveOutcome remove_unheld_lock_file(const std::string &path) {
  HANDLE h = win::open_existing_lock_file(path, GENERIC_READ | GENERIC_WRITE | DELETE);
  if (h == INVALID_HANDLE_VALUE && ::GetLastError() == ERROR_ACCESS_DENIED)
    h = win::open_existing_lock_file(path, GENERIC_READ | DELETE);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND) return RemoveOutcome::missing;
    // Another program has it open without FILE_SHARE_DELETE (a CRT open(), say): in use,
    // and it could not be removed anyway.
    if (err == ERROR_SHARING_VIOLATION) return RemoveOutcome::held;
    win::throw_win32("open lock file", path, err);
  }
  RemoveOutcome outcome = RemoveOutcome::held;
  try {
    FileInfo by_handle;
    if (const OsError e = info(h, by_handle)) win::throw_win32("stat lock file", path, e.native);
    if (by_handle.regular && kernel_try_lock(h, KernelLockKind::flock, LockMode::exclusive, path)) {
      FileInfo by_path;
      if (entry_info(path, by_path) || by_path != by_handle) {
        outcome = RemoveOutcome::changed;
      } else if (delete_by_handle(h)) {
        outcome = RemoveOutcome::removed;
      } else {
        win::throw_win32("remove lock file", path, ::GetLastError());
      }
    }
  } catch (...) {
    ::CloseHandle(h);
    throw;
  }
  ::CloseHandle(h);  // releases the lock
  return outcome;
}

}  // namespace filelock::platform
