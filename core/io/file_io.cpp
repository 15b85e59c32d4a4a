#include "io/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <random>

#include "common/error.hpp"
#include "io/fault.hpp"

namespace filelock::io {

std::string dir_of(const std::string &path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string &path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string random_token() {
  thread_local std::mt19937_64 rng{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                   std::random_device{}() ^ static_cast<uint64_t>(getpid())};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

bool read_file(const std::string &path, std::string &out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    throw_os_error("open", path, errno);
  }
  out.clear();
  struct stat st {};
  if (::fstat(fd, &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw_os_error("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);  // read-only: nothing a failed close could lose
  return true;
}

int create_exclusive(const std::string &path, unsigned mode) {
  if (const int err = take_fault(Step::create)) throw_os_error("create", path, err);
  int fd;
  do {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) throw_os_error("create", path, errno);
  return fd;
}

void write_all(int fd, std::string_view data, const std::string &path) {
  if (const int err = take_fault(Step::write)) throw_os_error("write", path, err);
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_os_error("write", path, errno);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void sync_file(int fd, const std::string &path) {
  // Never retried: after a failed fsync the kernel may have dropped the dirty pages,
  // so a later success would prove nothing ("fsyncgate").
  if (const int err = take_fault(Step::fsync)) throw_os_error("fsync", path, err);
  if (::fsync(fd) != 0) throw_os_error("fsync", path, errno);
}

void close_file(int fd, const std::string &path) {
  const int injected = take_fault(Step::close);
  // EINTR on close still releases the descriptor on Linux; retrying could close another's.
  const int rc = ::close(fd);
  if (injected) throw_os_error("close", path, injected);
  if (rc != 0 && errno != EINTR) throw_os_error("close", path, errno);
}

void sync_dir(const std::string &dir) {
  if (const int err = take_fault(Step::dir_fsync)) throw_os_error("fsync directory", dir, err);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw_os_error("open directory", dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw_os_error("fsync directory", dir, err);
}

void rename_file(const std::string &from, const std::string &to) {
  if (const int err = take_fault(Step::rename)) throw_os_error("rename", to, err);
  if (::rename(from.c_str(), to.c_str()) != 0) throw_os_error("rename", to, errno);
}

bool link_file(const std::string &from, const std::string &to) {
  int err = take_fault(Step::link);
  if (err == 0) {
    if (::link(from.c_str(), to.c_str()) == 0) return true;
    err = errno;
  }
  if (err == EPERM || err == EXDEV || err == ENOTSUP || err == EMLINK) return false;
  throw_os_error("link", to, err);
}

void remove_quietly(const std::string &path) noexcept { ::unlink(path.c_str()); }

void make_dir(const std::string &dir, unsigned mode) {
  if (::mkdir(dir.c_str(), mode) == 0 || errno == EEXIST) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) throw_os_error("stat", dir, errno);
    if (!S_ISDIR(st.st_mode)) throw_os_error("create directory", dir, ENOTDIR);
    return;
  }
  throw_os_error("create directory", dir, errno);
}

}  // namespace filelock::io
