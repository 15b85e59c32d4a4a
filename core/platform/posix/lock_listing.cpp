// Lock probing and safe removal of unheld lock files, on any POSIX system.
#include "platform/lock_listing.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"

namespace filelock::platform {

int probe_kernel_lock(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw_os_error("probe lock", path, errno);
  int state = 0;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    state = 2;
  } else {
    ::flock(fd, LOCK_UN);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) state = 1;
  }
  ::close(fd);
  return state;
}

RemoveOutcome remove_unheld_lock_file(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0 && errno == EACCES) fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return RemoveOutcome::missing;
    if (errno == EISDIR) return RemoveOutcome::changed;  // a LOCKDIR lock took the name since
    throw_os_error("open lock file", path, errno);
  }
  struct stat by_fd, by_path;
  RemoveOutcome outcome = RemoveOutcome::held;
  if (::fstat(fd, &by_fd) == 0 && S_ISREG(by_fd.st_mode) && ::flock(fd, LOCK_EX | LOCK_NB) == 0) {
#ifdef __linux__
    // flock and fcntl locks do not conflict on Linux: hold both kinds to exclude every
    // backend's acquirers while the name goes away. (On the BSDs and macOS they do.)
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    const bool ofd_ok = ::fcntl(fd, F_OFD_SETLK, &fl) == 0 || errno == EINVAL;
#else
    const bool ofd_ok = true;
#endif
    if (ofd_ok) {
      if (::lstat(path.c_str(), &by_path) != 0 || by_path.st_ino != by_fd.st_ino ||
          by_path.st_dev != by_fd.st_dev) {
        outcome = RemoveOutcome::changed;
      } else if (::unlink(path.c_str()) == 0) {
        outcome = RemoveOutcome::removed;
      } else {
        int err = errno;
        ::close(fd);
        throw_os_error("remove lock file", path, err);
      }
    }
  }
  ::close(fd);  // releases both locks
  return outcome;
}

}  // namespace filelock::platform
