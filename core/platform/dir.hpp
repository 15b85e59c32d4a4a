// Directory entries: names made, renamed, linked, removed and listed, and directories
// made durable. Each platform implements this header (posix/dir.cpp, windows/dir.cpp).
// Nothing here throws (see file.hpp); every system call goes through platform/syscalls.hpp.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "platform/file.hpp"

namespace filelock::platform {

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
// Renames only if `to` does not exist: EEXIST if it does (or ENOTEMPTY for a directory).
// Where the filesystem has no such rename, a file is linked and unlinked instead.
OsError rename_no_replace(const std::string &from, const std::string &to);
// Hard link; EPERM, EXDEV, ENOTSUP or EMLINK when the filesystem cannot.
OsError hard_link(const std::string &from, const std::string &to);
// Removes a file / an empty directory.
OsError remove(const std::string &path);
OsError remove_dir(const std::string &path);
OsError make_dir(const std::string &path, unsigned mode);
// Calls `each` with every name in `dir` but "." and "..".
OsError list_dir(const std::string &dir, const std::function<void(std::string_view)> &each);

}  // namespace filelock::platform
