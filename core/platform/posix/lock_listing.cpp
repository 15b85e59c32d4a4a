#include "platform/lock_listing.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/error.hpp"

namespace filelock::platform {

bool list_kernel_locks(const FileIdentity &id, std::vector<KernelLockHolder> &out) {
  FILE *f = std::fopen("/proc/locks", "re");
  if (f == nullptr) return false;
  const unsigned want_major = major(static_cast<dev_t>(id.dev));
  const unsigned want_minor = minor(static_cast<dev_t>(id.dev));
  char line[512];
  // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters have "->" after the
  // number and are skipped: they hold nothing.
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strstr(line, "->") != nullptr) continue;
    char kind[16], type[16], access[16];
    long long pid;
    unsigned maj, min;
    unsigned long long ino;
    if (std::sscanf(line, "%*d: %15s %15s %15s %lld %x:%x:%llu", kind, type, access, &pid, &maj,
                    &min, &ino) != 7)
      continue;
    if (ino != id.ino || maj != want_major || min != want_minor) continue;
    KernelLockHolder h;
    if (std::strcmp(kind, "FLOCK") == 0) h.kind = "flock";
    else if (std::strcmp(kind, "OFDLCK") == 0) h.kind = "ofd";
    else if (std::strcmp(kind, "POSIX") == 0) h.kind = "posix";
    else continue;  // leases, delegations
    h.exclusive = std::strcmp(access, "WRITE") == 0;
    h.pid = pid;
    out.push_back(h);
  }
  std::fclose(f);
  return true;
}

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
    throw_os_error("open lock file", path, errno);
  }
  struct stat by_fd, by_path;
  RemoveOutcome outcome = RemoveOutcome::held;
  struct flock fl = {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  // flock and fcntl locks do not conflict on Linux: hold both kinds to exclude every
  // backend's acquirers while the name goes away.
  if (::fstat(fd, &by_fd) == 0 && S_ISREG(by_fd.st_mode) && ::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    const bool ofd_ok = ::fcntl(fd, F_OFD_SETLK, &fl) == 0 || errno == EINVAL;
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
