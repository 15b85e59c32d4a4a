// POSIX file I/O for the state engine: plain descriptors, O_CLOEXEC everywhere, EINTR
// retried wherever retrying is safe.
#include "platform/fs_io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"
#include "platform/posix/stat_time.hpp"

namespace filelock::platform::fs {

namespace {

OsError last_error() { return OsError{errno, 0, nullptr}; }
OsError ok() { return OsError{}; }

FileInfo from_stat(const struct stat &st) {
  FileInfo i;
  i.size = static_cast<uint64_t>(st.st_size);
  i.mode = static_cast<unsigned>(st.st_mode & 07777);
  i.mtime_ms = stat_mtime_ms(st);
  i.dev = static_cast<uint64_t>(st.st_dev);
  i.ino = static_cast<uint64_t>(st.st_ino);
  i.directory = S_ISDIR(st.st_mode);
  i.regular = S_ISREG(st.st_mode);
  return i;
}

OsError open_retrying(const std::string &path, int flags, unsigned mode, NativeFile &out) {
  do {
    out = ::open(path.c_str(), flags, mode);
  } while (out < 0 && errno == EINTR);
  return out < 0 ? last_error() : ok();
}

}  // namespace

void fail(const char *op, const std::string &path, const OsError &e) {
  const char *name = e.op != nullptr ? e.op : op;
  if (e.err == kNotRegularFile) {
    throw_error(Status::permission, name, path,
                "not a regular file (a FIFO, socket, device or directory): refused");
  }
  if (e.err == ELOOP) {
    throw_error(Status::permission, name, path, "a symbolic link, which is never followed here: refused");
  }
  throw_os_error(name, path, e.err);
}

// O_NONBLOCK: a FIFO put in a file's place must not block the open with the lock held;
// on a regular file the flag changes nothing.
OsError open_read(const std::string &path, NativeFile &out) {
  return open_retrying(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0, out);
}

OsError open_write(const std::string &path, Create create, bool append, unsigned mode,
                   NativeFile &out) {
  // A new temp file is only written; files that are kept are also read back.
  const bool write_only = create == Create::exclusive && !append;
  int flags = O_CLOEXEC | O_NOFOLLOW | (write_only ? O_WRONLY : O_RDWR) | (append ? O_APPEND : 0);
  if (create == Create::if_missing) flags |= O_CREAT;
  if (create == Create::exclusive) flags |= O_CREAT | O_EXCL;
  // O_EXCL with O_CREAT can only make a new regular file; anything else is checked.
  if (create == Create::exclusive) return open_retrying(path, flags, mode, out);
  if (const OsError e = open_retrying(path, flags | O_NONBLOCK, mode, out)) return e;
  struct stat st {};
  const OsError e = ::fstat(out, &st) != 0 ? last_error() : S_ISREG(st.st_mode) ? ok() : OsError{kNotRegularFile, 0, nullptr};
  if (e) ::close(out);
  return e;
}

void close(NativeFile file) noexcept { ::close(file); }

OsError close_checked(NativeFile file) {
  // EINTR on close still releases the descriptor on Linux; retrying could close another's.
  if (::close(file) != 0 && errno != EINTR) return last_error();
  return ok();
}

OsError info(NativeFile file, FileInfo &out) {
  struct stat st {};
  if (::fstat(file, &st) != 0) return last_error();
  out = from_stat(st);
  return ok();
}

OsError path_info(const std::string &path, FileInfo &out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return last_error();
  out = from_stat(st);
  return ok();
}

OsError set_mode(NativeFile file, unsigned mode) {
  return ::fchmod(file, mode) != 0 ? last_error() : ok();
}

OsError read_all(NativeFile file, std::string &out, FileInfo *info) {
  out.clear();
  struct stat st {};
  if (::fstat(file, &st) != 0) return last_error();
  if (info != nullptr) *info = from_stat(st);
  if (!S_ISREG(st.st_mode)) return OsError{kNotRegularFile, 0, nullptr};
  // A regular file is read in one call asking for one byte more than fstat reported:
  // a read of a regular file that returns less than asked has reached the end, so the
  // usual extra read that returns 0 is not needed. A file that grew meanwhile fills
  // the request and the loop goes on.
  const bool regular = S_ISREG(st.st_mode);
  size_t want = regular && st.st_size > 0 ? static_cast<size_t>(st.st_size) + 1 : 65536;
  size_t have = 0;
  for (;;) {
    out.resize(have + want);
    const ssize_t n = ::read(file, &out[have], want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.clear();
      return last_error();
    }
    have += static_cast<size_t>(n);
    if (n == 0 || (regular && static_cast<size_t>(n) < want)) break;
    want = 65536;
  }
  out.resize(have);
  return ok();
}

OsError read_at(NativeFile file, uint64_t offset, void *data, size_t size, size_t &got) {
  ssize_t n;
  do {
    n = ::pread(file, data, size, static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return last_error();
  got = static_cast<size_t>(n);
  return ok();
}

OsError write_all(NativeFile file, std::string_view data, size_t &written) {
  written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(file, data.data() + written, data.size() - written);
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
    n = ::pwrite(file, data, size, static_cast<off_t>(offset));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return last_error();
  return static_cast<size_t>(n) == size ? ok() : OsError{EIO, 0, nullptr};
}

OsError truncate(NativeFile file, uint64_t size) {
  return ::ftruncate(file, static_cast<off_t>(size)) != 0 ? last_error() : ok();
}

namespace {

// macOS's fsync leaves the data in the drive's cache; F_FULLFSYNC flushes it, where the
// filesystem supports it. Any refusal but a write error falls back to fsync.
int full_fsync(int fd) {
#ifdef F_FULLFSYNC
  if (::fcntl(fd, F_FULLFSYNC) == 0) return 0;
  if (errno == EIO || errno == ENOSPC || errno == EDQUOT) return -1;
#endif
  return ::fsync(fd);
}

}  // namespace

OsError sync(NativeFile file) { return full_fsync(file) != 0 ? last_error() : ok(); }

OsError sync_dir(const std::string &dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return OsError{errno, 0, "open directory"};
  const int rc = full_fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc != 0 ? OsError{err, 0, nullptr} : ok();
}

OsError open_dir(const std::string &dir, NativeFile &out) {
  return open_retrying(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, out);
}

OsError sync_dir(NativeFile dir) { return full_fsync(dir) != 0 ? last_error() : ok(); }

OsError rename_replace(const std::string &from, const std::string &to, bool /*wait_for_readers*/) {
  return ::rename(from.c_str(), to.c_str()) != 0 ? last_error() : ok();
}

OsError hard_link(const std::string &from, const std::string &to) {
  return ::link(from.c_str(), to.c_str()) != 0 ? last_error() : ok();
}

OsError remove(const std::string &path) { return ::unlink(path.c_str()) != 0 ? last_error() : ok(); }

OsError make_dir(const std::string &path, unsigned mode) {
  return ::mkdir(path.c_str(), mode) != 0 ? last_error() : ok();
}

OsError list_dir(const std::string &dir, const std::function<void(std::string_view)> &each) {
  DIR *d = ::opendir(dir.c_str());
  if (d == nullptr) return last_error();
  while (const dirent *e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    try {
      each(name);
    } catch (...) {
      ::closedir(d);
      throw;
    }
  }
  ::closedir(d);
  return ok();
}

OsError ownership(const std::string &path, bool follow, Ownership &out) {
  struct stat st {};
  if ((follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0) return last_error();
  out.known = true;
  out.uid = static_cast<uint64_t>(st.st_uid);
  out.symlink = S_ISLNK(st.st_mode);
  out.directory = S_ISDIR(st.st_mode);
  out.others_write = (st.st_mode & S_IWOTH) != 0;
  return ok();
}

uint64_t current_uid() noexcept { return static_cast<uint64_t>(::geteuid()); }

std::string user_name(uint64_t uid) {
  struct passwd pw {};
  struct passwd *found = nullptr;
  char buf[4096];
  const std::string id = "uid " + std::to_string(uid);
  if (::getpwuid_r(static_cast<uid_t>(uid), &pw, buf, sizeof buf, &found) == 0 && found != nullptr) {
    return std::string(found->pw_name) + " (" + id + ")";
  }
  return id;
}

int64_t current_pid() noexcept { return static_cast<int64_t>(::getpid()); }

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "";
  return buf;
}

}  // namespace filelock::platform::fs
