// The release-wake table (platform/release_wake.hpp): a wait for a filelock holder in
// another process sleeps on the table and is woken by the release itself, with no
// waiter thread; a holder that is not filelock's is waited for in the kernel at once; a
// holder that dies wakes it at once (in a forked child too); a mark that lies costs at
// most kReleaseWakeSpan, and a sleeper that dies one release's wake call; cancel and
// timeouts keep their promises while it sleeps there.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "io/lock_io.hpp"
#include "lock/lock_path.hpp"
#include "lock_test_util.hpp"
#include "pid_namespace_posix.hpp"
#include "platform/release_wake.hpp"
#include "platform/syscalls.hpp"
#include "platform/threads.hpp"

using filelock::LockMode;
using filelock::Status;
using filelock::platform::ReleaseWake;
using filelock::platform::Syscall;
using locktest::elapsed_ms_since;
using locktest::mono_ns;
using locktest::open_lock;
using locktest::status_of;

namespace {

constexpr int64_t kSpanMs = filelock::platform::kReleaseWakeSpan.count();

void sleep_ms(int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// The lock file a lock of `path` with default options uses, and its slot.
std::string lock_file(const std::string &path) { return filelock::resolve_lock_path(path, {}); }
ReleaseWake slot_of(const std::string &path) {
  filelock::platform::FileInfo id;
  if (!filelock::io::identify_path(lock_file(path), id)) return ReleaseWake();
  return ReleaseWake::for_file(id);
}

// Counts the sleeps on the table while it lives.
struct SleepCounter {
  SleepCounter() {
    filelock::platform::syscalls::set_recorder(
        [](Syscall call, void *self) {
          if (call == Syscall::wake_sleep) static_cast<std::atomic<int> *>(self)->fetch_add(1);
        },
        &sleeps);
  }
  ~SleepCounter() { filelock::platform::syscalls::set_recorder(nullptr, nullptr); }
  std::atomic<int> sleeps{0};
};

// The table exists on Linux (not in the build that waits the macOS way); elsewhere there
// is nothing to test.
#if defined(__linux__) && !defined(FL_FLOCK_WAIT_PARKS)
constexpr bool kHasTable = true;
#else
constexpr bool kHasTable = false;
#endif
#define REQUIRE_TABLE(path)                                                \
  do {                                                                     \
    if (!slot_of(path)) {                                                  \
      ASSERT_FALSE(kHasTable) << "this build has a release-wake table";    \
      GTEST_SKIP() << "this build waits in the kernel only";               \
    }                                                                      \
  } while (0)

// A waiting thread of this process; `status` and `at` once it returns.
struct Waiter {
  Waiter(filelock::Lock &lock, int64_t timeout_ms)
      : thread([this, &lock, timeout_ms] {
          status = status_of([&] { lock.lock(LockMode::exclusive, timeout_ms); });
          at = mono_ns();
        }) {}
  ~Waiter() {
    if (thread.joinable()) thread.join();
  }
  std::atomic<Status> status{Status::ok};
  std::atomic<int64_t> at{0};
  std::thread thread;
};

// Once the waiter sleeps (well within kReleaseWakeSpan), does `end_the_wait` and says how
// many ms later the wait returned.
template <class Fn>
int64_t ms_to_return_after(Waiter &w, Fn end_the_wait) {
  sleep_ms(100);
  const int64_t start = mono_ns();
  end_the_wait();
  w.thread.join();
  return (w.at.load() - start) / 1000000;
}

// A filelock process holding `path` exclusively for `hold_ms`, once it holds.
fltest::Process filelock_holder(const std::string &path, int hold_ms) {
  auto p = fltest::spawn_helper("hold", {path, "exclusive", std::to_string(hold_ms)});
  EXPECT_EQ(fltest::read_line(p), "locked");
  return p;
}

TEST(ReleaseWake, WaitForAnotherProcessIsWokenByItsReleaseWithNoWaiterThread) {
  fltest::TempDir dir;
  auto p = filelock_holder(dir.file("x"), 400);
  REQUIRE_TABLE(dir.file("x"));
  EXPECT_NE(slot_of(dir.file("x")).waking_holder(), 0) << "the holder marked its slot";
  auto b = open_lock(dir.file("x"));
  // A first wait starts the process's one holder watcher thread.
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 5); }), Status::timeout);
  const int before = filelock::platform::thread_count();
  SleepCounter counter;
  Waiter w(*b, filelock::kForever);
  sleep_ms(150);
  // The waiting thread and nothing else: no waiter thread blocked in flock() for it.
  EXPECT_EQ(filelock::platform::thread_count(), before + 1);
  long long released = 0;
  ASSERT_EQ(std::sscanf(fltest::read_line(p).c_str(), "releasing %lld", &released), 1);
  w.thread.join();
  EXPECT_EQ(w.status.load(), Status::ok);
  EXPECT_GE(counter.sleeps.load(), 1);
  EXPECT_LT((w.at.load() - released) / 1000000, locktest::kSchedulingSlackMs);
  EXPECT_EQ(fltest::wait_exit(p), 0);
  EXPECT_EQ(slot_of(dir.file("x")).waking_holder(), 0) << "a released lock promises nothing";
}

// Holds PATH, unlocks after HOLD_MS, prints "released", lives on until killed.
FLTEST_HELPER("hold_then_linger") {
  auto lock = locktest::open_lock(args.at(0));
  lock->lock(LockMode::exclusive, filelock::kForever);
  std::printf("locked\n");
  std::fflush(stdout);
  sleep_ms(std::stoll(args.at(1)));
  lock->unlock();
  std::printf("released\n");
  std::fflush(stdout);
  sleep_ms(30000);
  return 0;
}

TEST(ReleaseWake, UnlockTakesTheHoldersMarkAway) {
  fltest::TempDir dir;
  auto p = fltest::spawn_helper("hold_then_linger", {dir.file("x"), "100"});
  ASSERT_EQ(fltest::read_line(p), "locked");
  REQUIRE_TABLE(dir.file("x"));
  EXPECT_TRUE(slot_of(dir.file("x")).waking_holder() != 0);
  ASSERT_EQ(fltest::read_line(p), "released");
  EXPECT_FALSE(slot_of(dir.file("x")).waking_holder() != 0) << "the live process holds nothing now";
  fltest::kill_hard(p);
  fltest::wait_exit(p);
}

TEST(ReleaseWake, ForeignHolderIsWaitedForInTheKernelAtOnce) {
  fltest::TempDir dir;
  auto p = fltest::spawn_helper("raw_flock", {lock_file(dir.file("x")), "150"});
  ASSERT_EQ(fltest::read_line(p), "locked");
  REQUIRE_TABLE(dir.file("x"));
  auto b = open_lock(dir.file("x"));
  SleepCounter counter;
  const int64_t start = mono_ns();
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 5000); }), Status::ok);
  EXPECT_EQ(counter.sleeps.load(), 0) << "flock(1)-like holders never wake the table";
  // A wait that slept on the table would end after the span (1 s), not at the release
  // (150 ms): half the span tells them apart on a loaded machine too.
  EXPECT_LT(elapsed_ms_since(start), kSpanMs / 2);
  fltest::wait_exit(p);
}

// Marks PATH's slot as held by this process without holding it (a mark that lies: a
// crashed holder's pid reused, a slot two files share), prints "marked", lives on.
FLTEST_HELPER("false_mark") {
  slot_of(args.at(0)).held();
  std::printf("marked\n");
  std::fflush(stdout);
  sleep_ms(30000);
  return 0;
}

TEST(ReleaseWake, AFalseMarkDelaysAWaitForAForeignHolderByAtMostTheSpan) {
  fltest::TempDir dir;
  auto holder = fltest::spawn_helper("raw_flock", {lock_file(dir.file("x")), "200"});
  ASSERT_EQ(fltest::read_line(holder), "locked");
  REQUIRE_TABLE(dir.file("x"));
  auto liar = fltest::spawn_helper("false_mark", {dir.file("x")});
  ASSERT_EQ(fltest::read_line(liar), "marked");
  ASSERT_TRUE(slot_of(dir.file("x")).waking_holder() != 0);
  auto b = open_lock(dir.file("x"));
  SleepCounter counter;
  const int64_t start = mono_ns();
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 5000); }), Status::ok);
  const int64_t took = elapsed_ms_since(start);
  EXPECT_GE(counter.sleeps.load(), 1) << "the mark was believed for a while";
  // The mark's owner never wakes it: the span ends the sleep, then the kernel's wait.
  EXPECT_GE(took, 200);
  EXPECT_LT(took, kSpanMs + locktest::kSchedulingSlackMs);
  fltest::kill_hard(liar);
  fltest::wait_exit(liar);
  fltest::wait_exit(holder);
}

// Its death bumps no word: the waiter's watch of it wakes the waiter.
TEST(ReleaseWake, AHolderKilledWhileWaitedForFreesTheWaiterAtOnce) {
  fltest::TempDir dir;
  auto p = filelock_holder(dir.file("x"), 20000);
  REQUIRE_TABLE(dir.file("x"));
  auto b = open_lock(dir.file("x"));
  Waiter w(*b, 10000);
  EXPECT_LT(ms_to_return_after(w, [&] { fltest::kill_hard(p); }), locktest::kSchedulingSlackMs);
  EXPECT_EQ(w.status.load(), Status::ok);
  fltest::wait_exit(p);
}

// A waiter killed while it sleeps on the table leaves its slot marked; the next release
// clears the mark (one wake call for nobody), so later releases make no call at all.
TEST(ReleaseWake, AWaiterKilledInItsSleepCostsOneReleaseACallNotEveryLaterOne) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  a->lock(LockMode::exclusive, filelock::kForever);
  REQUIRE_TABLE(dir.file("x"));
  const ReleaseWake slot = slot_of(dir.file("x"));
  auto waiter = fltest::spawn_helper("hold", {dir.file("x"), "exclusive", "0"});
  for (int i = 0; i < 500 && !slot.sleepers(); ++i) sleep_ms(10);
  ASSERT_TRUE(slot.sleepers()) << "the waiter process never slept on the table";
  fltest::kill_hard(waiter);
  fltest::wait_exit(waiter);
  EXPECT_TRUE(slot.sleepers()) << "nothing cleared the dead sleeper's mark";
  a->unlock();
  EXPECT_FALSE(slot.sleepers()) << "the release left the dead sleeper's mark for the next";
  a->lock(LockMode::exclusive, filelock::kForever);
  a->unlock();
  EXPECT_FALSE(slot.sleepers());
}

// The watcher thread a forked child inherits does not exist there: the child's waits
// are served by one of its own, so a holder's death still wakes them at once. The
// parent's epoll set is closed in the child at the fork: a child that then gives its
// number to a file of its own (as a daemon does, closing what it inherited) keeps it.
TEST(ReleaseWake, AForkedChildWatchesHoldersWithItsOwnThread) {
  fltest::TempDir dir;
  auto p = filelock_holder(dir.file("x"), 20000);
  REQUIRE_TABLE(dir.file("x"));
  {
    auto b = open_lock(dir.file("x"));  // starts this process's watcher
    EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 5); }), Status::timeout);
  }
  const std::vector<int> parents_set = fltest::descriptors_linked_to("anon_inode:[eventpoll]");
  ASSERT_EQ(parents_set.size(), 1u) << "the watcher's epoll set";
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  const pid_t child = fork();
  if (child == 0) {
    const int own = open("/dev/null", O_RDONLY);
    if (own < 0 || dup2(own, parents_set[0]) != parents_set[0]) _exit(2);
    if (own != parents_set[0]) close(own);  // the number may have been free already
    auto b = open_lock(dir.file("x"));
    const char ready = 'r';
    if (write(report[1], &ready, 1) != 1) _exit(2);
    const Status got = status_of([&] { b->lock(LockMode::exclusive, 10000); });
    const long long at = mono_ns();
    if (write(report[1], &at, sizeof at) != sizeof at) _exit(2);
    char target[64] = {};
    const std::string link = "/proc/self/fd/" + std::to_string(parents_set[0]);
    if (readlink(link.c_str(), target, sizeof target - 1) <= 0 || std::string(target) != "/dev/null")
      _exit(3);  // a file of its own was closed for the parent's set
    _exit(got == Status::ok ? 0 : 1);
  }
  char ready = 0;
  ASSERT_EQ(read(report[0], &ready, 1), 1);
  sleep_ms(100);
  const int64_t killed_at = mono_ns();
  fltest::kill_hard(p);
  long long at = 0;
  EXPECT_EQ(read(report[0], &at, sizeof at), static_cast<ssize_t>(sizeof at));
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << WEXITSTATUS(status);
  EXPECT_LT((at - killed_at) / 1000000, locktest::kSchedulingSlackMs)
      << "woken by the holder's death, not by the end of the span";
  close(report[0]);
  close(report[1]);
  fltest::wait_exit(p);
}

// A holder in another PID namespace that shares /dev/shm (`unshare --pid`): its pid
// names another process here (pid 1 is our init), so its mark is not believed and its
// death, which no watch of ours would see, is waited for in the kernel.
TEST(ReleaseWake, AHolderInAnotherPidNamespaceIsWaitedForInTheKernel) {
  fltest::TempDir dir;
  locktest::NamespacedHelper holder =
      locktest::spawn_in_pid_namespace("hold", {dir.file("x"), "exclusive", "20000"});
  if (holder.first_line.empty()) GTEST_SKIP() << locktest::no_namespace_reason(holder.wait());
  ASSERT_EQ(holder.first_line, "locked\n");
  REQUIRE_TABLE(dir.file("x"));
  EXPECT_EQ(slot_of(dir.file("x")).waking_holder(), 0) << "a pid of another namespace";
  auto b = open_lock(dir.file("x"));
  SleepCounter counter;
  Waiter w(*b, 10000);
  EXPECT_LT(ms_to_return_after(w, [&] { kill(holder.pid, SIGKILL); }),  // takes the holder along
            locktest::kSchedulingSlackMs);
  EXPECT_EQ(w.status.load(), Status::ok);
  EXPECT_EQ(counter.sleeps.load(), 0);
  holder.wait();
}

TEST(ReleaseWake, CancelEndsASleepOnTheTablePromptly) {
  fltest::TempDir dir;
  auto p = filelock_holder(dir.file("x"), 3000);
  REQUIRE_TABLE(dir.file("x"));
  auto b = open_lock(dir.file("x"));
  SleepCounter counter;
  Waiter w(*b, filelock::kForever);
  // Within the span, so the wait is still on the table when it is cancelled.
  EXPECT_LT(ms_to_return_after(w, [&] { b->cancel(); }), locktest::kSchedulingSlackMs);
  EXPECT_EQ(w.status.load(), Status::canceled);
  EXPECT_GE(counter.sleeps.load(), 1);
  EXPECT_FALSE(b->locked());
  fltest::kill_hard(p);
  fltest::wait_exit(p);
}

TEST(ReleaseWake, TimeoutsEndOnTimeWhileSleepingOnTheTable) {
  fltest::TempDir dir;
  auto p = filelock_holder(dir.file("x"), 5000);
  REQUIRE_TABLE(dir.file("x"));
  auto b = open_lock(dir.file("x"));
  // Within the span, and past it (the kernel's wait then takes over).
  for (int64_t timeout : {int64_t{5}, kSpanMs + 200}) {
    SleepCounter counter;
    const int64_t start = mono_ns();
    EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, timeout); }), Status::timeout);
    const int64_t took = elapsed_ms_since(start);
    EXPECT_GE(took, timeout);
    EXPECT_LE(took, timeout + locktest::kSchedulingSlackMs);
    EXPECT_GE(counter.sleeps.load(), 1);
  }
  fltest::kill_hard(p);
  fltest::wait_exit(p);
}

// The previous version's table goes when a process first opens this version's.
TEST(ReleaseWake, ThePreviousVersionsTableIsRemoved) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  REQUIRE_TABLE(dir.file("x"));
  const std::string v2 = "/filelock-wake-" + std::to_string(::geteuid()) + "-v2";
  const int fd = ::shm_open(v2.c_str(), O_RDWR | O_CREAT, 0600);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ::close(fd);
  auto p = filelock_holder(dir.file("x"), 0);  // a new process: it opens the table
  EXPECT_EQ(fltest::wait_exit(p), 0);
  const int again = ::shm_open(v2.c_str(), O_RDONLY, 0);
  const int err = errno;
  if (again >= 0) {
    ::close(again);
    ::shm_unlink(v2.c_str());
  }
  EXPECT_EQ(again, -1);
  EXPECT_EQ(err, ENOENT);
}

// With no table to open, waits go to the kernel and are woken all the same.
FLTEST_HELPER("wait_without_table") {
  filelock::platform::syscalls::fail(Syscall::wake_table, 1, EACCES, true);
  auto lock = locktest::open_lock(args.at(0));
  std::printf("waiting %d\n", static_cast<bool>(slot_of(args.at(0))) ? 1 : 0);
  std::fflush(stdout);
  lock->lock(LockMode::exclusive, 10000);
  std::printf("locked %lld\n", static_cast<long long>(mono_ns()));
  return 0;
}

TEST(ReleaseWake, WithoutATableWaitsGoToTheKernel) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  a->lock(LockMode::exclusive, 0);
  auto p = fltest::spawn_helper("wait_without_table", {dir.file("x")});
  EXPECT_EQ(fltest::read_line(p), "waiting 0");
  sleep_ms(100);
  const int64_t released_at = mono_ns();
  a->unlock();
  long long locked_at = 0;
  ASSERT_EQ(std::sscanf(fltest::read_line(p).c_str(), "locked %lld", &locked_at), 1);
  EXPECT_LT((locked_at - released_at) / 1000000, locktest::kSchedulingSlackMs);
  EXPECT_EQ(fltest::wait_exit(p), 0);
}

}  // namespace
