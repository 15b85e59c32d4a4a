#include "platform/fs_ops.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"

namespace filelock::platform {

bool create_exclusive_file(const std::string &path, unsigned mode, const std::string &content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  static_cast<mode_t>(mode));
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw_os_error("create lock file", path, errno);
  }
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      throw_os_error("write lock file", path, err);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return true;
}

bool create_exclusive_dir(const std::string &path, unsigned mode) {
  if (::mkdir(path.c_str(), static_cast<mode_t>(mode)) == 0) return true;
  if (errno == EEXIST) return false;
  throw_os_error("create lock directory", path, errno);
}

bool rename_path(const std::string &from, const std::string &to) {
  if (::rename(from.c_str(), to.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw_os_error("rename", from, errno);
}

bool rename_no_replace(const std::string &from, const std::string &to) {
#if defined(__linux__)
  const int rc = ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
#elif defined(__APPLE__)
  const int rc = ::renamex_np(from.c_str(), to.c_str(), RENAME_EXCL);
#else
  errno = EINVAL;  // no such rename here: link() below
  const int rc = -1;
#endif
  if (rc == 0) return true;
  if (errno == EEXIST || errno == ENOTEMPTY || errno == ENOENT) return false;
  if (errno == EINVAL || errno == ENOTSUP) {
    // No RENAME_NOREPLACE on this filesystem: link() never replaces either (files only).
    struct stat st;
    if (::lstat(from.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      if (::link(from.c_str(), to.c_str()) != 0) {
        if (errno == EEXIST) return false;
        throw_os_error("link", to, errno);
      }
      ::unlink(from.c_str());
      return true;
    }
  }
  throw_os_error("rename", from, errno);
}

bool remove_file(const std::string &path) {
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw_os_error("remove", path, errno);
}

bool remove_dir(const std::string &path) {
  if (::rmdir(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw_os_error("remove directory", path, errno);
}

bool read_small_file(const std::string &path, size_t max, std::string &out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR) return false;
    throw_os_error("read", path, errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw_error(Status::invalid, "read", path, "is not a regular file");
  }
  out.assign(max, '\0');
  size_t got = 0;
  while (got < max) {
    ssize_t n = ::read(fd, out.data() + got, max - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return true;
}

}  // namespace filelock::platform
