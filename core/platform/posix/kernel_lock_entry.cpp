// The lock a name-lock holder keeps on its entry (kernel_lock.hpp): a flock, which every
// filelock kernel backend also takes (or which conflicts with theirs, where flock is an
// fcntl lock), so no kernel-backend process can lock a held LOCKFILE's file.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "platform/kernel_lock.hpp"
#include "platform/posix/syscall.hpp"

namespace filelock::platform {

namespace {

int open_entry(const std::string &path, bool directory) {
  // A file is opened for writing: where flock is an fcntl lock (NFS) an exclusive one
  // needs it. A directory can only be read.
  const int flags = (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_NOFOLLOW | O_CLOEXEC |
                    O_NONBLOCK | O_NOCTTY;
  return injected(Syscall::open) ? -1 : ::open(path.c_str(), flags);
}

bool no_such_lock(int err) {
  return err == EOPNOTSUPP || err == ENOLCK || err == ENOSYS || err == EINVAL || err == EBADF;
}

}  // namespace

OsError hold_entry_lock(const std::string &path, bool directory, NativeFile &out) {
  out = kInvalidFile;
  const int fd = open_entry(path, directory);
  if (fd < 0) return OsError{errno, 0, nullptr};
  // The entry is ours and new, but a name-lock acquirer may be probing it (a shared
  // flock for an instant, entry_lock_held): try again for up to about a second.
  for (int attempt = 0;; ++attempt) {
    if ((injected(Syscall::lock) ? -1 : ::flock(fd, LOCK_EX | LOCK_NB)) == 0) {
      out = fd;
      return OsError{};
    }
    const int err = errno;
    if (err == EINTR) continue;
    if ((err == EWOULDBLOCK || err == EAGAIN) && attempt < 1000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    close(fd);
    if (no_such_lock(err)) return OsError{};  // nothing kernel-locked can meet it here
    return OsError{err, 0, nullptr};
  }
}

void drop_entry_lock(NativeFile file) noexcept { close(file); }

bool entry_lock_held(const std::string &path, bool directory) {
  const int fd = injected(Syscall::open)
                     ? -1
                     : ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) |
                                                O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return false;
  int rc;
  do {
    rc = injected(Syscall::lock) ? -1 : ::flock(fd, LOCK_SH | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  const bool held = rc != 0 && (errno == EWOULDBLOCK || errno == EAGAIN);
  close(fd);  // releases the probe's lock
  return held;
}

}  // namespace filelock::platform
