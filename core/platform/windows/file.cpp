// Windows files. Every handle shares read, write and delete with other processes, as
// POSIX descriptors do: a reader holding the state file open must not stop a writer
// from renaming a new version over it, and lock files are renamed and deleted while
// open. Lock files are opened without following reparse points (a symlinked lock file is
// refused, like O_NOFOLLOW) and overlapped, because waiting for a lock is an overlapped
// LockFileEx (kernel_lock.cpp): every read and write at an offset therefore carries an
// OVERLAPPED (win::transfer). Errors keep the Win32 code for the message and carry an
// errno-like code for the callers that branch on the reason. Every system call goes
// through the table (win_file.hpp: injected).
#include "platform/file.hpp"

#include <algorithm>
#include <cerrno>
#include <string_view>

#include "platform/windows/win_file.hpp"

namespace filelock::platform {

const NativeFile kInvalidFile = INVALID_HANDLE_VALUE;

Status native_status(const OsError &e) { return win::status_from_win32(e.native); }
std::string native_reason(const OsError &e) { return win::win32_reason(e.native); }

using win::bad_path;
using win::from_win32;
using win::injected;
using win::injected_error;
using win::last_error;
using win::ok;

namespace {

FileInfo from_info(const BY_HANDLE_FILE_INFORMATION &i, bool delete_pending) {
  FileInfo out;
  out.dev = i.dwVolumeSerialNumber;
  out.ino = (static_cast<uint64_t>(i.nFileIndexHigh) << 32) | i.nFileIndexLow;
  // A file whose deletion is pending is as good as unlinked: its name is going away.
  out.nlink = delete_pending ? 0 : i.nNumberOfLinks;
  out.size = (static_cast<uint64_t>(i.nFileSizeHigh) << 32) | i.nFileSizeLow;
  // Windows has ACLs, not mode bits; the read-only attribute is the one that maps.
  out.mode = (i.dwFileAttributes & FILE_ATTRIBUTE_READONLY) ? 0444 : 0666;
  out.mtime_ms = win::filetime_to_unix_ms(i.ftLastWriteTime);
  out.directory = (i.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  out.regular = !out.directory && (i.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0;
  return out;
}

// GetFileInformationByHandle through the table.
bool query(HANDLE h, BY_HANDLE_FILE_INFORMATION &i, OsError &e) {
  if (const int err = injected(Syscall::stat)) {
    e = injected_error(err);
    return false;
  }
  if (::GetFileInformationByHandle(h, &i)) return true;
  e = last_error();
  return false;
}

OsError open_handle(const std::string &path, DWORD access, DWORD disposition, DWORD flags,
                    NativeFile &out) {
  std::wstring wide;
  if (!win::widen_ok(path, wide)) return bad_path();
  int fault = 0;
  const DWORD err = win::retry_while_in_use(false, [&]() -> DWORD {
    if ((fault = injected(Syscall::open)) != 0) return ERROR_SUCCESS;
    out = ::CreateFileW(wide.c_str(), access, win::kShareAll, nullptr, disposition, flags, nullptr);
    return out == INVALID_HANDLE_VALUE ? ::GetLastError() : ERROR_SUCCESS;
  });
  if (fault != 0) {
    out = kInvalidFile;
    return injected_error(fault);
  }
  return err == ERROR_SUCCESS ? ok() : from_win32(err);
}

// A lock file's handle: overlapped, never through a reparse point.
HANDLE open_lock_handle(const std::wstring &wide, DWORD access, DWORD disposition, int &fault) {
  if ((fault = injected(Syscall::open)) != 0) return INVALID_HANDLE_VALUE;
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

// Chunks below 2^31 bytes: WriteFile and ReadFile count in DWORDs.
constexpr size_t kMaxChunk = size_t{1} << 30;

OsError write_loop(NativeFile file, std::string_view data, size_t &written, bool append) {
  written = 0;
  while (written < data.size()) {
    if (const int err = injected(Syscall::write)) return injected_error(err);
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

OsError open_read(const std::string &path, NativeFile &out) {
  return open_handle(path, GENERIC_READ, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, out);
}

OsError open_write(const std::string &path, Create create, bool append, unsigned /*mode*/,
                   NativeFile &out, FileInfo *opened) {
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
  OsError e;
  if (!query(out, info, e)) {
    close(out);
    return e;
  }
  if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
    close(out);
    return OsError{ELOOP, 0, nullptr};
  }
  if (opened != nullptr) *opened = from_info(info, false);
  return ok();
}

OsError open_lock_file(const std::string &path, unsigned /*mode: Windows has ACLs*/,
                       NativeFile &out, bool &read_only, FileInfo &id) {
  std::wstring wide;
  if (!win::widen_ok(path, wide)) return bad_path();
  read_only = false;
  int fault = 0;
  HANDLE h = open_lock_handle(wide, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS, fault);
  // A released lock file others still have open: wait a moment for its name to go.
  for (int attempt = 0; h == INVALID_HANDLE_VALUE && fault == 0 &&
                        ::GetLastError() == ERROR_ACCESS_DENIED && delete_pending_now() &&
                        attempt < 500;
       ++attempt) {
    ::Sleep(2);
    h = open_lock_handle(wide, GENERIC_READ | GENERIC_WRITE, OPEN_ALWAYS, fault);
  }
  if (h == INVALID_HANDLE_VALUE && fault == 0 && ::GetLastError() == ERROR_ACCESS_DENIED) {
    // A directory cannot be opened as a file and says only "access denied": name it.
    const DWORD attrs = ::GetFileAttributesW(wide.c_str());
    if (attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY))
      return OsError{EISDIR, 0, nullptr};
    // Another user's lock file we may not write: lock it through a read-only handle.
    h = open_lock_handle(wide, GENERIC_READ, OPEN_EXISTING, fault);
    if (h == INVALID_HANDLE_VALUE) ::SetLastError(ERROR_ACCESS_DENIED);
    read_only = true;
  }
  if (fault != 0) return injected_error(fault);
  if (h == INVALID_HANDLE_VALUE) return last_error();

  BY_HANDLE_FILE_INFORMATION info;
  OsError e;
  if (!query(h, info, e)) {
    close(h);
    e.op = "stat lock file";
    return e;
  }
  const bool not_disk = ::GetFileType(h) != FILE_TYPE_DISK;
  if (info.dwFileAttributes & (FILE_ATTRIBUTE_REPARSE_POINT | FILE_ATTRIBUTE_DIRECTORY) || not_disk) {
    close(h);
    if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) return OsError{ELOOP, 0, nullptr};
    if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) return OsError{EISDIR, 0, nullptr};
    return OsError{kNotRegularFile, 0, nullptr};
  }
  out = h;
  id = from_info(info, false);
  return ok();
}

OsError create_file(const std::string &path, unsigned /*mode*/, std::string_view content) {
  std::wstring wide;
  if (!win::widen_ok(path, wide)) return bad_path();
  if (const int err = injected(Syscall::open)) return injected_error(err);
  HANDLE h = ::CreateFileW(wide.c_str(), GENERIC_WRITE | DELETE, win::kShareAll, nullptr, CREATE_NEW,
                           FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
  if (h == INVALID_HANDLE_VALUE) return last_error();
  size_t written = 0;
  if (OsError e = write_loop(h, content, written, false)) {
    // Delete through the handle: the name may not be ours any more once it is closed.
    if (!injected(Syscall::unlink)) {
      FILE_DISPOSITION_INFO dispose = {TRUE};
      ::SetFileInformationByHandle(h, FileDispositionInfo, &dispose, sizeof dispose);
    }
    close(h);
    e.op = "write lock file";
    return e;
  }
  close(h);
  return ok();
}

void close(NativeFile file) noexcept {
  if (file == INVALID_HANDLE_VALUE || file == nullptr) return;
  injected(Syscall::close);  // recorded; a failure is ignored, as a real one would be
  ::CloseHandle(file);
}

OsError close_checked(NativeFile file) {
  const int err = injected(Syscall::close);  // the handle is released even then
  if (!::CloseHandle(file) && err == 0) return last_error();
  return OsError{err, 0, nullptr};
}

namespace {

// `nlink`: whether to ask if the file's deletion is pending (nlink 0 then), one call more.
OsError info_of(NativeFile file, FileInfo &out, bool nlink) {
  BY_HANDLE_FILE_INFORMATION i;
  OsError e;
  if (!query(file, i, e)) return e;
  FILE_STANDARD_INFO standard = {};
  const bool pending = nlink &&
                       ::GetFileInformationByHandleEx(file, FileStandardInfo, &standard,
                                                      sizeof standard) &&
                       standard.DeletePending;
  out = from_info(i, pending);
  return ok();
}

// No access rights needed to read attributes; BACKUP_SEMANTICS opens directories too.
OsError info_of_path(const std::string &path, DWORD flags, FileInfo &out, bool nlink) {
  NativeFile h;
  if (const OsError e = open_handle(path, 0, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | flags, h))
    return e;
  const OsError e = info_of(h, out, nlink);
  close(h);
  return e;
}

}  // namespace

OsError info(NativeFile file, FileInfo &out) { return info_of(file, out, true); }
// Windows has no timestamp read that changes how a later write stamps the file.
OsError link_info(NativeFile file, FileInfo &out) { return info(file, out); }

// Called at every commit (the audit log's check): without the delete-pending query,
// which only lock files need.
OsError path_info(const std::string &path, FileInfo &out) {
  return info_of_path(path, 0, out, false);
}

OsError entry_info(const std::string &path, FileInfo &out) {
  OsError e = info_of_path(path, FILE_FLAG_OPEN_REPARSE_POINT, out, true);
  // ERROR_ACCESS_DENIED here is a name whose deletion is pending: already gone for us.
  if (e.native == ERROR_DELETE_PENDING || e.native == ERROR_ACCESS_DENIED) e.err = ENOENT;
  return e;
}

// The replacement inherits the directory's ACL; there are no mode bits to copy.
OsError set_mode(NativeFile, unsigned) { return ok(); }

OsError read_all(NativeFile file, std::string &out, FileInfo *attrs) {
  out.clear();
  BY_HANDLE_FILE_INFORMATION i;
  OsError e;
  if (!query(file, i, e)) return e;
  const FileInfo got = from_info(i, false);
  if (attrs != nullptr) *attrs = got;
  if (got.size > 0) out.reserve(static_cast<size_t>(got.size));
  char buf[65536];
  for (;;) {
    if (const int err = injected(Syscall::read)) return injected_error(err);
    DWORD n = 0;
    if (!::ReadFile(file, buf, sizeof buf, &n, nullptr)) return last_error();
    if (n == 0) return ok();
    out.append(buf, n);
  }
}

OsError read_at(NativeFile file, uint64_t offset, void *data, size_t size, size_t &got) {
  got = 0;
  if (const int err = injected(Syscall::read)) return injected_error(err);
  DWORD n = 0;
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
  if (const int err = injected(Syscall::pwrite)) return injected_error(err);
  DWORD n = 0;
  if (!win::transfer(file, true, offset, const_cast<void *>(data), static_cast<DWORD>(size), n))
    return last_error();
  return n == size ? ok() : OsError{EIO, 0, nullptr};
}

OsError truncate(NativeFile file, uint64_t size) {
  if (const int err = injected(Syscall::truncate)) return injected_error(err);
  FILE_END_OF_FILE_INFO eof{};
  eof.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
  return ::SetFileInformationByHandle(file, FileEndOfFileInfo, &eof, sizeof eof) ? ok()
                                                                                 : last_error();
}

OsError sync(NativeFile file) {
  if (const int err = injected(Syscall::fsync)) return injected_error(err);
  return ::FlushFileBuffers(file) ? ok() : last_error();
}

}  // namespace filelock::platform
