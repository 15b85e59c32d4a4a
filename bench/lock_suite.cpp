// Lock figures: filelock through its public C API beside the raw syscalls it is
// built on, on the same disk in the same run.
//   lock.*_us               uncontended exclusive lock+unlock on an open handle/fd
//   lock.*open_lock_close_us open, lock, unlock, close (a lock taken once per use)
//   lock.*handoff_*_us      release in another process -> the blocked waiter holds it
//   lock.*wait_cpu_us       CPU time (all threads) the waiter spends per ~2 ms wait:
//                           near zero unless waiting polls
//   lock.fl_norec_*         filelock with the holder record off: the lock alone
//   lock.fl_foreign_*       filelock waiting for a raw flock holder (flock(1), gofrs):
//                           the waiter-thread path
//   lock.floor_*            the design's floor written as raw syscalls: what filelock's
//                           rules cost before any of its own code runs (see BENCHMARKS.md)
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "filelock.h"
#include "harness.hpp"
#include "suites.hpp"

namespace bench {
namespace {

void check_fl(int rc, const char *what) {
  if (rc != FL_OK) die(std::string(what) + ": " + fl_last_error());
}
void check_os(bool ok, const char *what) {
  if (!ok) die(std::string(what) + ": " + std::strerror(errno));
}

// The unlink rule's check as the library makes it: links and identity, no timestamps
// (asking for ctime would make the next record write update the inode; link_info).
bool still_linked(int fd) {
  struct statx st;
  return ::statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_MODE | STATX_NLINK | STATX_INO | STATX_SIZE,
                 &st) == 0 &&
         st.stx_nlink > 0;
}

int open_lock_file(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  check_os(fd >= 0, "open lock file");
  return fd;
}

void ofd_set(int fd, short type) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  check_os(::fcntl(fd, F_OFD_SETLKW, &fl) == 0, "fcntl(F_OFD_SETLKW)");
}

fl_handle *open_handle(const std::string &path, int backend, bool record_holder) {
  fl_lock_options o;
  fl_lock_options_init(&o);
  o.backend = backend;
  o.record_holder = record_holder ? 1 : 0;
  fl_handle *h = nullptr;
  check_fl(fl_open(&h, path.c_str(), &o), "fl_open");
  return h;
}

void uncontended(const Config &cfg) {
  const std::string d = cfg.dir + "/";
  int flock_fd = open_lock_file(d + "raw_flock.lock");
  int floor_fd = open_lock_file(d + "floor_flock.lock");
  int ofd_fd = open_lock_file(d + "raw_ofd.lock");
  fl_handle *fl_flock = open_handle(d + "fl_flock", FL_BACKEND_FLOCK, false);
  fl_handle *fl_ofd = open_handle(d + "fl_ofd", FL_BACKEND_OFD, false);
  fl_handle *fl_holder = open_handle(d + "fl_holder", FL_BACKEND_FLOCK, true);
  auto fl_cycle = [](fl_handle *h) {
    check_fl(fl_lock(h, FL_EXCLUSIVE, FL_FOREVER), "fl_lock");
    check_fl(fl_unlock(h), "fl_unlock");
  };
  std::vector<Variant> v = {
      {"lock.raw_flock_us",
       [&] {
         check_os(::flock(flock_fd, LOCK_EX) == 0, "flock");
         ::flock(flock_fd, LOCK_UN);
       }},
      // The unlink rule: after the lock, a statx proves the file is still linked.
      {"lock.floor_flock_us",
       [&] {
         check_os(::flock(floor_fd, LOCK_EX | LOCK_NB) == 0, "flock");
         check_os(still_linked(floor_fd), "statx");
         ::flock(floor_fd, LOCK_UN);
       }},
      {"lock.raw_ofd_us", [&] { ofd_set(ofd_fd, F_WRLCK); ofd_set(ofd_fd, F_UNLCK); }},
      {"lock.fl_flock_us", [&] { fl_cycle(fl_flock); }},
      {"lock.fl_ofd_us", [&] { fl_cycle(fl_ofd); }},
      {"lock.fl_flock_holder_us", [&] { fl_cycle(fl_holder); }},
  };
  run_and_emit(v, cfg.quick ? 2 : 40, cfg.quick ? 10 : 2000);
  fl_close(fl_flock);
  fl_close(fl_ofd);
  fl_close(fl_holder);
  ::close(flock_fd);
  ::close(floor_fd);
  ::close(ofd_fd);
}

void open_lock_close(const Config &cfg) {
  const std::string raw = cfg.dir + "/raw_olc.lock";
  const std::string fl = cfg.dir + "/fl_olc";
  auto fl_olc = [&](bool record_holder) {
    fl_handle *h = open_handle(fl, FL_BACKEND_AUTO, record_holder);
    check_fl(fl_lock(h, FL_EXCLUSIVE, FL_FOREVER), "fl_lock");
    check_fl(fl_unlock(h), "fl_unlock");
    fl_close(h);
  };
  std::vector<Variant> v = {
      {"lock.raw_open_lock_close_us",
       [&] {
         int fd = open_lock_file(raw);
         check_os(::flock(fd, LOCK_EX) == 0, "flock");
         ::flock(fd, LOCK_UN);
         ::close(fd);
       }},
      {"lock.fl_open_lock_close_us", [&] { fl_olc(false); }},
      {"lock.fl_open_lock_close_holder_us", [&] { fl_olc(true); }},
  };
  run_and_emit(v, cfg.quick ? 2 : 20, cfg.quick ? 10 : 500);
}

// One open lock, for the handoff measurement.
class Locker {
 public:
  virtual ~Locker() = default;
  virtual void lock() = 0;
  virtual void unlock() = 0;
};
using LockerFactory = std::function<std::unique_ptr<Locker>()>;

class RawFlock : public Locker {
 public:
  explicit RawFlock(const std::string &path) : fd_(open_lock_file(path)) {}
  ~RawFlock() override { ::close(fd_); }
  void lock() override { check_os(::flock(fd_, LOCK_EX) == 0, "flock"); }
  void unlock() override { ::flock(fd_, LOCK_UN); }

 private:
  int fd_;
};

// A wait that can be cancelled and timed out without a signal handler, as raw
// syscalls: a try, then a thread started for the wait blocks in flock and wakes the
// caller through an eventfd; then the unlink rule's statx.
class ThreadedFlock : public Locker {
 public:
  explicit ThreadedFlock(const std::string &path)
      : fd_(open_lock_file(path)), event_(::eventfd(0, EFD_CLOEXEC)) {
    check_os(event_ >= 0, "eventfd");
  }
  ~ThreadedFlock() override {
    ::close(fd_);
    ::close(event_);
  }
  void lock() override {
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      pthread_attr_t attr;
      ::pthread_attr_init(&attr);
      ::pthread_attr_setstacksize(&attr, 64 * 1024);
      pthread_t thread;
      check_os(::pthread_create(&thread, &attr, wait_main, this) == 0, "pthread_create");
      ::pthread_attr_destroy(&attr);
      struct pollfd p = {event_, POLLIN, 0};
      check_os(::poll(&p, 1, -1) == 1, "poll");
      uint64_t n;
      check_os(::read(event_, &n, sizeof n) == sizeof n, "read eventfd");
      ::pthread_detach(thread);
    }
    check_os(still_linked(fd_), "statx");
  }
  void unlock() override { ::flock(fd_, LOCK_UN); }

 private:
  static void *wait_main(void *self) {
    auto *me = static_cast<ThreadedFlock *>(self);
    check_os(::flock(me->fd_, LOCK_EX) == 0, "flock");
    const uint64_t one = 1;
    check_os(::write(me->event_, &one, sizeof one) == sizeof one, "write eventfd");
    return nullptr;
  }
  int fd_, event_;
};

class FilelockHandle : public Locker {
 public:
  // Default options: what a user gets (AUTO backend, holder recorded).
  explicit FilelockHandle(const std::string &path, int backend = FL_BACKEND_AUTO,
                          bool record_holder = true)
      : h_(open_handle(path, backend, record_holder)) {}
  ~FilelockHandle() override { fl_close(h_); }
  void lock() override { check_fl(fl_lock(h_, FL_EXCLUSIVE, FL_FOREVER), "fl_lock"); }
  void unlock() override { check_fl(fl_unlock(h_), "fl_unlock"); }

 private:
  fl_handle *h_;
};

// Shared with the holder process: when it released, as steady-clock µs.
struct Stamp {
  std::atomic<double> released_us;
};

void write_byte(int fd) {
  char b = 1;
  check_os(::write(fd, &b, 1) == 1, "write pipe");
}
bool read_byte(int fd) {
  char b;
  return ::read(fd, &b, 1) == 1;
}

// A holder process locks, says so, holds 2 ms (so the waiter is surely asleep in
// the kernel), stamps the time and releases; this process, blocked in lock(),
// measures how late it woke. Like the raw anchor, but with one holder process per
// series so process start-up stays out of the figure.
struct Handoffs {
  std::vector<double> latency_us;
  double cpu_us = 0;  // this process's CPU time over the series
};

double cpu_time_us() {
  struct rusage ru {};
  ::getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

Handoffs handoff(const LockerFactory &make_holder, const LockerFactory &make_waiter, int rounds) {
  auto *stamp = static_cast<Stamp *>(
      ::mmap(nullptr, sizeof(Stamp), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  check_os(stamp != MAP_FAILED, "mmap");
  int held[2], next[2];
  check_os(::pipe(held) == 0 && ::pipe(next) == 0, "pipe");
  pid_t pid = ::fork();
  check_os(pid >= 0, "fork");
  if (pid == 0) {
    auto lk = make_holder();
    for (int r = 0; r < rounds; ++r) {
      lk->lock();
      write_byte(held[1]);
      struct timespec hold = {0, 2000000};
      ::nanosleep(&hold, nullptr);
      stamp->released_us.store(now_us());
      lk->unlock();
      if (!read_byte(next[0])) break;
    }
    lk.reset();
    ::_exit(0);
  }
  Handoffs out;
  {
    auto lk = make_waiter();
    const double cpu_before = cpu_time_us();
    for (int r = 0; r < rounds; ++r) {
      if (!read_byte(held[0])) die("handoff: holder process ended early");
      lk->lock();
      out.latency_us.push_back(now_us() - stamp->released_us.load());
      lk->unlock();
      write_byte(next[1]);
    }
    out.cpu_us = cpu_time_us() - cpu_before;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("handoff: holder process failed");
  for (int fd : {held[0], held[1], next[0], next[1]}) ::close(fd);
  ::munmap(stamp, sizeof(Stamp));
  return out;
}

void handoffs(const Config &cfg) {
  const int series = cfg.quick ? 1 : 4, rounds = cfg.quick ? 3 : 50;
  const std::string raw = cfg.dir + "/raw_handoff.lock";
  const std::string floor = cfg.dir + "/floor_handoff.lock";
  const std::string fl = cfg.dir + "/fl_handoff";
  LockerFactory make_raw = [&] { return std::make_unique<RawFlock>(raw); };
  LockerFactory make_floor = [&] { return std::make_unique<ThreadedFlock>(floor); };
  LockerFactory make_fl = [&] { return std::make_unique<FilelockHandle>(fl); };
  // Without the holder record: the lock alone (the record's pwrite is its share).
  const std::string fl_norec = cfg.dir + "/fl_norec_handoff";
  LockerFactory make_fl_norec = [&] {
    return std::make_unique<FilelockHandle>(fl_norec, FL_BACKEND_AUTO, false);
  };
  // The lock-file backends wait on the directory (inotify), not in the kernel's lock.
  const std::string fl_file = cfg.dir + "/fl_handoff_lockfile", fl_dir = cfg.dir + "/fl_handoff_lockdir";
  LockerFactory make_lockfile = [&] {
    return std::make_unique<FilelockHandle>(fl_file, FL_BACKEND_LOCKFILE);
  };
  LockerFactory make_lockdir = [&] {
    return std::make_unique<FilelockHandle>(fl_dir, FL_BACKEND_LOCKDIR);
  };
  // A holder that is not filelock (flock(1), gofrs/flock, py-filelock): raw flock on the
  // sidecar, waited for by filelock through its waiter thread.
  const std::string fl_foreign = cfg.dir + "/fl_foreign_handoff";
  LockerFactory make_foreign_holder = [&] {
    return std::make_unique<RawFlock>(fl_foreign + ".lock");
  };
  LockerFactory make_fl_foreign = [&] { return std::make_unique<FilelockHandle>(fl_foreign); };
  Handoffs raw_all, floor_all, fl_all, fl_norec_all, fl_foreign_all, lockfile_all, lockdir_all;
  auto add = [](Handoffs &all, const Handoffs &h) {
    all.latency_us.insert(all.latency_us.end(), h.latency_us.begin(), h.latency_us.end());
    all.cpu_us += h.cpu_us;
  };
  // Series alternate so both see the same machine load.
  for (int s = 0; s < series; ++s) {
    add(raw_all, handoff(make_raw, make_raw, rounds));
    add(floor_all, handoff(make_floor, make_floor, rounds));
    add(fl_all, handoff(make_fl, make_fl, rounds));
    add(fl_norec_all, handoff(make_fl_norec, make_fl_norec, rounds));
    add(fl_foreign_all, handoff(make_foreign_holder, make_fl_foreign, rounds));
    add(lockfile_all, handoff(make_lockfile, make_lockfile, rounds));
    add(lockdir_all, handoff(make_lockdir, make_lockdir, rounds));
  }
  const double waits = static_cast<double>(series) * rounds;
  for (auto [name, h] : {std::pair{"raw", &raw_all}, std::pair{"floor", &floor_all},
                         std::pair{"fl", &fl_all}, std::pair{"fl_norec", &fl_norec_all},
                         std::pair{"fl_foreign", &fl_foreign_all},
                         std::pair{"fl_lockfile", &lockfile_all},
                         std::pair{"fl_lockdir", &lockdir_all}}) {
    const std::string prefix = std::string("lock.") + name;
    emit(prefix + "_handoff_median_us", median(h->latency_us));
    emit(prefix + "_handoff_p99_us", percentile(h->latency_us, 0.99));
    emit(prefix + "_wait_cpu_us", h->cpu_us / waits);
  }
}

}  // namespace

void run_lock_suite(const Config &cfg) {
  uncontended(cfg);
  open_lock_close(cfg);
  handoffs(cfg);
}

}  // namespace bench
