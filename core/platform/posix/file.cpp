// POSIX files: plain descriptors, O_CLOEXEC everywhere, EINTR retried wherever retrying
// is safe, every system call through the table (posix/syscall.hpp).
#include "platform/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/sysmacros.h>
#endif
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "platform/posix/stat_time.hpp"
#include "platform/posix/syscall.hpp"

namespace filelock::platform {

const NativeFile kInvalidFile = -1;

// POSIX errors have no native code besides errno.
Status native_status(const OsError &e) { return status_from_errno(e.err); }
std::string native_reason(const OsError &e) { return os_reason(e.err); }

namespace {

OsError last_error() { return OsError{errno, 0, nullptr}; }
OsError ok() { return OsError{}; }

FileInfo from_stat(const struct stat &st) {
  FileInfo i;
  i.dev = static_cast<uint64_t>(st.st_dev);
  i.ino = static_cast<uint64_t>(st.st_ino);
  i.nlink = static_cast<uint64_t>(st.st_nlink);
  i.size = static_cast<uint64_t>(st.st_size);
  i.mode = static_cast<unsigned>(st.st_mode & 07777);
  i.mtime_ms = stat_mtime_ms(st);
  i.regular = S_ISREG(st.st_mode);
  i.directory = S_ISDIR(st.st_mode);
  return i;
}

int open_call(const std::string &path, int flags, unsigned mode) {
  int fd;
  do {
    fd = injected(Syscall::open) ? -1 : ::open(path.c_str(), flags, static_cast<mode_t>(mode));
  } while (fd < 0 && errno == EINTR);
  return fd;
}

OsError open_retrying(const std::string &path, int flags, unsigned mode, NativeFile &out) {
  out = open_call(path, flags, mode);
  return out < 0 ? last_error() : ok();
}

int fstat_call(int fd, struct stat &st) {
  return injected(Syscall::stat) ? -1 : ::fstat(fd, &st);
}

}  // namespace

// O_NONBLOCK: a FIFO put in a file's place must not block the open with the lock held;
// on a regular file the flag changes nothing.
OsError open_read(const std::string &path, NativeFile &out) {
  return open_retrying(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0, out);
}

OsError open_write(const std::string &path, Create create, bool append, unsigned mode,
                   NativeFile &out, FileInfo *opened) {
  // A new temp file is only written; files that are kept are also read back.
  const bool write_only = create == Create::exclusive && !append;
  int flags = O_CLOEXEC | O_NOFOLLOW | (write_only ? O_WRONLY : O_RDWR) | (append ? O_APPEND : 0);
  if (create == Create::if_missing) flags |= O_CREAT;
  if (create == Create::exclusive) flags |= O_CREAT | O_EXCL;
  // O_EXCL with O_CREAT can only make a new regular file; anything else is checked.
  const bool exclusive = create == Create::exclusive;
  if (const OsError e = open_retrying(path, exclusive ? flags : flags | O_NONBLOCK, mode, out)) return e;
  if (exclusive && opened == nullptr) return ok();
  FileInfo st;
  OsError e = link_info(out, st);
  if (!e && !st.regular) e = OsError{kNotRegularFile, 0, nullptr};
  if (e) {
    close(out);
    return e;
  }
  if (opened != nullptr) *opened = st;
  return ok();
}

OsError open_lock_file(const std::string &path, unsigned mode, NativeFile &out, bool &read_only,
                       FileInfo &info) {
  // O_NONBLOCK only so that opening a FIFO cannot hang; cleared once we know it is a file.
  constexpr int kFlags = O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;
  read_only = false;
  int fd = open_call(path, O_RDWR | O_CREAT | kFlags, mode);
  const int create_err = fd < 0 ? errno : 0;
  // A sticky shared directory (fs.protected_regular) refuses O_CREAT on another user's
  // file, and its mode may refuse writing: lock it through what we may open.
  if (fd < 0 && errno == EACCES) fd = open_call(path, O_RDWR | kFlags, 0);
  if (fd < 0 && errno == EACCES) {
    fd = open_call(path, O_RDONLY | kFlags, 0);
    read_only = true;
  }
  if (fd < 0) {
    // ENOENT from a fallback means there is no file to open: the creation's refusal (a
    // directory we may not write) is the real reason.
    if (errno == ENOENT && create_err != ENOENT) return OsError{create_err, 0, "create lock file"};
    return last_error();
  }
  struct stat st;
  if (fstat_call(fd, st) != 0) {
    const OsError e{errno, 0, "stat lock file"};
    close(fd);
    return e;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return OsError{S_ISDIR(st.st_mode) ? EISDIR : kNotRegularFile, 0, nullptr};
  }
  // Only O_NONBLOCK is among the status flags we set, so clearing them all is exact.
  if ((injected(Syscall::fcntl) ? -1 : ::fcntl(fd, F_SETFL, 0)) != 0) {
    const OsError e = last_error();
    close(fd);
    return e;
  }
  out = fd;
  info = from_stat(st);
  return ok();
}

OsError create_file(const std::string &path, unsigned mode, std::string_view content) {
  NativeFile fd;
  if (const OsError e = open_retrying(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                      mode, fd))
    return e;
  size_t written = 0;
  if (OsError e = write_all(fd, content, written)) {
    close(fd);
    if (!injected(Syscall::unlink)) ::unlink(path.c_str());
    e.op = "write lock file";
    return e;
  }
  close(fd);
  return ok();
}

void close(NativeFile file) noexcept {
  if (file < 0) return;
  syscalls::enter(Syscall::close);  // recorded; a failure is ignored, as a real one would be
  ::close(file);
}

OsError close_checked(NativeFile file) {
  const int err = syscalls::enter(Syscall::close);  // the descriptor is released even then
  // EINTR on close still releases the descriptor on Linux; retrying could close another's.
  if (::close(file) != 0 && errno != EINTR && err == 0) return last_error();
  return OsError{err, 0, nullptr};
}

OsError info(NativeFile file, FileInfo &out) {
  struct stat st {};
  if (fstat_call(file, st) != 0) return last_error();
  out = from_stat(st);
  return ok();
}

#if defined(__linux__)
OsError link_info(NativeFile file, FileInfo &out) {
  struct statx st {};
  if ((injected(Syscall::stat) ? -1
                               : ::statx(file, "", AT_EMPTY_PATH,
                                         STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_INO | STATX_SIZE,
                                         &st)) != 0) {
    // Kernels before 4.11, and container filters of that time, have no statx.
    if (errno == ENOSYS || errno == EPERM) return info(file, out);
    return last_error();
  }
  out = FileInfo{};
  out.dev = makedev(st.stx_dev_major, st.stx_dev_minor);
  out.ino = st.stx_ino;
  out.nlink = st.stx_nlink;
  out.size = st.stx_size;
  out.mode = st.stx_mode & 07777;
  out.regular = S_ISREG(st.stx_mode);
  out.directory = S_ISDIR(st.stx_mode);
  return ok();
}
#else
OsError link_info(NativeFile file, FileInfo &out) { return info(file, out); }
#endif

OsError path_info(const std::string &path, FileInfo &out) {
  struct stat st {};
  if ((injected(Syscall::stat) ? -1 : ::stat(path.c_str(), &st)) != 0) return last_error();
  out = from_stat(st);
  return ok();
}

OsError entry_info(const std::string &path, FileInfo &out) {
  struct stat st {};
  if ((injected(Syscall::stat) ? -1 : ::lstat(path.c_str(), &st)) != 0) return last_error();
  out = from_stat(st);
  return ok();
}

OsError set_mode(NativeFile file, unsigned mode) {
  return (injected(Syscall::chmod) ? -1 : ::fchmod(file, mode)) != 0 ? last_error() : ok();
}

OsError read_all(NativeFile file, std::string &out, FileInfo *info) {
  out.clear();
  struct stat st {};
  if (fstat_call(file, st) != 0) return last_error();
  if (info != nullptr) *info = from_stat(st);
  if (!S_ISREG(st.st_mode)) return OsError{kNotRegularFile, 0, nullptr};
  // A regular file is read in one call asking for one byte more than fstat reported:
  // a read of a regular file that returns less than asked has reached the end, so the
  // usual extra read that returns 0 is not needed. A file that grew meanwhile fills
  // the request and the loop goes on.
  size_t want = st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 65536;
  size_t have = 0;
  for (;;) {
    out.resize(have + want);
    const ssize_t n = injected(Syscall::read) ? -1 : ::read(file, &out[have], want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.clear();
      return last_error();
    }
    have += static_cast<size_t>(n);
    if (n == 0 || static_cast<size_t>(n) < want) break;
    want = 65536;
  }
  out.resize(have);
  return ok();
}

OsError read_at(NativeFile file, uint64_t offset, void *data, size_t size, size_t &got) {
  ssize_t n;
  do {
    n = injected(Syscall::read) ? -1 : ::pread(file, data, size, static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return last_error();
  got = static_cast<size_t>(n);
  return ok();
}

OsError write_all(NativeFile file, std::string_view data, size_t &written) {
  written = 0;
  while (written < data.size()) {
    const ssize_t n = injected(Syscall::write)
                          ? -1
                          : ::write(file, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return last_error();
    // A write that makes no progress means the disk or a size limit is full.
    if (n == 0) return OsError{ENOSPC, 0, nullptr};
    written += static_cast<size_t>(n);
  }
  return ok();
}

// O_APPEND already puts every write at the end.
OsError write_append(NativeFile file, std::string_view data, size_t &written) {
  return write_all(file, data, written);
}

OsError write_at(NativeFile file, uint64_t offset, const void *data, size_t size) {
  ssize_t n;
  do {
    n = injected(Syscall::pwrite) ? -1 : ::pwrite(file, data, size, static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return last_error();
  return static_cast<size_t>(n) == size ? ok() : OsError{EIO, 0, nullptr};
}

OsError truncate(NativeFile file, uint64_t size) {
  return (injected(Syscall::truncate) ? -1 : ::ftruncate(file, static_cast<off_t>(size))) != 0
             ? last_error()
             : ok();
}

// macOS's fsync leaves the data in the drive's cache; F_FULLFSYNC flushes it, where the
// filesystem supports it. Any refusal but a write error falls back to fsync. One table
// entry for both: they are one flush.
int full_fsync(int fd) {
  if (injected(Syscall::fsync)) return -1;
#ifdef F_FULLFSYNC
  if (::fcntl(fd, F_FULLFSYNC) == 0) return 0;
  if (errno == EIO || errno == ENOSPC || errno == EDQUOT) return -1;
#endif
  return ::fsync(fd);
}

OsError sync(NativeFile file) { return full_fsync(file) != 0 ? last_error() : ok(); }

OsError read_system_file(const char *path, std::string &out, size_t max) {
  out.clear();
  const int fd = open_call(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY, 0);
  if (fd < 0) return last_error();
  // Such files report no size (or not their own): read until a read returns nothing.
  OsError e;
  size_t have = 0;
  while (have < max) {
    out.resize(std::min(max, have + 16384));
    const ssize_t n = injected(Syscall::read) ? -1 : ::read(fd, &out[have], out.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) e = last_error();
    if (n <= 0) break;
    have += static_cast<size_t>(n);
  }
  out.resize(e ? 0 : have);
  close(fd);
  return e;
}

}  // namespace filelock::platform
