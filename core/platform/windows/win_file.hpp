// What windows/file.cpp and windows/dir.cpp share: Win32 errors as OsError values, the
// system-call table's check, and retrying while another process holds a file open.
// Internal to the Windows platform layer.
#pragma once

#include <algorithm>
#include <cerrno>
#include <string>

#include "platform/file.hpp"
#include "platform/syscalls.hpp"
#include "platform/windows/win_util.hpp"

namespace filelock::platform::win {

// The errno-like code callers branch on, for a Win32 error.
inline int errno_of(DWORD err) {
  switch (err) {
    case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: case ERROR_INVALID_DRIVE:
      return ENOENT;
    case ERROR_FILE_EXISTS: case ERROR_ALREADY_EXISTS:
      return EEXIST;
    case ERROR_ACCESS_DENIED: case ERROR_SHARING_VIOLATION: case ERROR_WRITE_PROTECT:
    case ERROR_PRIVILEGE_NOT_HELD:
      return EACCES;
    case ERROR_DISK_FULL: case ERROR_HANDLE_DISK_FULL:
      return ENOSPC;
    case ERROR_FILE_TOO_LARGE:
      return EFBIG;
    case ERROR_NOT_SAME_DEVICE:
      return EXDEV;
    case ERROR_TOO_MANY_LINKS:
      return EMLINK;
    case ERROR_NOT_SUPPORTED: case ERROR_INVALID_FUNCTION: case ERROR_CALL_NOT_IMPLEMENTED:
      return ENOTSUP;
    case ERROR_DIRECTORY:
      return ENOTDIR;
    case ERROR_DIR_NOT_EMPTY:
      return ENOTEMPTY;
    case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY:
      return ENOMEM;
    case ERROR_INVALID_NAME: case ERROR_INVALID_PARAMETER: case ERROR_BAD_PATHNAME:
      return EINVAL;
    case ERROR_FILENAME_EXCED_RANGE:
      return ENAMETOOLONG;
    default:
      return EIO;
  }
}

inline OsError from_win32(DWORD err) { return OsError{errno_of(err), static_cast<uint32_t>(err), nullptr}; }
inline OsError last_error() { return from_win32(::GetLastError()); }
inline OsError ok() { return OsError{}; }

// 0, or the errno a test made this call fail with (the call is then not made).
inline int injected(Syscall call) noexcept { return syscalls::enter(call); }
inline OsError injected_error(int err) { return OsError{err, 0, nullptr}; }

// Paths that are not valid UTF-8 cannot name a file: bad_path() is their error.
inline bool widen_ok(const std::string &path, std::wstring &out) { return widen(path, out); }
inline OsError bad_path() { return OsError{kInvalidPathEncoding, 0, nullptr}; }

// An existing lock file (or record), never followed through a reparse point, overlapped
// as kernel_try_lock expects of every lock file handle.
inline OsError open_existing_lock_file(const std::string &path, DWORD access, HANDLE &out) {
  out = INVALID_HANDLE_VALUE;
  std::wstring wide;
  if (!widen(path, wide)) return bad_path();
  if (const int err = injected(Syscall::open)) return injected_error(err);
  out = ::CreateFileW(wide.c_str(), access, kShareAll, nullptr, OPEN_EXISTING,
                      FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_OVERLAPPED,
                      nullptr);
  return out == INVALID_HANDLE_VALUE ? last_error() : ok();
}

// Another process's handle refuses ours for as long as it is open when it denies the
// sharing we ask for (ERROR_SHARING_VIOLATION: .NET's File.OpenRead denies writers) or,
// for a replace, lacks delete sharing (ERROR_ACCESS_DENIED: the C library's fopen,
// .NET's File.ReadAllText, Python's open, Go's os.ReadFile); POSIX never refuses so.
// Such handles are mostly held for milliseconds: `attempt` (0 or a Win32 error) is
// retried with a growing pause for up to kInUseRetryMs. Returns its last result.
constexpr ULONGLONG kInUseRetryMs = 1000;

template <typename Attempt>
DWORD retry_while_in_use(bool access_denied_too, Attempt attempt) {
  const ULONGLONG start = ::GetTickCount64();
  DWORD pause = 1;
  while (true) {
    const DWORD err = attempt();
    const bool in_use =
        err == ERROR_SHARING_VIOLATION || (access_denied_too && err == ERROR_ACCESS_DENIED);
    if (!in_use || ::GetTickCount64() - start >= kInUseRetryMs) return err;
    ::Sleep(pause);
    pause = std::min<DWORD>(pause * 2, 32);
  }
}

}  // namespace filelock::platform::win
