// Files as the lock engine needs them: opened safely, identified, read and written at an
// offset. Each platform implements this header (posix/, later windows/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace filelock::platform {

#ifdef _WIN32
using NativeFile = void *;  // HANDLE
#else
using NativeFile = int;     // file descriptor
#endif
extern const NativeFile kInvalidFile;

// Identifies an inode; nlink == 0 means the file was unlinked after it was opened.
struct FileIdentity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  uint64_t nlink = 0;
  int64_t mtime_ms = 0;
  uint64_t size = 0;       // bytes (regular files)
  bool regular = false;    // a regular file
  bool directory = false;
  bool operator==(const FileIdentity &o) const { return dev == o.dev && ino == o.ino; }
};

struct OpenedFile {
  NativeFile file;
  bool read_only;  // another user's lock file we may lock but not write
  FileIdentity id;
};

// Opens (creating with `mode` if missing) a regular file to lock. Never follows a
// symlink (permission), never blocks on a FIFO and refuses anything not a regular file
// (invalid); the target is left untouched. Falls back to read-only when writing is
// denied (a lock file made by another user in a shared sticky directory).
OpenedFile open_lock_file(const std::string &path, unsigned mode);

void close_file(NativeFile file) noexcept;

FileIdentity identify(NativeFile file, const std::string &path);
// Identity of what `path` names now (not following a final symlink); false if missing.
bool identify_path(const std::string &path, FileIdentity &out);

// Up to `max` bytes from offset 0.
std::string read_head(NativeFile file, size_t max, const std::string &path);

}  // namespace filelock::platform
