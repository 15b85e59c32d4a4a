// Windows directory entries. Names are created with CreateDirectoryW (fails if the name
// exists) and never through a reparse point; renames without replacement are MoveFileExW
// without REPLACE_EXISTING. Every system call goes through the table (win_file.hpp).
#include "platform/dir.hpp"

#include <memory>

#include "platform/windows/win_file.hpp"

namespace filelock::platform {

using win::bad_path;
using win::from_win32;
using win::injected;
using win::injected_error;
using win::last_error;
using win::ok;

// A no-op: NTFS journals its directory changes itself, and the rename that needs them
// durable is MoveFileExW with MOVEFILE_WRITE_THROUGH, which returns only once the
// change is on disk. Windows offers no flush of a directory that ordinary users may call.
OsError sync_dir(const std::string &) { return ok(); }

// No handle is kept: an open directory handle would stop others from removing it.
OsError open_dir(const std::string &, NativeFile &out) {
  out = kInvalidFile;
  return ok();
}

OsError sync_dir(NativeFile) { return ok(); }

namespace {

OsError move(const std::string &from, const std::string &to, DWORD flags, bool wait_for_readers) {
  std::wstring wfrom, wto;
  if (!win::widen_ok(from, wfrom) || !win::widen_ok(to, wto)) return bad_path();
  int fault = 0;
  auto attempt = [&]() -> DWORD {
    if ((fault = injected(Syscall::rename)) != 0) return ERROR_SUCCESS;
    return ::MoveFileExW(wfrom.c_str(), wto.c_str(), flags) ? ERROR_SUCCESS : ::GetLastError();
  };
  const DWORD err = wait_for_readers ? win::retry_while_in_use(true, attempt) : attempt();
  if (fault != 0) return injected_error(fault);
  if (err == ERROR_SUCCESS) return ok();
  OsError e = from_win32(err);
  if (wait_for_readers && (err == ERROR_ACCESS_DENIED || err == ERROR_SHARING_VIOLATION))
    e.op = "rename (for 1 s another process kept the file open without delete sharing, "
           "or this user may not replace it)";
  return e;
}

}  // namespace

OsError rename_replace(const std::string &from, const std::string &to, bool wait_for_readers) {
  return move(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH, wait_for_readers);
}

OsError rename_no_replace(const std::string &from, const std::string &to) {
  return move(from, to, 0, false);
}

OsError hard_link(const std::string &from, const std::string &to) {
  std::wstring wfrom, wto;
  if (!win::widen_ok(from, wfrom) || !win::widen_ok(to, wto)) return bad_path();
  if (const int err = injected(Syscall::link)) return injected_error(err);
  return ::CreateHardLinkW(wto.c_str(), wfrom.c_str(), nullptr) ? ok() : last_error();
}

OsError remove(const std::string &path) {
  std::wstring wide;
  if (!win::widen_ok(path, wide)) return bad_path();
  if (const int err = injected(Syscall::unlink)) return injected_error(err);
  return ::DeleteFileW(wide.c_str()) ? ok() : last_error();
}

OsError remove_dir(const std::string &path) {
  std::wstring wide;
  if (!win::widen_ok(path, wide)) return bad_path();
  // A file deleted while another process had it open (a reader of holder.json) lingers,
  // delete-pending, until that handle closes, and keeps the directory non-empty until
  // then; a process listing the directory may hold it open without delete sharing
  // (Wine's FindFirstFileW does): retry for a moment before taking either at its word.
  for (int attempt = 0;; ++attempt) {
    if (const int err = injected(Syscall::rmdir)) return injected_error(err);
    if (::RemoveDirectoryW(wide.c_str())) return ok();
    const DWORD err = ::GetLastError();
    const bool transient = err == ERROR_DIR_NOT_EMPTY || err == ERROR_SHARING_VIOLATION;
    if (!transient || attempt == 100) return from_win32(err);
    ::Sleep(1);
  }
}

OsError make_dir(const std::string &path, unsigned /*mode*/) {
  std::wstring wide;
  if (!win::widen_ok(path, wide)) return bad_path();
  if (const int err = injected(Syscall::mkdir)) return injected_error(err);
  return ::CreateDirectoryW(wide.c_str(), nullptr) ? ok() : last_error();
}

OsError list_dir(const std::string &dir, const std::function<void(std::string_view)> &each) {
  std::wstring pattern;
  if (!win::widen_ok(dir + "\\*", pattern)) return bad_path();
  if (const int err = injected(Syscall::opendir)) return injected_error(err);
  WIN32_FIND_DATAW entry;
  HANDLE find = ::FindFirstFileW(pattern.c_str(), &entry);
  if (find == INVALID_HANDLE_VALUE) return last_error();
  // Closed however the listing ends, `each` throwing included.
  const std::unique_ptr<void, BOOL(WINAPI *)(HANDLE)> closer(find, &::FindClose);
  do {
    const std::wstring_view name = entry.cFileName;
    if (name == L"." || name == L"..") continue;
    each(win::narrow(name.data(), name.size()));
  } while (::FindNextFileW(find, &entry));
  const DWORD err = ::GetLastError();
  return err == ERROR_NO_MORE_FILES ? ok() : from_win32(err);
}

}  // namespace filelock::platform
