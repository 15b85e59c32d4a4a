// Windows file I/O for the state engine. Every handle shares read, write and delete with
// other processes, as POSIX descriptors do: a reader holding the state file open must
// not stop a writer from renaming a new version over it. Errors keep the Win32 code for
// the message and carry an errno-like code for the callers that branch on the reason.
#include "platform/fs_io.hpp"

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "platform/windows/win_util.hpp"

namespace filelock::platform::fs {

namespace {

int errno_of(DWORD err) {
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

OsError from_win32(DWORD err) {
  return OsError{errno_of(err), static_cast<uint32_t>(err), nullptr};
}
OsError last_error() { return from_win32(::GetLastError()); }
OsError ok() { return OsError{}; }

// Paths that are not valid UTF-8 cannot name a file; reported like a bad name.
bool widen(const std::string &path, std::wstring &out) {
  try {
    out = win::widen(path, path);
    return true;
  } catch (const Error &) {
    return false;
  }
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

OsError open_handle(const std::string &path, DWORD access, DWORD disposition, DWORD flags,
                    NativeFile &out) {
  std::wstring wide;
  if (!widen(path, wide)) return from_win32(ERROR_INVALID_NAME);
  const DWORD err = retry_while_in_use(false, [&]() -> DWORD {
    out = ::CreateFileW(wide.c_str(), access, win::kShareAll, nullptr, disposition, flags, nullptr);
    return out == INVALID_HANDLE_VALUE ? ::GetLastError() : ERROR_SUCCESS;
  });
  return err == ERROR_SUCCESS ? ok() : from_win32(err);
}

FileInfo from_info(const BY_HANDLE_FILE_INFORMATION &i) {
  FileInfo out;
  out.size = (static_cast<uint64_t>(i.nFileSizeHigh) << 32) | i.nFileSizeLow;
  // Windows has ACLs, not mode bits; the read-only attribute is the one that maps.
  out.mode = (i.dwFileAttributes & FILE_ATTRIBUTE_READONLY) ? 0444 : 0666;
  out.mtime_ms = win::filetime_to_unix_ms(i.ftLastWriteTime);
  out.dev = i.dwVolumeSerialNumber;
  out.ino = (static_cast<uint64_t>(i.nFileIndexHigh) << 32) | i.nFileIndexLow;
  out.directory = (i.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  out.regular = !out.directory;  // no FIFOs or devices among named files
  return out;
}

// Chunks below 2^31 bytes: WriteFile and ReadFile count in DWORDs.
constexpr size_t kMaxChunk = size_t{1} << 30;

OsError write_loop(NativeFile file, std::string_view data, size_t &written, bool append) {
  written = 0;
  while (written < data.size()) {
    const DWORD chunk = static_cast<DWORD>(std::min(data.size() - written, kMaxChunk));
    // Offset 0xFFFFFFFF:0xFFFFFFFF writes at the current end of the file, as O_APPEND.
    OVERLAPPED end{};
    end.Offset = end.OffsetHigh = 0xFFFFFFFF;
    DWORD n = 0;
    if (!::WriteFile(file, data.data() + written, chunk, &n, append ? &end : nullptr))
      return last_error();
    if (n == 0) return from_win32(ERROR_DISK_FULL);
    written += n;
  }
  return ok();
}

}  // namespace

void fail(const char *op, const std::string &path, const OsError &e) {
  const char *name = e.op != nullptr ? e.op : op;
  if (e.err == kNotRegularFile) throw_error(Status::permission, name, path, "not a regular file: refused");
  if (e.err == ELOOP) {
    throw_error(Status::permission, name, path, "a reparse point (symbolic link), which is never followed here: refused");
  }
  if (e.native != 0) win::throw_win32(name, path, e.native);
  throw_os_error(name, path, e.err);
}

OsError open_read(const std::string &path, NativeFile &out) {
  return open_handle(path, GENERIC_READ, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, out);
}

OsError open_write(const std::string &path, Create create, bool append, unsigned /*mode*/,
                   NativeFile &out) {
  // New files get the directory's inherited ACL, the counterpart of mode & ~umask.
  const DWORD disposition = create == Create::never        ? OPEN_EXISTING
                            : create == Create::if_missing ? OPEN_ALWAYS
                                                           : CREATE_NEW;
  const bool write_only = create == Create::exclusive && !append;
  const DWORD access = write_only ? GENERIC_WRITE : GENERIC_READ | GENERIC_WRITE;
  // Opening the reparse point itself, then refusing it, is the O_NOFOLLOW of Windows.
  if (const OsError e = open_handle(path, access, disposition,
                                    FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, out))
    return e;
  BY_HANDLE_FILE_INFORMATION info;
  if (!::GetFileInformationByHandle(out, &info)) {
    const OsError e = last_error();
    ::CloseHandle(out);
    return e;
  }
  if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
    ::CloseHandle(out);
    return OsError{ELOOP, 0, nullptr};
  }
  return ok();
}

void close(NativeFile file) noexcept {
  if (file != kInvalidFile) ::CloseHandle(file);
}

OsError close_checked(NativeFile file) { return ::CloseHandle(file) ? ok() : last_error(); }

OsError info(NativeFile file, FileInfo &out) {
  BY_HANDLE_FILE_INFORMATION i;
  if (!::GetFileInformationByHandle(file, &i)) return last_error();
  out = from_info(i);
  return ok();
}

OsError path_info(const std::string &path, FileInfo &out) {
  // No access rights needed to read attributes; BACKUP_SEMANTICS opens directories too.
  NativeFile h;
  if (const OsError e = open_handle(path, 0, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, h))
    return e;
  const OsError e = info(h, out);
  ::CloseHandle(h);
  return e;
}

// The replacement inherits the directory's ACL; there are no mode bits to copy.
OsError set_mode(NativeFile, unsigned) { return ok(); }

OsError read_all(NativeFile file, std::string &out, FileInfo *attrs) {
  out.clear();
  if (attrs != nullptr) {
    if (const OsError e = info(file, *attrs)) return e;
  }
  LARGE_INTEGER size;
  if (::GetFileSizeEx(file, &size) && size.QuadPart > 0)
    out.reserve(static_cast<size_t>(size.QuadPart));
  char buf[65536];
  for (;;) {
    DWORD n = 0;
    if (!::ReadFile(file, buf, sizeof buf, &n, nullptr)) return last_error();
    if (n == 0) return ok();
    out.append(buf, n);
  }
}

OsError read_at(NativeFile file, uint64_t offset, void *data, size_t size, size_t &got) {
  DWORD n = 0;
  got = 0;
  if (!win::transfer(file, false, offset, data, static_cast<DWORD>(std::min(size, kMaxChunk)), n)) {
    const DWORD err = ::GetLastError();
    return err == ERROR_HANDLE_EOF ? ok() : from_win32(err);
  }
  got = n;
  return ok();
}

OsError write_all(NativeFile file, std::string_view data, size_t &written) {
  return write_loop(file, data, written, false);
}

OsError write_append(NativeFile file, std::string_view data, size_t &written) {
  return write_loop(file, data, written, true);
}

OsError write_at(NativeFile file, uint64_t offset, const void *data, size_t size) {
  DWORD n = 0;
  if (!win::transfer(file, true, offset, const_cast<void *>(data), static_cast<DWORD>(size), n))
    return last_error();
  return n == size ? ok() : OsError{EIO, 0, nullptr};
}

OsError truncate(NativeFile file, uint64_t size) {
  FILE_END_OF_FILE_INFO eof{};
  eof.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
  return ::SetFileInformationByHandle(file, FileEndOfFileInfo, &eof, sizeof eof) ? ok()
                                                                                 : last_error();
}

OsError sync(NativeFile file) { return ::FlushFileBuffers(file) ? ok() : last_error(); }

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

OsError rename_replace(const std::string &from, const std::string &to, bool wait_for_readers) {
  std::wstring wfrom, wto;
  if (!widen(from, wfrom) || !widen(to, wto)) return from_win32(ERROR_INVALID_NAME);
  auto attempt = [&]() -> DWORD {
    const DWORD flags = MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH;
    return ::MoveFileExW(wfrom.c_str(), wto.c_str(), flags) ? ERROR_SUCCESS : ::GetLastError();
  };
  const DWORD err = wait_for_readers ? retry_while_in_use(true, attempt) : attempt();
  if (err == ERROR_SUCCESS) return ok();
  OsError e = from_win32(err);
  if (wait_for_readers && (err == ERROR_ACCESS_DENIED || err == ERROR_SHARING_VIOLATION))
    e.op = "rename (for 1 s another process kept the file open without delete sharing, "
           "or this user may not replace it)";
  return e;
}

OsError hard_link(const std::string &from, const std::string &to) {
  std::wstring wfrom, wto;
  if (!widen(from, wfrom) || !widen(to, wto)) return from_win32(ERROR_INVALID_NAME);
  return ::CreateHardLinkW(wto.c_str(), wfrom.c_str(), nullptr) ? ok() : last_error();
}

OsError remove(const std::string &path) {
  std::wstring wide;
  if (!widen(path, wide)) return from_win32(ERROR_INVALID_NAME);
  return ::DeleteFileW(wide.c_str()) ? ok() : last_error();
}

OsError make_dir(const std::string &path, unsigned /*mode*/) {
  std::wstring wide;
  if (!widen(path, wide)) return from_win32(ERROR_INVALID_NAME);
  return ::CreateDirectoryW(wide.c_str(), nullptr) ? ok() : last_error();
}

OsError list_dir(const std::string &dir, const std::function<void(std::string_view)> &each) {
  std::wstring pattern;
  if (!widen(dir + "\\*", pattern)) return from_win32(ERROR_INVALID_NAME);
  WIN32_FIND_DATAW entry;
  HANDLE find = ::FindFirstFileW(pattern.c_str(), &entry);
  if (find == INVALID_HANDLE_VALUE) return last_error();
  DWORD err = ERROR_NO_MORE_FILES;
  try {
    do {
      const std::wstring_view name = entry.cFileName;
      if (name == L"." || name == L"..") continue;
      each(win::narrow(name.data(), name.size()));
    } while (::FindNextFileW(find, &entry));
    err = ::GetLastError();
  } catch (...) {
    ::FindClose(find);
    throw;
  }
  ::FindClose(find);
  return err == ERROR_NO_MORE_FILES ? ok() : from_win32(err);
}

// Windows files carry ACLs, not owner ids to compare: the check is left to the ACLs.
OsError ownership(const std::string &, bool, Ownership &out) {
  out = Ownership{};
  return ok();
}

uint64_t current_uid() noexcept { return 0; }

std::string user_name(uint64_t uid) { return "uid " + std::to_string(uid); }

int64_t current_pid() noexcept { return static_cast<int64_t>(::GetCurrentProcessId()); }

std::string host_name() {
  wchar_t buf[256];
  DWORD n = sizeof buf / sizeof buf[0];
  if (!::GetComputerNameExW(ComputerNameDnsHostname, buf, &n)) return "";
  return win::narrow(buf, n);
}

}  // namespace filelock::platform::fs
