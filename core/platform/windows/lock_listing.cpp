// Windows has no list of byte-range locks: inspection probes with non-blocking LockFileEx
// on a fresh handle, and removal deletes through the very handle that holds the lock.
#include "platform/lock_listing.hpp"

#include "platform/kernel_lock.hpp"
#include "platform/windows/win_file.hpp"

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

OsError probe_kernel_lock(const std::string &path, int &state) {
  state = 0;
  HANDLE h;
  if (const OsError e = win::open_existing_lock_file(path, GENERIC_READ, h)) return e;
  // Not even shared: held exclusively. Shared but not exclusive: held shared.
  bool shared = false, exclusive = false;
  OsError e = kernel_try_lock(h, KernelLockKind::flock, LockMode::shared, shared);
  if (!e && shared) e = kernel_unlock(h, KernelLockKind::flock);
  if (!e && shared) e = kernel_try_lock(h, KernelLockKind::flock, LockMode::exclusive, exclusive);
  if (!e) state = !shared ? 2 : !exclusive ? 1 : 0;
  close(h);  // releases anything the probe took
  return e;
}

OsError remove_unheld_lock_file(const std::string &path, RemoveOutcome &outcome) {
  outcome = RemoveOutcome::held;
  HANDLE h;
  OsError e = win::open_existing_lock_file(path, GENERIC_READ | GENERIC_WRITE | DELETE, h);
  if (e && e.native == ERROR_ACCESS_DENIED)
    e = win::open_existing_lock_file(path, GENERIC_READ | DELETE, h);
  if (e) {
    if (e.native == ERROR_FILE_NOT_FOUND || e.native == ERROR_PATH_NOT_FOUND) {
      outcome = RemoveOutcome::missing;
      return OsError{};
    }
    // Another program has it open without FILE_SHARE_DELETE (a CRT open(), say): in use,
    // and it could not be removed anyway.
    if (e.native == ERROR_SHARING_VIOLATION) return OsError{};
    e.op = "open lock file";
    return e;
  }
  FileInfo by_handle;
  e = info(h, by_handle);
  if (e) e.op = "stat lock file";
  bool locked = false;
  if (!e && by_handle.regular)
    e = kernel_try_lock(h, KernelLockKind::flock, LockMode::exclusive, locked);
  if (!e && locked) {
    FileInfo by_path;
    if (entry_info(path, by_path) || by_path != by_handle) {
      outcome = RemoveOutcome::changed;
    } else if (const int err = win::injected(Syscall::unlink)) {
      e = win::injected_error(err);
      e.op = "remove lock file";
    } else if (delete_by_handle(h)) {
      outcome = RemoveOutcome::removed;
    } else {
      e = win::last_error();
      e.op = "remove lock file";
    }
  }
  close(h);  // releases the lock
  return e;
}

}  // namespace filelock::platform
