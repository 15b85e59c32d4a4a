// flock / OFD / POSIX lock calls: try, unlock, and what their errors mean. Waiting for
// them is kernel_wait.cpp.
#include "platform/kernel_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"
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

// OFD locks are Linux's (macOS declares F_OFD_* without documenting them): elsewhere
// every OFD lock call fails with this, which throw_kernel_lock_error explains.
constexpr int kNoOfdLocks = ENOSYS;

const char *kind_name(KernelLockKind kind) {
  switch (kind) {
    case KernelLockKind::flock: return "flock";
    case KernelLockKind::ofd: return "OFD fcntl";
    default: return "POSIX fcntl";
  }
}

}  // namespace

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
      return kNoOfdLocks;
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

[[noreturn]] void throw_kernel_lock_error(KernelLockKind kind, const std::string &path, int err) {
#ifndef __linux__
  if (kind == KernelLockKind::ofd && err == kNoOfdLocks)
    throw_error(Status::unsupported, "lock", path,
                "OFD fcntl locks exist only on Linux; use the default backend (flock)");
#endif
  if (err == EBADF && kind != KernelLockKind::flock)
    throw_error(Status::permission, "lock", path,
                std::string(kind_name(kind)) +
                    " locks need the lock file open for writing, and it may only be read by "
                    "this user (Bad file descriptor, errno 9); flock locks work read-only");
  if (err == ENOLCK || err == EOPNOTSUPP || err == ENOSYS || err == EINVAL)
    throw_error(Status::unsupported, "lock", path,
                std::string(kind_name(kind)) + " locks are not supported on this filesystem (" +
                    os_reason(err) +
                    "); use the LOCKFILE or LOCKDIR backend (FL_BACKEND_LOCKFILE/LOCKDIR)");
  throw_os_error("lock", path, err);
}

bool kernel_try_lock(NativeFile file, KernelLockKind kind, LockMode mode, const std::string &path) {
  int err;
  do {
    err = lock_call(file, kind, mode, false);
  } while (err == EINTR);
  if (err == 0) return true;
  if (err == EWOULDBLOCK || err == EAGAIN || err == EACCES) return false;
  throw_kernel_lock_error(kind, path, err);
}

void kernel_unlock(NativeFile file, KernelLockKind kind, const std::string &path) {
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
  if (rc != 0) throw_os_error("unlock", path, errno);
}

}  // namespace filelock::platform
