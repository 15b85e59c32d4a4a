// A LOCKFILE/LOCKDIR waiter sleeps until the entry it waits for goes away: its own
// attempts must not wake it (each used to place a temporary file in the directory it
// watches, which woke it at once: a waiter spun at 99% of a core). Measured as the CPU
// time of the waiting thread (CLOCK_THREAD_CPUTIME_ID) and, on Linux, the temporary
// files created in the lock's directory during the wait.
#include <gtest/gtest.h>

#include <time.h>
#ifdef __linux__
#include <sys/inotify.h>
#include <unistd.h>
#endif

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::Status;
using locktest::open_lock;
using locktest::status_of;
using locktest::with_backend;

namespace {

int64_t thread_cpu_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t process_cpu_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Counts names created in a directory whose name contains ".new-" (Linux: inotify).
class CreationCounter {
 public:
  explicit CreationCounter(const std::string &dir) {
#ifdef __linux__
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ >= 0) inotify_add_watch(fd_, dir.c_str(), IN_CREATE);
#else
    (void)dir;
#endif
  }
  ~CreationCounter() {
#ifdef __linux__
    if (fd_ >= 0) close(fd_);
#endif
  }
  bool available() const { return fd_ >= 0; }
  // Temporary names created since the last call (the queue holds 16384 events).
  long take() {
    long n = 0;
#ifdef __linux__
    alignas(struct inotify_event) char buf[65536];
    ssize_t got;
    while ((got = read(fd_, buf, sizeof buf)) > 0) {
      for (char *p = buf; p < buf + got;) {
        auto *ev = reinterpret_cast<struct inotify_event *>(p);
        if (ev->len > 0 && std::string(ev->name).find(".new-") != std::string::npos) ++n;
        if (ev->mask & IN_Q_OVERFLOW) n += 16384;
        p += sizeof(struct inotify_event) + ev->len;
      }
    }
#endif
    return n;
  }

 private:
  int fd_ = -1;
};

class NameLockWait : public ::testing::TestWithParam<Backend> {
 protected:
  fltest::TempDir dir;
  fltest::TempDir go;  // the holder's go-ahead file, apart from the watched directory
};

// A 1.5 s wait behind a live holder: the waiting thread uses under 10% of the wall time
// (it used all of it) and creates no more than a few temporary files (tens of thousands).
TEST_P(NameLockWait, AWaiterSleepsBehindALiveHolder) {
  // The holder is another process: this process's own handles wait in-process.
  const std::string backend = std::to_string(static_cast<int>(GetParam()));
  fltest::Process holder =
      fltest::spawn_helper("try_hold_until", {dir.file("x"), go.file("go"), backend});
  ASSERT_EQ(fltest::read_line(holder), "0");
  CreationCounter created(dir.path());
  auto waiter = open_lock(dir.file("x"), with_backend(GetParam()));
  constexpr int64_t kWaitMs = 1500;
  int64_t cpu_ns = 0;
  Status status = Status::ok;
  const int64_t start = locktest::mono_ns();
  std::thread t([&] {
    const int64_t cpu0 = thread_cpu_ns();
    status = status_of([&] { waiter->lock(LockMode::exclusive, kWaitMs); });
    cpu_ns = thread_cpu_ns() - cpu0;
  });
  t.join();
  const int64_t wall_ms = locktest::elapsed_ms_since(start);
  EXPECT_EQ(status, Status::timeout);
  std::printf("%s wait: %lld ms wall, %.2f ms CPU (%.2f%%)\n", locktest::backend_label(GetParam()).c_str(),
              static_cast<long long>(wall_ms), cpu_ns / 1e6, 100.0 * cpu_ns / 1e6 / wall_ms);
  EXPECT_LT(cpu_ns / 1000000, wall_ms / 10) << "the waiter spins";
  if (created.available()) {
    const long temps = created.take();
    std::printf("temporary files created during the wait: %ld\n", temps);
    EXPECT_LE(temps, 20) << "each retry places a temporary file";
  }
  std::ofstream(go.file("go")) << "go";
  EXPECT_EQ(fltest::wait_exit(holder), 0);
}

// Many threads taking one lock in turn, each through its own handle, finish quickly: they
// pass in-process one at a time, woken in turn (100 threads x 100 acquisitions on
// LOCKFILE took more than 90 s while waiters spun, and over a minute while every
// release still woke every waiter).
TEST_P(NameLockWait, ManyThreadsTakeTurnsQuickly) {
  constexpr int kThreads = 20;
  constexpr int kRounds = 50;
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> failures{0};
  const int64_t start = locktest::mono_ns();
  const int64_t cpu0 = process_cpu_ns();
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto lock = open_lock(dir.file("x"), with_backend(GetParam()));
      for (int r = 0; r < kRounds; ++r) {
        if (status_of([&] { lock->lock(LockMode::exclusive, 60000); }) != Status::ok) {
          ++failures;
          continue;
        }
        if (inside.fetch_add(1) != 0) ++overlaps;
        inside.fetch_sub(1);
        lock->unlock();
      }
    });
  }
  for (auto &t : threads) t.join();
  const int64_t ms = locktest::elapsed_ms_since(start);
  const int64_t cpu_ms = (process_cpu_ns() - cpu0) / 1000000;
  std::printf("%s: %d threads x %d acquisitions in %lld ms, %lld ms CPU\n",
              locktest::backend_label(GetParam()).c_str(), kThreads, kRounds,
              static_cast<long long>(ms), static_cast<long long>(cpu_ms));
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LT(ms, 20000);
}

INSTANTIATE_TEST_SUITE_P(Backends, NameLockWait,
                         ::testing::Values(Backend::lockfile, Backend::lockdir),
                         locktest::BackendName());

}  // namespace
