// Directory-entry operations for the lock-file backends on Windows. Names are created
// with CREATE_NEW / CreateDirectoryW (both fail if the name exists) and never through a
// reparse point; renames without replacement are MoveFileExW without REPLACE_EXISTING.
#include "platform/fs_ops.hpp"

#include "platform/windows/win_util.hpp"

namespace filelock::platform {

namespace {

bool is_missing(DWORD err) { return err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND; }

bool write_all(HANDLE h, const std::string &content) {
  size_t done = 0;
  while (done < content.size()) {
    DWORD n = 0;
    if (!::WriteFile(h, content.data() + done, static_cast<DWORD>(content.size() - done), &n,
                     nullptr))
      return false;
    done += n;
  }
  return true;
}

}  // namespace

bool create_exclusive_file(const std::string &path, unsigned /*mode*/, const std::string &content) {
  const std::wstring wide = win::widen(path, path);
  HANDLE h = ::CreateFileW(wide.c_str(), GENERIC_WRITE | DELETE, win::kShareAll, nullptr, CREATE_NEW,
                           FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD err = ::GetLastError();
    if (err == ERROR_FILE_EXISTS || err == ERROR_ALREADY_EXISTS) return false;
    win::throw_win32("create lock file", path, err);
  }
  if (!write_all(h, content)) {
    const DWORD err = ::GetLastError();
    // Delete through the handle: the name may not be ours any more once it is closed.
    FILE_DISPOSITION_INFO dispose = {TRUE};
    ::SetFileInformationByHandle(h, FileDispositionInfo, &dispose, sizeof dispose);
    ::CloseHandle(h);
    win::throw_win32("write lock file", path, err);
  }
  ::CloseHandle(h);
  return true;
}

bool create_exclusive_dir(const std::string &path, unsigned /*mode*/) {
  if (::CreateDirectoryW(win::widen(path, path).c_str(), nullptr)) return true;
  const DWORD err = ::GetLastError();
  if (err == ERROR_ALREADY_EXISTS || err == ERROR_FILE_EXISTS) return false;
  win::throw_win32("create lock directory", path, err);
}

bool rename_path(const std::string &from, const std::string &to) {
  if (::MoveFileExW(win::widen(from, from).c_str(), win::widen(to, to).c_str(),
                    MOVEFILE_REPLACE_EXISTING))
    return true;
  const DWORD err = ::GetLastError();
  if (is_missing(err)) return false;
  win::throw_win32("rename", from, err);
}

bool rename_no_replace(const std::string &from, const std::string &to) {
  if (::MoveFileExW(win::widen(from, from).c_str(), win::widen(to, to).c_str(), 0)) return true;
  const DWORD err = ::GetLastError();
  if (err == ERROR_ALREADY_EXISTS || err == ERROR_FILE_EXISTS || is_missing(err)) return false;
  win::throw_win32("rename", from, err);
}

bool remove_file(const std::string &path) {
  if (::DeleteFileW(win::widen(path, path).c_str())) return true;
  const DWORD err = ::GetLastError();
  if (is_missing(err)) return false;
  win::throw_win32("remove", path, err);
}

bool remove_dir(const std::string &path) {
  const std::wstring wide = win::widen(path, path);
  // A file deleted while another process had it open (a reader of holder.json) lingers,
  // delete-pending, until that handle closes, and keeps the directory non-empty until
  // then; a process listing the directory may hold it open without delete sharing
  // (Wine's FindFirstFileW does): retry for a moment before taking either at its word.
  for (int attempt = 0;; ++attempt) {
    if (::RemoveDirectoryW(wide.c_str())) return true;
    const DWORD err = ::GetLastError();
    if (is_missing(err)) return false;
    const bool transient = err == ERROR_DIR_NOT_EMPTY || err == ERROR_SHARING_VIOLATION;
    if (!transient || attempt == 100) win::throw_win32("remove directory", path, err);
    ::Sleep(1);
  }
}

bool read_small_file(const std::string &path, size_t max, std::string &out) {
  HANDLE h = ::CreateFileW(win::widen(path, path).c_str(), GENERIC_READ, win::kShareAll, nullptr,
                           OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD err = ::GetLastError();
    if (is_missing(err)) return false;
    win::throw_win32("read", path, err);
  }
  BY_HANDLE_FILE_INFORMATION info;
  if (!::GetFileInformationByHandle(h, &info) ||
      (info.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_REPARSE_POINT)) ||
      ::GetFileType(h) != FILE_TYPE_DISK) {
    ::CloseHandle(h);
    throw_error(Status::invalid, "read", path, "is not a regular file");
  }
  out.assign(max, '\0');
  size_t got = 0;
  while (got < max) {
    DWORD n = 0;
    if (!::ReadFile(h, out.data() + got, static_cast<DWORD>(max - got), &n, nullptr) || n == 0)
      break;
    got += n;
  }
  ::CloseHandle(h);
  out.resize(got);
  return true;
}

}  // namespace filelock::platform
