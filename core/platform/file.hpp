// Files, as every part of the engine opens, reads, writes, syncs and identifies them.
// Each platform implements this header (posix/file.cpp, windows/file.cpp). Nothing here
// throws: an OS error comes back as an OsError value, and core/io turns it into the
// Error that names the operation, the path and the reason. Every system call goes
// through the table of platform/syscalls.hpp, where tests make it fail.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace filelock::platform {

#ifdef _WIN32
using NativeFile = void *;  // HANDLE
#else
using NativeFile = int;     // file descriptor
#endif
extern const NativeFile kInvalidFile;

// errno, or on Windows an errno-like code (ENOENT, EEXIST, ENOTSUP...) for the caller
// to branch on, with the Win32 error kept for the message. err == 0: success.
struct OsError {
  int err = 0;
  uint32_t native = 0;
  // Set when a call made of several system calls failed in one that names the operation
  // better than the caller's name for the whole ("open directory" of sync_dir, "create
  // lock file" of open_lock_file); the caller's operation name applies otherwise.
  const char *op = nullptr;
  explicit operator bool() const { return err != 0; }
};

// OsError::err of an open or read refused because the path names a FIFO, socket,
// device or directory (which could block, or is not ours to write).
inline constexpr int kNotRegularFile = -1;
// OsError::err of a lock call for a kind of lock this system does not have (OFD locks
// outside Linux, fcntl locks on Windows; missing_lock_reason in kernel_lock.hpp).
inline constexpr int kNoSuchLock = -2;
// OsError::err of a path that is not valid UTF-8 where the OS takes UTF-16 (Windows).
inline constexpr int kInvalidPathEncoding = -3;

// The status and the OS's own words for an error with a native code (OsError::native:
// Windows' "<system message> (Win32 error N)"). Only called when native != 0.
Status native_status(const OsError &e);
std::string native_reason(const OsError &e);

// A file's identity and attributes. dev and ino identify it; nlink == 0 means it was
// unlinked after it was opened (a lock file removed under its holder).
struct FileInfo {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t nlink = 0;
  uint64_t size = 0;        // bytes (regular files)
  unsigned mode = 0;        // permission bits (07777)
  int64_t mtime_ms = 0;
  bool regular = false;     // a regular file (not a FIFO, socket, device, directory, link)
  bool directory = false;
  bool operator==(const FileInfo &o) const { return dev == o.dev && ino == o.ino; }
  bool operator!=(const FileInfo &o) const { return !(*this == o); }
};

enum class Create {
  never,      // the file must exist
  if_missing,
  exclusive,  // the file must not exist yet
};

// Opens for reading, never following a final symlink (ELOOP) and never blocking (a FIFO
// opens at once; read_all then refuses it with kNotRegularFile).
OsError open_read(const std::string &path, NativeFile &out);
// Opens for writing (and reading), never following a final symlink (ELOOP), never
// blocking, and only a regular file (anything else: kNotRegularFile). `append`: every
// write goes to the current end of the file (write_append). With `opened`, what the
// file is, as link_info() tells it (no timestamps: reading them would make the next
// write update the inode through the filesystem's journal).
OsError open_write(const std::string &path, Create create, bool append, unsigned mode,
                   NativeFile &out, FileInfo *opened = nullptr);

// Opens (creating with `mode` if missing) a regular file to lock. Never follows a
// symlink (ELOOP), never blocks on a FIFO and refuses a directory (EISDIR) or anything
// else not a regular file (kNotRegularFile); the target is left untouched. Falls back to
// read-only (`read_only`) when writing is denied (a lock file made by another user in a
// shared sticky directory). `info`: the opened file's. A failed create reports op
// "create lock file", a failed stat "stat lock file".
OsError open_lock_file(const std::string &path, unsigned mode, NativeFile &out, bool &read_only,
                       FileInfo &info);

// Creates `path` exclusively (never through a symlink) holding `content`: EEXIST if a
// name is there. A failed write (op "write lock file") removes the file again.
OsError create_file(const std::string &path, unsigned mode, std::string_view content);

// Closes; kInvalidFile is ignored. Never retried: the descriptor is gone either way.
void close(NativeFile file) noexcept;
// Close whose failure can carry a deferred write error. The file is closed either way.
OsError close_checked(NativeFile file);

OsError info(NativeFile file, FileInfo &out);
// info() without the timestamps (mtime_ms is 0): what a lock's checks after each
// acquisition need. Where the kernel gives a file's next write a fine-grained timestamp
// once its ctime has been read (Linux 6.13+), fstat() there would make every holder
// record write update the inode through the journal.
OsError link_info(NativeFile file, FileInfo &out);
// What `path` names now, following symlinks (stat); ENOENT if nothing. On Windows its
// nlink does not count a pending deletion (info and entry_info do, at one call more).
OsError path_info(const std::string &path, FileInfo &out);
// The entry `path` names itself, not following a final symlink (lstat); ENOENT or
// ENOTDIR if nothing.
OsError entry_info(const std::string &path, FileInfo &out);
OsError set_mode(NativeFile file, unsigned mode);

// Everything from the current position to the end (short reads and EINTR retried);
// `info` (when given) receives the file's attributes from the same open file. Only a
// regular file is read (else kNotRegularFile).
OsError read_all(NativeFile file, std::string &out, FileInfo *info = nullptr);
// Up to `size` bytes at `offset` (one call); `got` says how many (0 at the end).
OsError read_at(NativeFile file, uint64_t offset, void *data, size_t size, size_t &got);
// Every byte at the current position, retrying short writes and EINTR. `written` counts
// what reached the file even on failure, so the caller can cut it back.
OsError write_all(NativeFile file, std::string_view data, size_t &written);
// Like write_all, at the end of a file opened with append.
OsError write_append(NativeFile file, std::string_view data, size_t &written);
OsError write_at(NativeFile file, uint64_t offset, const void *data, size_t size);
OsError truncate(NativeFile file, uint64_t size);

// Flushes the file's data to the disk; never retried (after a failed fsync the kernel
// may have dropped the dirty pages, so a later success would prove nothing).
OsError sync(NativeFile file);

}  // namespace filelock::platform
