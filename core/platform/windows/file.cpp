// Windows files for the lock engine. Lock files are opened with every FILE_SHARE_* flag
// (other processes open, read and delete them while we hold them; a lock file is never
// replaced), without following reparse points (a symlinked lock file is refused, like
// O_NOFOLLOW), and overlapped, because waiting for a lock is an overlapped LockFileEx
// (kernel_lock.cpp). Every read and write on such a handle therefore carries an OVERLAPPED.
#include "platform/file.hpp"

#include "platform/windows/win_util.hpp"

namespace filelock::platform {

const NativeFile kInvalidFile = INVALID_HANDLE_VALUE;

namespace {

FileInfo from_info(const BY_HANDLE_FILE_INFORMATION &info, bool delete_pending) {
  FileInfo id;
  id.dev = info.dwVolumeSerialNumber;
  id.ino = (static_cast<uint64_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow;
  // A file whose deletion is pending is as good as unlinked: its name is going away.
  id.nlink = delete_pending ? 0 : info.nNumberOfLinks;
  id.directory = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  id.regular = !id.directory && (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0;
  id.mtime_ms = win::filetime_to_unix_ms(info.ftLastWriteTime);
  id.size = (static_cast<uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
  return id;
}

bool query_identity(HANDLE h, FileInfo &out) {
  BY_HANDLE_FILE_INFORMATION info;
  if (!::GetFileInformationByHandle(h, &info)) return false;
  FILE_STANDARD_INFO standard = {};
  const bool pending = ::GetFileInformationByHandleEx(h, FileStandardInfo, &standard,
                                                      sizeof standard) &&
                       standard.DeletePending;
  out = from_info(info, pending);
  return true;
}

HANDLE open_handle(const std::wstring &wide, DWORD access, DWORD disposition) {
  return ::CreateFileW(wide.c_str(), access, win::kShareAll, nullptr, disposition,
                       FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_OVERLAPPED,
                       nullptr);
}

// Whether the last failed call met a name whose deletion is pending (Win32 says only
// "access denied"): the name goes when the last handle on the deleted file closes. Real
// Windows removes a deleted lock file's name at once (POSIX semantics); Wine keeps it.
bool delete_pending_now() {
  using Fn = LONG(NTAPI *)();
  static const Fn fn = reinterpret_cast<Fn>(reinterpret_cast<void *>(
      ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "RtlGetLastNtStatus")));
  constexpr LONG kStatusDeletePending = static_cast<LONG>(0xC0000056);
  return fn != nullptr && fn() == kStatusDeletePending;
}

}  // namespace

OpenedFile open_lock_file(const std::string &path, unsigned /*mode: Windows has ACLs*/) {
  const std::wstring wide = win::widen(path, path);
  bool read_only = false;
  HANDLE h = open_handle(wide, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS);
  // A released lock file others still have open: wait a moment for its name to go.
  for (int attempt = 0; h == INVALID_HANDLE_VALUE && ::GetLastError() == ERROR_ACCESS_DENIED &&
                        delete_pending_now() && attempt < 500;
       ++attempt) {
    ::Sleep(2);
    h = open_handle(wide, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS);
  }
  if (h == INVALID_HANDLE_VALUE && ::GetLastError() == ERROR_ACCESS_DENIED) {
    // A directory cannot be opened as a file and says only "access denied": name it.
    const DWORD attrs = ::GetFileAttributesW(wide.c_str());
    if (attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY))
      throw_error(Status::invalid, "open lock file", path, "is a directory, not a regular file");
    // Another user's lock file we may not write: lock it through a read-only handle.
    h = open_handle(wide, GENERIC_READ, OPEN_EXISTING);
    if (h == INVALID_HANDLE_VALUE) ::SetLastError(ERROR_ACCESS_DENIED);
    read_only = true;
  }
  if (h == INVALID_HANDLE_VALUE) win::throw_win32("open lock file", path, ::GetLastError());

  BY_HANDLE_FILE_INFORMATION info;
  if (!::GetFileInformationByHandle(h, &info)) {
    const DWORD err = ::GetLastError();
    ::CloseHandle(h);
    win::throw_win32("stat lock file", path, err);
  }
  if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
    ::CloseHandle(h);
    throw_error(Status::permission, "open lock file", path,
                "is a symbolic link or other reparse point; refusing to follow it");
  }
  if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) {
    ::CloseHandle(h);
    throw_error(Status::invalid, "open lock file", path, "is a directory, not a regular file");
  }
  if (::GetFileType(h) != FILE_TYPE_DISK) {
    ::CloseHandle(h);
    throw_error(Status::invalid, "open lock file", path,
                "is not a regular file (pipe, console or device)");
  }
  return OpenedFile{h, read_only, from_info(info, false)};
}

void close_file(NativeFile file) noexcept {
  if (file != INVALID_HANDLE_VALUE && file != nullptr) ::CloseHandle(file);
}

FileInfo identify(NativeFile file, const std::string &path) {
  FileInfo id;
  if (!query_identity(file, id)) win::throw_win32("stat lock file", path, ::GetLastError());
  return id;
}

bool identify_path(const std::string &path, FileInfo &out) {
  const std::wstring wide = win::widen(path, path);
  // No access rights needed to read attributes; BACKUP_SEMANTICS lets directories open.
  HANDLE h = ::CreateFileW(wide.c_str(), 0, win::kShareAll, nullptr, OPEN_EXISTING,
                           FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD err = ::GetLastError();
    // ERROR_ACCESS_DENIED here is a name whose deletion is pending: already gone for us.
    if (err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND ||
        err == ERROR_DELETE_PENDING || err == ERROR_ACCESS_DENIED)
      return false;
    win::throw_win32("stat", path, err);
  }
  const bool ok = query_identity(h, out);
  const DWORD err = ::GetLastError();
  ::CloseHandle(h);
  if (!ok) win::throw_win32("stat", path, err);
  return true;
}

std::string read_head(NativeFile file, size_t max, const std::string &path) {
  std::string out(max, '\0');
  size_t got = 0;
  while (got < max) {
    DWORD done = 0;
    if (!win::transfer(file, false, got, out.data() + got, static_cast<DWORD>(max - got), done)) {
      if (::GetLastError() == ERROR_HANDLE_EOF) break;
      win::throw_win32("read lock file", path, ::GetLastError());
    }
    if (done == 0) break;
    got += done;
  }
  out.resize(got);
  return out;
}

}  // namespace filelock::platform
