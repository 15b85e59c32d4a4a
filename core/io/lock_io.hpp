// The lock engine's file steps: the platform's calls (platform/file.hpp, dir.hpp) with
// their OS errors turned into Errors naming the operation, the path and the reason.
#pragma once

#include <string>
#include <vector>

#include "platform/dir.hpp"
#include "platform/file.hpp"

namespace filelock::io {

struct OpenedFile {
  platform::NativeFile file;
  bool read_only;  // another user's lock file we may lock but not write
  platform::FileInfo id;
};

// platform::open_lock_file; a symlink is Status::permission, a directory or anything
// else not a regular file Status::invalid.
OpenedFile open_lock_file(const std::string &path, unsigned mode);

// Identity of the open lock file `file` (named `path` in errors).
platform::FileInfo identify(platform::NativeFile file, const std::string &path);
// Identity of what `path` names now (not following a final symlink); false if missing.
bool identify_path(const std::string &path, platform::FileInfo &out);

// Up to `max` bytes from offset 0.
std::string read_head(platform::NativeFile file, size_t max, const std::string &path);
// Up to `max` bytes of a regular file (never following a symlink); false if missing.
bool read_small_file(const std::string &path, size_t max, std::string &out);

// Creates `path` exclusively holding `content`; false if a name already exists there.
bool create_exclusive_file(const std::string &path, unsigned mode, const std::string &content);
// mkdir; false if the name exists.
bool create_exclusive_dir(const std::string &path, unsigned mode);

// Renames, replacing `to`; false if `from` does not exist.
bool rename_path(const std::string &from, const std::string &to);
// Renames only if `to` does not exist (false then, or if `from` is gone).
bool rename_no_replace(const std::string &from, const std::string &to);

// Remove a file / an empty directory; false if it did not exist.
bool remove_file(const std::string &path);
bool remove_dir(const std::string &path);

// Names in `dir` (no "." or "..").
std::vector<std::string> list_dir(const std::string &dir);

}  // namespace filelock::io
