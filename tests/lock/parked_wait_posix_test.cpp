// Waits that end early (timeout, cancel) leave nothing behind: neither the lock nor a
// thread per attempt. Where a blocked flock() cannot be interrupted (macOS; on Linux a
// FILELOCK_MACOS_WAITS build), the waiter is parked between waits instead of cancelled
// (platform/kernel_lock.hpp); these hold either way, and CI runs them both ways.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "lock_test_util.hpp"
#include "platform/kernel_lock.hpp"
#include "platform/wakeup.hpp"

using filelock::LockMode;
using filelock::Status;
using locktest::open_lock;
using locktest::status_of;

namespace {

// Threads of this process, from /proc/self/task; -1 where there is no such list.
int thread_count() {
  DIR *d = ::opendir("/proc/self/task");
  if (d == nullptr) return -1;
  int n = 0;
  while (struct dirent *e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

// Unlocks `holder` from another thread 50 ms from now, once the wait under test began.
std::thread unlock_soon(filelock::Lock &holder) {
  return std::thread([&holder] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    holder.unlock();
  });
}

TEST(EarlyEndedWaits, RetryingWithShortTimeoutsKeepsAtMostOneWaiter) {
  if (thread_count() < 0) GTEST_SKIP() << "no /proc/self/task to count threads in";
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  auto b = open_lock(dir.file("x"));
  a->lock(LockMode::exclusive, 0);
  const int before = thread_count();
  for (int i = 0; i < 40; ++i)
    ASSERT_EQ(status_of([&] { b->lock(LockMode::exclusive, 5); }), Status::timeout);
  EXPECT_LE(thread_count() - before, 1);
  EXPECT_FALSE(b->locked());
}

// The next wait takes over the parked waiter and with it the lock it gets: the lock must
// then be the handle's own (held until it unlocks, gone when it does).
TEST(EarlyEndedWaits, AWaitAfterATimeoutHoldsTheLockItGets) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  auto b = open_lock(dir.file("x"));
  auto c = open_lock(dir.file("x"));
  a->lock(LockMode::exclusive, 0);
  ASSERT_EQ(status_of([&] { b->lock(LockMode::exclusive, 20); }), Status::timeout);
  std::thread releaser = unlock_soon(*a);
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 5000); }), Status::ok);
  releaser.join();
  ASSERT_TRUE(b->locked());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(status_of([&] { c->lock(LockMode::shared, 0); }), Status::busy);
  b->unlock();
  EXPECT_EQ(status_of([&] { c->lock(LockMode::exclusive, 2000); }), Status::ok);
}

// A waiter left behind, by a timeout or by closing the handle, lets go of the lock as
// soon as it gets it.
TEST(EarlyEndedWaits, AnAbandonedWaiterNeverKeepsTheLockFromOthers) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  auto b = open_lock(dir.file("x"));
  auto closed = open_lock(dir.file("x"));
  auto c = open_lock(dir.file("x"));
  a->lock(LockMode::exclusive, 0);
  ASSERT_EQ(status_of([&] { b->lock(LockMode::exclusive, 10); }), Status::timeout);
  ASSERT_EQ(status_of([&] { closed->lock(LockMode::exclusive, 10); }), Status::timeout);
  closed.reset();
  // Each release gives the left-behind waiters time to take the lock before the next
  // acquirer asks (the releasing thread would otherwise win the race).
  const auto settle = [] { std::this_thread::sleep_for(std::chrono::milliseconds(50)); };
  a->unlock();
  settle();
  EXPECT_EQ(status_of([&] { c->lock(LockMode::exclusive, 2000); }), Status::ok);
  c->unlock();
  settle();
  // b's parked waiter is gone too: a new holder is not disturbed by it.
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 2000); }), Status::ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(status_of([&] { c->lock(LockMode::shared, 0); }), Status::busy);
}

// A waiter parked for an exclusive lock must not answer a shared wait.
TEST(EarlyEndedWaits, AParkedWaiterServesOnlyItsOwnMode) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  auto b = open_lock(dir.file("x"));
  auto c = open_lock(dir.file("x"));
  a->lock(LockMode::exclusive, 0);
  ASSERT_EQ(status_of([&] { b->lock(LockMode::exclusive, 10); }), Status::timeout);
  std::thread releaser = unlock_soon(*a);
  EXPECT_EQ(status_of([&] { b->lock(LockMode::shared, 5000); }), Status::ok);
  releaser.join();
  // Shared, as asked: another shared holder gets in.
  EXPECT_EQ(status_of([&] { c->lock(LockMode::shared, 2000); }), Status::ok);
}

// The lock file was replaced by a LOCKDIR lock's directory between the handle's open and
// its wait (the mixed-backend hammer hit this): the wait reports the name replaced, so the
// caller re-opens and judges the directory, instead of failing with "Is a directory".
TEST(EarlyEndedWaits, ALockFileReplacedByADirectoryIsReplacedNotAnError) {
  namespace platform = filelock::platform;
  fltest::TempDir dir;
  const std::string path = dir.file("x.lock");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  const int holder = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_EQ(::flock(holder, LOCK_EX), 0);  // the wait cannot simply succeed on the old file
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_EQ(::mkdir(path.c_str(), 0755), 0);
  auto wakeup = std::make_shared<platform::Wakeup>();
  std::atomic<bool> cancel{false};
  platform::ParkedWait parked;
  platform::WaitOutcome outcome{};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  const platform::OsError e = platform::kernel_wait_lock(
      fd, platform::KernelLockKind::flock, LockMode::exclusive, false, deadline, wakeup, cancel,
      path, &parked, outcome);
  EXPECT_FALSE(e) << e.err;
  // Parking builds see the new directory; the others wait on the old file until the
  // deadline. Neither holds anything.
  EXPECT_TRUE(outcome == platform::WaitOutcome::replaced ||
              outcome == platform::WaitOutcome::timed_out);
  ::close(holder);
  ::close(fd);
}

}  // namespace
