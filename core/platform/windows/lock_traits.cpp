// What the Windows kernel lock is like. LockFileEx locks belong to the process that took
// them and end with it, whoever else holds a copy of the handle: no descriptor carries
// one into a child.
#include "platform/kernel_lock.hpp"

namespace filelock::platform {

int inheritable_descriptor(NativeFile, KernelLockKind) noexcept { return -1; }

bool whole_file_lock_is_lockfileex() noexcept { return true; }

bool flock_apart_from_fcntl(NativeFile) noexcept { return false; }  // one kind of lock only

// Not yet: a name lock's entry carries no LockFileEx lock on Windows, so a WINDOWS-backend
// acquirer is not kept out of a held LOCKFILE's file there (issue 14's Windows part).
NativeFile hold_entry_lock(const std::string &, bool) { return kInvalidFile; }
void drop_entry_lock(NativeFile) noexcept {}
bool entry_lock_held(const std::string &, bool) { return false; }

}  // namespace filelock::platform
