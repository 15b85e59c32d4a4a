// What the Windows kernel lock is like. LockFileEx locks belong to the process that took
// them and end with it, whoever else holds a copy of the handle: no descriptor carries
// one into a child.
#include "platform/kernel_lock.hpp"

namespace filelock::platform {

int inheritable_descriptor(NativeFile, KernelLockKind) noexcept { return -1; }

bool whole_file_lock_is_lockfileex() noexcept { return true; }

bool flock_apart_from_fcntl(NativeFile) noexcept { return false; }  // one kind of lock only

}  // namespace filelock::platform
