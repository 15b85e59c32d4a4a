// POSIX files for the lock engine.
#include "platform/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"
#include "platform/posix/stat_time.hpp"

namespace filelock::platform {

const NativeFile kInvalidFile = -1;

namespace {

FileIdentity from_stat(const struct stat &st) {
  FileIdentity id;
  id.dev = static_cast<uint64_t>(st.st_dev);
  id.ino = static_cast<uint64_t>(st.st_ino);
  id.nlink = static_cast<uint64_t>(st.st_nlink);
  id.regular = S_ISREG(st.st_mode);
  id.directory = S_ISDIR(st.st_mode);
  id.mtime_ms = stat_mtime_ms(st);
  id.size = static_cast<uint64_t>(st.st_size);
  return id;
}

// O_NONBLOCK only so that opening a FIFO cannot hang; cleared once we know it is a file.
constexpr int kOpenFlags = O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY;

[[noreturn]] void throw_open_error(const std::string &path, int err) {
  if (err == ELOOP)
    throw_error(Status::permission, "open lock file", path,
                "is a symbolic link; refusing to follow it");
  if (err == EISDIR)
    throw_error(Status::invalid, "open lock file", path, "is a directory, not a regular file");
  throw_os_error("open lock file", path, err);
}

}  // namespace

OpenedFile open_lock_file(const std::string &path, unsigned mode) {
  bool read_only = false;
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | kOpenFlags, static_cast<mode_t>(mode));
  const int create_err = fd < 0 ? errno : 0;
  // A sticky shared directory (fs.protected_regular) refuses O_CREAT on another user's
  // file, and its mode may refuse writing: lock it through what we may open.
  if (fd < 0 && errno == EACCES) fd = ::open(path.c_str(), O_RDWR | kOpenFlags);
  if (fd < 0 && errno == EACCES) {
    fd = ::open(path.c_str(), O_RDONLY | kOpenFlags);
    read_only = true;
  }
  if (fd < 0) {
    // ENOENT from a fallback means there is no file to open: the creation's refusal (a
    // directory we may not write) is the real reason.
    if (errno == ENOENT && create_err != ENOENT)
      throw_os_error("create lock file", path, create_err);
    throw_open_error(path, errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    throw_os_error("stat lock file", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    throw_error(Status::invalid, "open lock file", path,
                S_ISDIR(st.st_mode) ? "is a directory, not a regular file"
                                    : "is not a regular file (FIFO, socket or device)");
  }
  // Only O_NONBLOCK is among the status flags we set, so clearing them all is exact.
  if (::fcntl(fd, F_SETFL, 0) != 0) {
    int err = errno;
    ::close(fd);
    throw_os_error("open lock file", path, err);
  }
  return OpenedFile{fd, read_only, from_stat(st)};
}

void close_file(NativeFile file) noexcept {
  if (file >= 0) ::close(file);  // never retried on EINTR: the fd is gone either way
}

FileIdentity identify(NativeFile file, const std::string &path) {
  struct stat st;
  if (::fstat(file, &st) != 0) throw_os_error("stat lock file", path, errno);
  return from_stat(st);
}

bool identify_path(const std::string &path, FileIdentity &out) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    throw_os_error("stat", path, errno);
  }
  out = from_stat(st);
  return true;
}

std::string read_head(NativeFile file, size_t max, const std::string &path) {
  std::string out(max, '\0');
  size_t got = 0;
  while (got < max) {
    ssize_t n = ::pread(file, out.data() + got, max - got, static_cast<off_t>(got));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_os_error("read lock file", path, errno);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace filelock::platform
