// flock / OFD / POSIX lock calls: try, unlock, and what their errors mean. Waiting for
// them is kernel_wait.cpp.
#include "platform/kernel_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "platform/posix/lock_call.hpp"
#include "platform/posix/syscall.hpp"

namespace filelock::platform {

namespace {

struct flock whole_file(short type) {
  struct flock fl = {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = 0;
  fl.l_len = 0;  // to the end of the file, however it grows
  return fl;
}

}  // namespace

const char *kernel_lock_name(KernelLockKind kind) noexcept {
  switch (kind) {
    case KernelLockKind::flock: return "flock";
    case KernelLockKind::ofd: return "OFD fcntl";
    default: return "POSIX fcntl";
  }
}

const char *missing_lock_reason(KernelLockKind) noexcept {
  return "OFD fcntl locks exist only on Linux; use the default backend (flock)";
}

FL_NO_STACK_REDZONES int lock_call(NativeFile fd, KernelLockKind kind, LockMode mode, bool wait) {
  if (const int err = syscalls::enter(Syscall::lock)) return err;
  return lock_call_unchecked(fd, kind, mode, wait);
}

FL_NO_STACK_REDZONES int lock_call_unchecked(NativeFile fd, KernelLockKind kind, LockMode mode, bool wait) {
  int rc;
  switch (kind) {
    case KernelLockKind::flock:
      rc = ::flock(fd, (mode == LockMode::exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB));
      break;
    case KernelLockKind::ofd: {
#ifdef __linux__
      struct flock fl = whole_file(mode == LockMode::exclusive ? F_WRLCK : F_RDLCK);
      rc = ::fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
      break;
#else
      // OFD locks are Linux's (macOS declares F_OFD_* without documenting them).
      return kNoSuchLock;
#endif
    }
    default: {
      struct flock fl = whole_file(mode == LockMode::exclusive ? F_WRLCK : F_RDLCK);
      rc = ::fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl);
      break;
    }
  }
  return rc == 0 ? 0 : errno;
}

OsError kernel_try_lock(NativeFile file, KernelLockKind kind, LockMode mode, bool &acquired) {
  int err;
  do {
    err = lock_call(file, kind, mode, false);
  } while (err == EINTR);
  acquired = err == 0;
  if (err == 0 || err == EWOULDBLOCK || err == EAGAIN || err == EACCES) return OsError{};
  return OsError{err, 0, nullptr};
}

OsError kernel_unlock(NativeFile file, KernelLockKind kind) {
  int rc;
  if (injected(Syscall::unlock)) {
    rc = -1;
  } else if (kind == KernelLockKind::flock) {
    rc = ::flock(file, LOCK_UN);
  } else {
    struct flock fl = whole_file(F_UNLCK);
#ifdef __linux__
    rc = ::fcntl(file, kind == KernelLockKind::ofd ? F_OFD_SETLK : F_SETLK, &fl);
#else
    rc = ::fcntl(file, F_SETLK, &fl);  // never OFD here: it cannot have been locked
#endif
  }
  return rc == 0 ? OsError{} : OsError{errno, 0, "unlock"};
}

}  // namespace filelock::platform
