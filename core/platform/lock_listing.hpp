// What the OS can tell about kernel locks on a file without touching them, and the
// safe removal of an unheld lock file. Nothing here throws (core/io/lock_io reports
// errors); every system call goes through platform/syscalls.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/file.hpp"

namespace filelock::platform {

struct KernelLockHolder {
  std::string kind;  // "flock", "ofd", "posix"
  bool exclusive = false;
  int64_t pid = -1;  // -1 where the OS does not say (OFD locks on Linux)
};

// Granted locks on the inode `id`, from /proc/locks on Linux: never disturbs a holder.
// False where the OS offers no such list (then use probe_kernel_lock).
bool list_kernel_locks(const FileInfo &id, std::vector<KernelLockHolder> &out);

// Fallback for systems without a lock list: non-blocking attempts on a fresh read-only
// descriptor, released at once. `state`: 0 (free), 1 (shared) or 2 (exclusive).
OsError probe_kernel_lock(const std::string &path, int &state);

enum class RemoveOutcome { removed, held, changed, missing };

// Removes the regular file at `path` only if no one holds a kernel lock on it: opens it,
// takes flock and OFD exclusive locks without waiting, checks the descriptor still names
// the path, unlinks, then closes (releasing). A process that opened the file earlier and
// locks it afterwards finds it unlinked (nlink 0) and re-opens the path. An error names
// its step (op "open lock file", "stat lock file", "remove lock file").
OsError remove_unheld_lock_file(const std::string &path, RemoveOutcome &outcome);

}  // namespace filelock::platform
