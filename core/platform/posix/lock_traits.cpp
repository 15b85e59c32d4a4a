// What the POSIX kernel locks are like. flock and OFD locks belong to the open file
// description, which a child shares through an inherited descriptor; classic POSIX locks
// belong to the process and do not pass.
#include "platform/kernel_lock.hpp"

namespace filelock::platform {

int inheritable_descriptor(NativeFile file, KernelLockKind kind) noexcept {
  return kind == KernelLockKind::posix ? -1 : file;
}

bool whole_file_lock_is_lockfileex() noexcept { return false; }

}  // namespace filelock::platform
