#include "state/append.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"
#include "io/fault.hpp"
#include "io/file_io.hpp"
#include "json/json.hpp"

namespace filelock::state {

namespace {

struct OpenedFile {
  int fd = -1;
  bool created = false;
};

// Opens for appending (and reading its last byte); under the lock, so "did we create it" is exact.
OpenedFile open_for_append(const std::string &path) {
  OpenedFile f;
  do {
    f.fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  } while (f.fd < 0 && errno == EINTR);
  if (f.fd < 0 && errno == ENOENT) {
    f.fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
    f.created = f.fd >= 0;
  }
  if (f.fd < 0) throw_os_error("append", path, errno);
  return f;
}

}  // namespace

void append_line(const std::string &path, std::string_view json, const LockOptions &lock_options,
                 bool durable) {
  std::string line;
  try {
    // Compact printing escapes every newline inside strings: one value, one line.
    line = json::print(json::parse(json).get(), false) + "\n";
  } catch (const json::JsonError &e) {
    throw_error(e.status(), "append", path, e.what());
  }
  const std::unique_ptr<Lock> lock = Lock::open(path, lock_options);
  lock->lock(LockMode::exclusive, kForever);

  const OpenedFile f = open_for_append(path);
  struct stat st {};
  bool wrote = false;
  try {
    if (::fstat(f.fd, &st) != 0) throw_os_error("append", path, errno);
    // A file that does not end in a newline (written by someone else, or torn by a
    // crash) gets one first, so this line stays a line of its own.
    char last = '\n';
    if (st.st_size > 0 && ::pread(f.fd, &last, 1, st.st_size - 1) == 1 && last != '\n') {
      line.insert(line.begin(), '\n');
    }
    if (const int err = io::take_fault(io::Step::log_append)) throw_os_error("append", path, err);
    ssize_t n;
    do {
      n = ::write(f.fd, line.data(), line.size());
    } while (n < 0 && errno == EINTR);
    wrote = n > 0;
    // A short write means the disk or a size limit is full.
    if (n != static_cast<ssize_t>(line.size())) throw_os_error("append", path, n < 0 ? errno : ENOSPC);
    if (durable) io::sync_file(f.fd, path);
  } catch (...) {
    // Whole or not at all: cut back what this call wrote (a failed fsync included).
    if (wrote && ::ftruncate(f.fd, st.st_size) != 0) {
      const int err = errno;
      ::close(f.fd);
      throw_os_error("append (cutting back a partial line)", path, err);
    }
    ::close(f.fd);
    if (f.created) io::remove_quietly(path);
    throw;
  }
  io::close_file(f.fd, path);
  if (durable && f.created) io::sync_dir(io::dir_of(path));
}

}  // namespace filelock::state
