// Lock::open: picks the backend for a path.
#include "lock/lock.hpp"

#include "common/error.hpp"
#include "lock/kernel_file_lock.hpp"
#include "lock/lock_path.hpp"
#include "lock/name_lock.hpp"
#include "lock/posix_lock.hpp"

namespace filelock {

std::unique_ptr<Lock> Lock::open(const std::string &path, const LockOptions &requested) {
  LockOptions options = requested;
  // Without a sidecar the lock file is the user's own file: its bytes are theirs, so no
  // holder record is written into it.
  if (!options.sidecar) options.record_holder = false;
  std::string lock_path = resolve_lock_path(path, options);
  switch (options.backend) {
    case Backend::automatic:  // flock: the lock every other Linux/macOS tool speaks
    case Backend::flock:
      return std::make_unique<KernelFileLock>(std::move(lock_path), options,
                                              platform::KernelLockKind::flock);
    case Backend::ofd:
      return std::make_unique<KernelFileLock>(std::move(lock_path), options,
                                              platform::KernelLockKind::ofd);
    case Backend::posix:
      return std::make_unique<PosixLock>(std::move(lock_path), options);
    case Backend::lockfile:
      return std::make_unique<NameLock>(std::move(lock_path), options, false);
    case Backend::lockdir:
      return std::make_unique<NameLock>(std::move(lock_path), options, true);
    default:
      throw_error(Status::unsupported, "open lock", lock_path,
                  "this backend is not available on this platform");
  }
}

}  // namespace filelock
