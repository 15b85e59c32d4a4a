// Counts the C library's file and lock calls (libc_calls_posix.hpp) by defining them in
// the test binary, which then calls the C library's own through dlsym(RTLD_NEXT).
#include "libc_calls_posix.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#include <sys/inotify.h>
#endif
#ifdef __APPLE__
#include <sys/event.h>
#endif

#include <atomic>
#include <mutex>
#include <set>

namespace {

using filelock::platform::Syscall;

std::atomic<bool> counting{false};
std::atomic<int> libc_calls[static_cast<int>(Syscall::count_)];

std::atomic<int> timestamp_queries{0};

void count(Syscall call) {
  if (counting.load(std::memory_order_relaxed)) libc_calls[static_cast<int>(call)].fetch_add(1);
}

// A stat that reads a file's ctime: on kernels with fine-grained timestamps on demand, the
// file's next write then updates the inode (platform::link_info).
void count_timestamp_query() {
  if (counting.load(std::memory_order_relaxed)) timestamp_queries.fetch_add(1);
}

// Descriptors of files opened while counting: only their reads, writes and closes are
// counted.
std::mutex fds_mutex;
std::set<int> opened_fds;

void opened(int fd) {
  if (fd < 0 || !counting.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> hold(fds_mutex);
  opened_fds.insert(fd);
}

bool is_opened(int fd, bool forget) {
  if (!counting.load(std::memory_order_relaxed)) return false;
  std::lock_guard<std::mutex> hold(fds_mutex);
  return forget ? opened_fds.erase(fd) > 0 : opened_fds.count(fd) > 0;
}

// The holder records' staging memfd (platform/record_page.hpp): its calls are the table's
// record_page entry, not a file's read or truncate.
std::atomic<int> record_stage_fd{-1};

bool record_stage(int fd) {
  if (fd < 0 || fd != record_stage_fd.load(std::memory_order_relaxed)) return false;
  count(Syscall::record_page);
  return true;
}

template <typename Fn>
Fn real(const char *name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

// fcntl's lock commands count as lock or unlock, F_GETFL/F_SETFL on a file as fcntl
// (not on a wake-up's pipe); the rest (descriptor flags, lock queries) are not file
// system calls of the table.
void count_fcntl(int fd, int cmd, void *arg) {
  switch (cmd) {
    case F_GETFL: case F_SETFL:
      if (is_opened(fd, false)) count(Syscall::fcntl);
      break;
    case F_SETLK: case F_SETLKW:
#ifdef F_OFD_SETLK
    case F_OFD_SETLK: case F_OFD_SETLKW:
#endif
      count(static_cast<struct flock *>(arg)->l_type == F_UNLCK ? Syscall::unlock : Syscall::lock);
      break;
    default:
      break;
  }
}

int fcntl_call(int fd, int cmd, void *arg) {
  count_fcntl(fd, cmd, arg);
  static const auto fn = real<int (*)(int, int, ...)>("fcntl");
  return fn(fd, cmd, arg);
}

FILE *fopen_call(const char *path, const char *mode) {
  count(Syscall::open);
  using Fn = FILE *(*)(const char *, const char *);
  static const auto fn = real<Fn>("fopen");
  FILE *f = fn(path, mode);
  if (f != nullptr) opened(fileno(f));
  return f;
}

}  // namespace

namespace fltest {
void libc_counting(bool on) { counting.store(on); }
void libc_reset() {
  for (auto &c : libc_calls) c.store(0);
  timestamp_queries.store(0);
  std::lock_guard<std::mutex> hold(fds_mutex);
  opened_fds.clear();
}
int libc_count(Syscall call) { return libc_calls[static_cast<int>(call)].load(); }
int libc_timestamp_queries() { return timestamp_queries.load(); }
}  // namespace fltest

extern "C" {

int open(const char *path, int flags, ...) {
  unsigned mode = 0;
  bool with_mode = (flags & O_CREAT) != 0;
#ifdef O_TMPFILE
  with_mode = with_mode || (flags & O_TMPFILE) == O_TMPFILE;  // O_TMPFILE has O_DIRECTORY's bit
#endif
  if (with_mode) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, unsigned);
    va_end(ap);
  }
  count(Syscall::open);
  static const auto fn = real<int (*)(const char *, int, ...)>("open");
  const int fd = fn(path, flags, mode);
  opened(fd);
  return fd;
}

FILE *fopen(const char *path, const char *mode) { return fopen_call(path, mode); }
FILE *fopen64(const char *path, const char *mode) { return fopen_call(path, mode); }

int close(int fd) {
  if (is_opened(fd, true)) count(Syscall::close);
  static const auto fn = real<int (*)(int)>("close");
  return fn(fd);
}

#ifdef __linux__
int memfd_create(const char *name, unsigned flags) {
  count(Syscall::record_page);
  static const auto fn = real<int (*)(const char *, unsigned)>("memfd_create");
  const int fd = fn(name, flags);
  if (fd >= 0) record_stage_fd.store(fd);
  return fd;
}
#endif

ssize_t read(int fd, void *data, size_t size) {
  if (is_opened(fd, false)) count(Syscall::read);
  static const auto fn = real<ssize_t (*)(int, void *, size_t)>("read");
  return fn(fd, data, size);
}

ssize_t pread(int fd, void *data, size_t size, off_t offset) {
  if (!record_stage(fd)) count(Syscall::read);
  static const auto fn = real<ssize_t (*)(int, void *, size_t, off_t)>("pread");
  return fn(fd, data, size, offset);
}

int fstat(int fd, struct stat *st) {
  count(Syscall::stat);
  count_timestamp_query();
  static const auto fn = real<int (*)(int, struct stat *)>("fstat");
  return fn(fd, st);
}

int stat(const char *path, struct stat *st) {
  count(Syscall::stat);
  count_timestamp_query();
  static const auto fn = real<int (*)(const char *, struct stat *)>("stat");
  return fn(path, st);
}

int lstat(const char *path, struct stat *st) {
  count(Syscall::stat);
  count_timestamp_query();
  static const auto fn = real<int (*)(const char *, struct stat *)>("lstat");
  return fn(path, st);
}

#if defined(__linux__)
int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *st) {
  count(Syscall::stat);
  if ((mask & (STATX_CTIME | STATX_MTIME)) != 0) count_timestamp_query();
  static const auto fn = real<int (*)(int, const char *, int, unsigned, struct statx *)>("statx");
  return fn(dirfd, path, flags, mask, st);
}
#endif

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  return fcntl_call(fd, cmd, arg);
}

int fcntl64(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  return fcntl_call(fd, cmd, arg);
}

ssize_t write(int fd, const void *data, size_t size) {
  if (is_opened(fd, false)) count(Syscall::write);  // not a wake-up's signal
  static const auto fn = real<ssize_t (*)(int, const void *, size_t)>("write");
  return fn(fd, data, size);
}

ssize_t pwrite(int fd, const void *data, size_t size, off_t offset) {
  count(Syscall::pwrite);
  static const auto fn = real<ssize_t (*)(int, const void *, size_t, off_t)>("pwrite");
  return fn(fd, data, size, offset);
}

int fsync(int fd) {
  count(Syscall::fsync);
  static const auto fn = real<int (*)(int)>("fsync");
  return fn(fd);
}

int ftruncate(int fd, off_t size) {
  if (!record_stage(fd)) count(Syscall::truncate);
  static const auto fn = real<int (*)(int, off_t)>("ftruncate");
  return fn(fd, size);
}

int fchmod(int fd, mode_t mode) {
  count(Syscall::chmod);
  static const auto fn = real<int (*)(int, mode_t)>("fchmod");
  return fn(fd, mode);
}

int rename(const char *from, const char *to) {
  count(Syscall::rename);
  static const auto fn = real<int (*)(const char *, const char *)>("rename");
  return fn(from, to);
}

#ifdef __linux__
int renameat2(int from_dir, const char *from, int to_dir, const char *to, unsigned flags) {
  count(Syscall::rename);
  static const auto fn = real<int (*)(int, const char *, int, const char *, unsigned)>("renameat2");
  return fn(from_dir, from, to_dir, to, flags);
}
#endif

int link(const char *from, const char *to) {
  count(Syscall::link);
  static const auto fn = real<int (*)(const char *, const char *)>("link");
  return fn(from, to);
}

int unlink(const char *path) {
  count(Syscall::unlink);
  static const auto fn = real<int (*)(const char *)>("unlink");
  return fn(path);
}

int mkdir(const char *path, mode_t mode) {
  count(Syscall::mkdir);
  static const auto fn = real<int (*)(const char *, mode_t)>("mkdir");
  return fn(path, mode);
}

int rmdir(const char *path) {
  count(Syscall::rmdir);
  static const auto fn = real<int (*)(const char *)>("rmdir");
  return fn(path);
}

// A path resolved, a wake-up's event made, a directory watched.
char *realpath(const char *path, char *out) {
  count(Syscall::realpath);
  static const auto fn = real<char *(*)(const char *, char *)>("realpath");
  return fn(path, out);
}

int pipe(int fds[2]) {
  count(Syscall::wakeup);
  static const auto fn = real<int (*)(int *)>("pipe");
  return fn(fds);
}

#ifdef __linux__
char *__realpath_chk(const char *path, char *out, size_t size) {  // realpath, fortified
  count(Syscall::realpath);
  static const auto fn = real<char *(*)(const char *, char *, size_t)>("__realpath_chk");
  return fn(path, out, size);
}

int pipe2(int fds[2], int flags) {
  count(Syscall::wakeup);
  static const auto fn = real<int (*)(int *, int)>("pipe2");
  return fn(fds, flags);
}

int eventfd(unsigned value, int flags) {
  count(Syscall::wakeup);
  static const auto fn = real<int (*)(unsigned, int)>("eventfd");
  return fn(value, flags);
}

int inotify_init1(int flags) {
  count(Syscall::watch);
  static const auto fn = real<int (*)(int)>("inotify_init1");
  return fn(flags);
}

int inotify_add_watch(int fd, const char *path, uint32_t mask) {
  count(Syscall::watch_add);
  static const auto fn = real<int (*)(int, const char *, uint32_t)>("inotify_add_watch");
  return fn(fd, path, mask);
}
#endif

#ifdef __APPLE__
int kqueue() {
  count(Syscall::watch);
  static const auto fn = real<int (*)()>("kqueue");
  return fn();
}

int kevent(int kq, const struct kevent *changes, int nchanges, struct kevent *events, int nevents,
           const struct timespec *timeout) {
  if (nchanges > 0) count(Syscall::watch_add);  // a registration, not a drain
  static const auto fn = real<int (*)(int, const struct kevent *, int, struct kevent *, int,
                                      const struct timespec *)>("kevent");
  return fn(kq, changes, nchanges, events, nevents, timeout);
}
#endif

int flock(int fd, int op) {
  count((op & LOCK_UN) ? Syscall::unlock : Syscall::lock);
  static const auto fn = real<int (*)(int, int)>("flock");
  return fn(fd, op);
}

}  // extern "C"
