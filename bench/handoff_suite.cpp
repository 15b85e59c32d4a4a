// Handoff as users run it: filelock (default options: AUTO backend, holder recorded)
// beside raw blocking flock(2), both on the sidecar "<path>.lock", same run, rounds
// alternating between them so machine load hits all alike. fl_norec is filelock with
// the holder record off: the lock alone, without the record's pwrite (on ext4 the
// first write after a clock tick dirties the inode's times, 3.5-5.5 us after a handoff).
//   handoff.{fl,fl_norec,raw}_fresh_*_us     a new holder process per round: it locks,
//                                            says so, holds 2 ms, releases and exits
//                                            (a job runner, `filelock run`, a forking
//                                            orchestrator)
//   handoff.{fl,fl_norec,raw}_thread_*_us    the holder is a thread of the waiter's
//                                            process, started per round with a lock of
//                                            its own
//   handoff.{fl,raw}_fair_*                  4 processes each re-locking at once for a
//                                            fixed time: the worst wait (µs) and the
//                                            acquisitions per process (min, max, total)
// Latency: from just before the holder's unlock call to the waiter's lock call
// returning, through a steady-clock stamp in MAP_SHARED memory. The waiter is asleep
// in its lock call by then (2 ms). The one long-lived holder process is measured by
// the lock suite (lock.{fl,raw}_handoff_*).
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>

#include "filelock.h"
#include "harness.hpp"
#include "suites.hpp"

namespace bench {
namespace {

void check(bool ok, const char *what) {
  if (!ok) die(std::string(what) + ": " + std::strerror(errno));
}
void check_fl(int rc, const char *what) {
  if (rc != FL_OK) die(std::string(what) + ": " + fl_last_error());
}

enum class Kind { raw, fl, fl_norec };

// One open lock on `path`: filelock as a user opens it (with or without the holder
// record), or a raw fd on its sidecar.
class Lock {
 public:
  Lock(Kind kind, const std::string &path) {
    if (kind != Kind::raw) {
      fl_lock_options o;
      fl_lock_options_init(&o);
      o.record_holder = kind == Kind::fl ? 1 : 0;
      check_fl(fl_open(&h_, path.c_str(), &o), "fl_open");
    } else {
      fd_ = ::open((path + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
      check(fd_ >= 0, "open lock file");
    }
  }
  ~Lock() {
    if (h_) fl_close(h_);
    if (fd_ >= 0) ::close(fd_);
  }
  Lock(const Lock &) = delete;
  Lock &operator=(const Lock &) = delete;
  void lock() {
    if (h_) check_fl(fl_lock(h_, FL_EXCLUSIVE, FL_FOREVER), "fl_lock");
    else check(::flock(fd_, LOCK_EX) == 0, "flock");
  }
  void unlock() {
    if (h_) check_fl(fl_unlock(h_), "fl_unlock");
    else check(::flock(fd_, LOCK_UN) == 0, "flock(LOCK_UN)");
  }

 private:
  fl_handle *h_ = nullptr;
  int fd_ = -1;
};

// n objects of T in memory shared with the processes forked afterwards.
template <class T>
T *shared_map(size_t n = 1) {
  void *p =
      ::mmap(nullptr, sizeof(T) * n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  check(p != MAP_FAILED, "mmap");
  T *t = static_cast<T *>(p);
  for (size_t i = 0; i < n; ++i) new (t + i) T();
  return t;
}

struct Pipe {
  int fd[2];
  Pipe() { check(::pipe2(fd, O_CLOEXEC) == 0, "pipe"); }
  ~Pipe() {
    ::close(fd[0]);
    close_write();
  }
  Pipe(const Pipe &) = delete;
  Pipe &operator=(const Pipe &) = delete;
  void close_write() {
    if (fd[1] >= 0) ::close(fd[1]);
    fd[1] = -1;
  }
  void signal() const {
    char b = 1;
    check(::write(fd[1], &b, 1) == 1, "write pipe");
  }
  // A holder that failed never signals: give up after 30 s instead of hanging.
  void wait() const {
    struct pollfd p = {fd[0], POLLIN, 0};
    char b;
    if (::poll(&p, 1, 30000) != 1 || ::read(fd[0], &b, 1) != 1)
      die("handoff: no word from the holder in 30 s");
  }
};

struct Round {
  Kind kind;
  std::string path;
  Lock *waiter;
  std::atomic<double> *released_us;  // stamped by the holder just before its unlock
  const Pipe *held;
};

// The holder's part of a round: lock, say so, hold 2 ms, stamp, release, close.
void hold_once(const Round &r) {
  Lock lk(r.kind, r.path);
  lk.lock();
  r.held->signal();
  struct timespec hold = {0, 2000000};
  ::nanosleep(&hold, nullptr);
  r.released_us->store(now_us());
  lk.unlock();
}

// The waiter's part: once the holder holds it, block in lock() until the release.
double wait_once(const Round &r) {
  r.held->wait();
  r.waiter->lock();
  const double latency = now_us() - r.released_us->load();
  r.waiter->unlock();
  return latency;
}

double fresh_process_round(const Round &r) {
  const pid_t pid = ::fork();
  check(pid >= 0, "fork");
  if (pid == 0) {
    hold_once(r);
    ::_exit(0);
  }
  const double latency = wait_once(r);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("handoff: the holder process failed");
  return latency;
}

double thread_round(const Round &r) {
  pthread_t holder;
  check(::pthread_create(&holder, nullptr, [](void *arg) -> void * {
          hold_once(*static_cast<const Round *>(arg));
          return nullptr;
        }, const_cast<Round *>(&r)) == 0, "pthread_create");
  const double latency = wait_once(r);
  ::pthread_join(holder, nullptr);
  return latency;
}

// Rounds alternate raw, filelock, filelock without the record, raw, ... after one
// unrecorded warm-up round each.
void handoff_rows(const Config &cfg, const char *name, double (*round)(const Round &),
                  int rounds) {
  auto *stamp = shared_map<std::atomic<double>>();
  Pipe held;
  const std::string base = cfg.dir + "/" + name;
  struct Series {
    const char *name;
    Lock waiter;
    Round round;
    std::vector<double> us;
    Series(const char *n, Kind k, const std::string &path, std::atomic<double> *stamp,
           const Pipe *held)
        : name(n), waiter(k, path), round{k, path, &waiter, stamp, held} {}
  };
  Series all[] = {{"raw", Kind::raw, base + "_raw", stamp, &held},
                  {"fl", Kind::fl, base + "_fl", stamp, &held},
                  {"fl_norec", Kind::fl_norec, base + "_fl_norec", stamp, &held}};
  for (Series &s : all) round(s.round);  // warm-up
  for (int i = 0; i < rounds; ++i)
    for (Series &s : all) s.us.push_back(round(s.round));
  for (const Series &s : all) {
    const std::string prefix = std::string("handoff.") + s.name + "_" + name;
    emit(prefix + "_median_us", median(s.us));
    emit(prefix + "_p99_us", percentile(s.us, 0.99));
  }
  ::munmap(stamp, sizeof *stamp);
}

// Fairness: every process locks, unlocks and locks again at once, until the deadline.
constexpr int kContenders = 4;
struct Contender {
  long acquisitions;
  double worst_wait_us;
};

void contend(Kind kind, const std::string &path, double run_us, const char *label) {
  auto *result = shared_map<Contender>(kContenders);
  auto *start_us = shared_map<std::atomic<double>>();
  Pipe ready, go;
  pid_t pids[kContenders];
  for (int i = 0; i < kContenders; ++i) {
    pids[i] = ::fork();
    check(pids[i] >= 0, "fork");
    if (pids[i] != 0) continue;
    go.close_write();
    Lock lk(kind, path);
    ready.signal();
    char b;
    if (::read(go.fd[0], &b, 1) != 0) ::_exit(1);  // the parent closes its end: all start
    const double deadline = start_us->load() + run_us;
    Contender me{};
    for (double t = now_us(); t < deadline; t = now_us()) {
      lk.lock();
      me.worst_wait_us = std::max(me.worst_wait_us, now_us() - t);
      ++me.acquisitions;
      lk.unlock();
    }
    result[i] = me;
    ::_exit(0);
  }
  for (int i = 0; i < kContenders; ++i) ready.wait();
  start_us->store(now_us());
  go.close_write();
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("fairness: a contender failed");
  }
  long lo = result[0].acquisitions, hi = lo, total = 0;
  double worst = 0;
  for (int i = 0; i < kContenders; ++i) {
    lo = std::min(lo, result[i].acquisitions);
    hi = std::max(hi, result[i].acquisitions);
    total += result[i].acquisitions;
    worst = std::max(worst, result[i].worst_wait_us);
  }
  const std::string prefix = std::string("handoff.") + label + "_fair_";
  emit(prefix + "worst_wait_us", worst);
  emit(prefix + "min_acquisitions", static_cast<double>(lo));
  emit(prefix + "max_acquisitions", static_cast<double>(hi));
  emit(prefix + "total_acquisitions", static_cast<double>(total));
  ::munmap(result, sizeof *result * kContenders);
  ::munmap(start_us, sizeof *start_us);
}

}  // namespace

void run_handoff_suite(const Config &cfg) {
  const int rounds = cfg.quick ? 3 : 300;
  handoff_rows(cfg, "fresh", fresh_process_round, rounds);
  handoff_rows(cfg, "thread", thread_round, rounds);
  const double run_us = cfg.quick ? 50e3 : 2e6;
  contend(Kind::raw, cfg.dir + "/fair_raw", run_us, "raw");
  contend(Kind::fl, cfg.dir + "/fair_fl", run_us, "fl");
}

}  // namespace bench
