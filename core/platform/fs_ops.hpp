// Directory-entry operations for the lock-file backends, which lock by creating a
// name (O_EXCL file or mkdir) instead of asking the kernel for a lock.
#pragma once

#include <string>
#include <vector>

namespace filelock::platform {

// Creates `path` with O_EXCL (never following a symlink) holding `content`; false if a
// name already exists there. A failed write removes the file again. Throws Error.
bool create_exclusive_file(const std::string &path, unsigned mode, const std::string &content);
// mkdir; false if the name exists. Throws Error.
bool create_exclusive_dir(const std::string &path, unsigned mode);

// Renames; false if `from` does not exist. Throws Error.
bool rename_path(const std::string &from, const std::string &to);
// Renames only if `to` does not exist (false then, or if `from` is gone). Throws Error.
bool rename_no_replace(const std::string &from, const std::string &to);

// Remove a file / an empty directory; false if it did not exist. Throws Error.
bool remove_file(const std::string &path);
bool remove_dir(const std::string &path);

// Up to `max` bytes of a regular file (never following a symlink); false if missing.
bool read_small_file(const std::string &path, size_t max, std::string &out);

// Names in `dir` (no "." or ".."). Throws Error.
std::vector<std::string> list_dir(const std::string &dir);

}  // namespace filelock::platform
