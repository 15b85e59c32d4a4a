// What the POSIX kernel locks are like. flock and OFD locks belong to the open file
// description, which a child shares through an inherited descriptor; classic POSIX locks
// belong to the process and do not pass.
#include "platform/kernel_lock.hpp"

#ifdef __linux__
#include <sys/vfs.h>
#endif

namespace filelock::platform {

int inheritable_descriptor(NativeFile file, KernelLockKind kind) noexcept {
  return kind == KernelLockKind::posix ? -1 : file;
}

bool whole_file_lock_is_lockfileex() noexcept { return false; }

bool flock_apart_from_fcntl(NativeFile file) noexcept {
#ifdef __linux__
  struct statfs fs;
  if (::fstatfs(file, &fs) != 0) return true;  // taking both is safe where they are apart
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0x6969:      // NFS: flock is a whole-file fcntl lock there
    case 0x517B:      // SMB
    case 0xFF534D42:  // CIFS
    case 0xFE534D42:  // SMB2
      return false;
    default:
      return true;
  }
#else
  (void)file;
  return false;  // the BSDs and macOS: flock and fcntl locks conflict already
#endif
}

}  // namespace filelock::platform
