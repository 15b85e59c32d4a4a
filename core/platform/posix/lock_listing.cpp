// Lock probing and safe removal of unheld lock files, on any POSIX system.
#include "platform/lock_listing.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "platform/kernel_lock.hpp"
#include "platform/posix/syscall.hpp"

namespace filelock::platform {

namespace {

int open_call(const std::string &path, int flags) {
  return injected(Syscall::open) ? -1 : ::open(path.c_str(), flags);
}

// A filesystem without such locks: no one can hold one there either way.
bool no_such_lock(const OsError &e) {
  return e.err == ENOLCK || e.err == EOPNOTSUPP || e.err == ENOSYS || e.err == EINVAL;
}

}  // namespace

OsError probe_kernel_lock(const std::string &path, int &state) {
  state = 0;
  const int fd = open_call(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return OsError{errno, 0, nullptr};
  // Not even shared: held exclusively. Shared but not exclusive: held shared.
  bool shared = false, exclusive = false;
  OsError e = kernel_try_lock(fd, KernelLockKind::flock, LockMode::shared, shared);
  if (!e && shared) e = kernel_unlock(fd, KernelLockKind::flock);
  if (!e && shared) e = kernel_try_lock(fd, KernelLockKind::flock, LockMode::exclusive, exclusive);
  if (!e) state = !shared ? 2 : !exclusive ? 1 : 0;
  close(fd);  // releases anything the probe took
  return e;
}

OsError remove_unheld_lock_file(const std::string &path, RemoveOutcome &outcome) {
  outcome = RemoveOutcome::held;
  int fd = open_call(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0 && errno == EACCES) fd = open_call(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) outcome = RemoveOutcome::missing;
    else if (errno == EISDIR) outcome = RemoveOutcome::changed;  // a LOCKDIR lock took the name since
    else return OsError{errno, 0, "open lock file"};
    return OsError{};
  }
  FileInfo by_fd, by_path;
  OsError e = info(fd, by_fd);
  if (e) e.op = "stat lock file";
  bool locked = false;
  if (!e && by_fd.regular) e = kernel_try_lock(fd, KernelLockKind::flock, LockMode::exclusive, locked);
  if (no_such_lock(e)) e = OsError{};  // nothing is removed without the lock: left as held
#ifdef __linux__
  // flock and fcntl locks do not conflict on Linux: hold both kinds to exclude every
  // backend's acquirers while the name goes away. (On the BSDs and macOS they do.)
  // EINVAL: a filesystem without OFD locks, where no one can hold one.
  if (!e && locked) {
    e = kernel_try_lock(fd, KernelLockKind::ofd, LockMode::exclusive, locked);
    if (e.err == EINVAL) {
      e = OsError{};
      locked = true;
    } else if (no_such_lock(e)) {
      e = OsError{};  // left as held, as above
    }
  }
#endif
  if (!e && locked) {
    const OsError changed = entry_info(path, by_path);
    if (changed || by_path != by_fd) {
      outcome = RemoveOutcome::changed;
    } else if ((injected(Syscall::unlink) ? -1 : ::unlink(path.c_str())) == 0) {
      outcome = RemoveOutcome::removed;
    } else {
      e = OsError{errno, 0, "remove lock file"};
    }
  }
  close(fd);  // releases both locks
  return e;
}

}  // namespace filelock::platform
