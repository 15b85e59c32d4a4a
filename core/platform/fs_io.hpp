// File I/O as the state engine needs it: whole-file reads, exclusive creates, appends,
// durable writes, atomic renames, hard links and directory listings. Each platform
// implements this header (posix/fs_io.cpp, windows/fs_io.cpp). Nothing here throws
// except fail(): callers (core/io) take their fault-injection hooks first, then turn an
// OsError into the Error that names the operation, the path and the reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "platform/file.hpp"

namespace filelock::platform::fs {

// errno, or on Windows an errno-like code (ENOENT, EEXIST, ENOTSUP...) for the caller
// to branch on, with the Win32 error kept for the message. err == 0: success.
struct OsError {
  int err = 0;
  uint32_t native = 0;
  // Set when a call made of two system calls failed in its first one (sync_dir's
  // "open directory"); the caller's operation name applies otherwise.
  const char *op = nullptr;
  explicit operator bool() const { return err != 0; }
};

// Throws the Error for `op` on `path` with the OS reason of `e` (its own op if set).
[[noreturn]] void fail(const char *op, const std::string &path, const OsError &e);

// OsError::err of an open or read refused because the path names a FIFO, socket,
// device or directory (which could block, or is not ours to write): fail() says so.
inline constexpr int kNotRegularFile = -1;

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
// write goes to the current end of the file (write_append).
OsError open_write(const std::string &path, Create create, bool append, unsigned mode,
                   NativeFile &out);
void close(NativeFile file) noexcept;
// Close whose failure can carry a deferred write error.
OsError close_checked(NativeFile file);

struct FileInfo {
  uint64_t size = 0;
  unsigned mode = 0;        // permission bits (07777)
  int64_t mtime_ms = 0;
  uint64_t dev = 0;         // with ino: the file's identity
  uint64_t ino = 0;
  bool directory = false;
  bool regular = false;     // a regular file (not a FIFO, socket, device, directory)
};
OsError info(NativeFile file, FileInfo &out);
// What `path` names now (following symlinks, as stat); ENOENT if nothing.
OsError path_info(const std::string &path, FileInfo &out);
OsError set_mode(NativeFile file, unsigned mode);

// Everything from the current position to the end (short reads and EINTR retried);
// `info` (when given) receives the file's attributes from the same open file. Only a
// regular file is read (else kNotRegularFile).
OsError read_all(NativeFile file, std::string &out, FileInfo *info = nullptr);
// Up to `size` bytes at `offset`; `got` says how many.
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
// Makes the directory's entries (a rename, a create) durable.
OsError sync_dir(const std::string &dir);
// The same through a handle kept open across commits (one open and close fewer per
// commit). Where directories need no flush (Windows) open_dir gives kInvalidFile
// and sync_dir of it succeeds.
OsError open_dir(const std::string &dir, NativeFile &out);
OsError sync_dir(NativeFile dir);

// Replaces `to` atomically: readers see the old file or the new one, whole.
// `wait_for_readers`: where a reader holding `to` open blocks the replace (Windows,
// without delete sharing), retry for a while before failing; else fail at once.
OsError rename_replace(const std::string &from, const std::string &to, bool wait_for_readers);
// Hard link; EPERM, EXDEV, ENOTSUP or EMLINK when the filesystem cannot.
OsError hard_link(const std::string &from, const std::string &to);
OsError remove(const std::string &path);
OsError make_dir(const std::string &path, unsigned mode);
// Calls `each` with every name in `dir` but "." and "..".
OsError list_dir(const std::string &dir, const std::function<void(std::string_view)> &each);

// Who owns what `path` names, for refusing metadata another user planted. `follow`:
// stat (else lstat). Where files have no owner ids to compare (Windows) `known` is false.
struct Ownership {
  bool known = false;
  uint64_t uid = 0;
  bool symlink = false;
  bool directory = false;
  bool others_write = false;  // writable by users other than the owner and group
};
OsError ownership(const std::string &path, bool follow, Ownership &out);
// The effective user id (0 where there is none).
uint64_t current_uid() noexcept;
// "name (uid N)", or "uid N" when the name is unknown.
std::string user_name(uint64_t uid);

int64_t current_pid() noexcept;
std::string host_name();

}  // namespace filelock::platform::fs
