// POSIX directory entries, every system call through the table (posix/syscall.hpp).
#include "platform/dir.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "platform/posix/syscall.hpp"

namespace filelock::platform {

namespace {
OsError last_error() { return OsError{errno, 0, nullptr}; }
OsError ok() { return OsError{}; }
OsError result(int rc) { return rc != 0 ? last_error() : ok(); }
}  // namespace

OsError sync_dir(const std::string &dir) {
  NativeFile fd;
  if (const OsError e = open_dir(dir, fd)) return OsError{e.err, 0, "open directory"};
  const OsError e = sync_dir(fd);
  close(fd);
  return e;
}

OsError open_dir(const std::string &dir, NativeFile &out) {
  do {
    out = injected(Syscall::open) ? -1 : ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (out < 0 && errno == EINTR);
  return out < 0 ? last_error() : ok();
}

OsError sync_dir(NativeFile dir) { return result(full_fsync(dir)); }

OsError rename_replace(const std::string &from, const std::string &to, bool /*wait_for_readers*/) {
  return result(injected(Syscall::rename) ? -1 : ::rename(from.c_str(), to.c_str()));
}

OsError rename_no_replace(const std::string &from, const std::string &to) {
  int rc = -1;
  if (!injected(Syscall::rename)) {
#if defined(__linux__)
    rc = ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
#elif defined(__APPLE__)
    rc = ::renamex_np(from.c_str(), to.c_str(), RENAME_EXCL);
#else
    errno = EINVAL;  // no such rename here: link() below
#endif
  }
  if (rc == 0) return ok();
  if (errno != EINVAL && errno != ENOTSUP) return last_error();
  // No RENAME_NOREPLACE on this filesystem: link() never replaces either (files only).
  const int refusal = errno;
  FileInfo from_info;
  if (entry_info(from, from_info) || from_info.directory) return OsError{refusal, 0, nullptr};
  if (const OsError e = hard_link(from, to)) return OsError{e.err, 0, "link"};
  remove(from);
  return ok();
}

OsError hard_link(const std::string &from, const std::string &to) {
  return result(injected(Syscall::link) ? -1 : ::link(from.c_str(), to.c_str()));
}

OsError remove(const std::string &path) {
  return result(injected(Syscall::unlink) ? -1 : ::unlink(path.c_str()));
}

OsError remove_dir(const std::string &path) {
  return result(injected(Syscall::rmdir) ? -1 : ::rmdir(path.c_str()));
}

OsError make_dir(const std::string &path, unsigned mode) {
  return result(injected(Syscall::mkdir) ? -1 : ::mkdir(path.c_str(), static_cast<mode_t>(mode)));
}

OsError list_dir(const std::string &dir, const std::function<void(std::string_view)> &each) {
  DIR *d = injected(Syscall::opendir) ? nullptr : ::opendir(dir.c_str());
  if (d == nullptr) return last_error();
  // Closed however the listing ends, `each` throwing included.
  const std::unique_ptr<DIR, int (*)(DIR *)> closer(d, &::closedir);
  while (const dirent *e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    each(name);
  }
  return ok();
}

}  // namespace filelock::platform
