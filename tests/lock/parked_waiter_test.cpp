// The waiter thread of a kernel lock wait is kept parked between a handle's waits: one
// per handle, freed by close, started afresh after a cancel, a timeout or a fork.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;
using locktest::open_lock;
using locktest::status_of;

namespace {

int thread_count() {
  DIR *d = opendir("/proc/self/task");
  if (d == nullptr) return -1;
  int n = 0;
  while (struct dirent *e = readdir(d))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

// `waiter` waits (forever) for the lock `holder` holds, which another thread releases
// after `hold_ms`; returns the status of the wait.
Status wait_for_release(filelock::Lock &holder, filelock::Lock &waiter, int hold_ms) {
  holder.lock(LockMode::exclusive, 0);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    holder.unlock();
  });
  const Status got = status_of([&] { waiter.lock(LockMode::exclusive, 10000); });
  releaser.join();
  if (got == Status::ok) waiter.unlock();
  return got;
}

class ParkedWaiter : public ::testing::TestWithParam<Backend> {
 protected:
  LockOptions options() const {
    LockOptions o;
    o.backend = GetParam();
    return o;
  }
};

TEST_P(ParkedWaiter, OneThreadPerHandleKeptBetweenWaitsAndFreedOnClose) {
  if (GetParam() == Backend::posix) GTEST_SKIP() << "two handles of one process share POSIX locks";
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"), options());
  auto b = open_lock(dir.file("x"), options());
  const int before = thread_count();
  ASSERT_GT(before, 0);
  ASSERT_EQ(wait_for_release(*a, *b, 20), Status::ok);
  EXPECT_EQ(thread_count(), before + 1);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(wait_for_release(*a, *b, 5), Status::ok);
    EXPECT_EQ(thread_count(), before + 1);
  }
  b.reset();
  EXPECT_EQ(thread_count(), before);
}

TEST_P(ParkedWaiter, TimedOutOrCanceledWaitLeavesTheHandleReadyToWaitAgain) {
  fltest::TempDir dir;
  auto p = fltest::spawn_helper(
      "hold", {dir.file("x"), "exclusive", "300", std::to_string(static_cast<int>(GetParam()))});
  ASSERT_EQ(fltest::read_line(p), "locked");
  auto b = open_lock(dir.file("x"), options());
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 20); }), Status::timeout);
  std::thread canceler([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    b->cancel();
  });
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 10000); }), Status::canceled);
  canceler.join();
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 10000); }), Status::ok);
  EXPECT_EQ(fltest::wait_exit(p), 0);
}

// The child of a fork has none of the parent's threads: an inherited handle whose
// parent parked a waiter must wait with a thread of its own, and close without one.
TEST_P(ParkedWaiter, ForkedChildWaitsWithItsOwnThread) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"), options());
  auto p = fltest::spawn_helper(
      "hold", {dir.file("x"), "exclusive", "20", std::to_string(static_cast<int>(GetParam()))});
  ASSERT_EQ(fltest::read_line(p), "locked");
  ASSERT_EQ(status_of([&] { a->lock(LockMode::exclusive, 10000); }), Status::ok);  // parks one
  a->unlock();
  EXPECT_EQ(fltest::wait_exit(p), 0);
  p = fltest::spawn_helper(
      "hold", {dir.file("x"), "exclusive", "200", std::to_string(static_cast<int>(GetParam()))});
  ASSERT_EQ(fltest::read_line(p), "locked");
  pid_t pid = fork();
  if (pid == 0) {
    alarm(20);  // a wait that never ends fails the test instead of hanging it
    const Status got = status_of([&] { a->lock(LockMode::exclusive, 10000); });
    if (got != Status::ok) _exit(1);
    a->unlock();
    a.reset();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "child ended by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(fltest::wait_exit(p), 0);
  // The parent's parked waiter still serves it.
  p = fltest::spawn_helper(
      "hold", {dir.file("x"), "exclusive", "20", std::to_string(static_cast<int>(GetParam()))});
  ASSERT_EQ(fltest::read_line(p), "locked");
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 10000); }), Status::ok);
  EXPECT_EQ(fltest::wait_exit(p), 0);
}

INSTANTIATE_TEST_SUITE_P(KernelBackends, ParkedWaiter,
                         ::testing::Values(Backend::flock, Backend::ofd, Backend::posix),
                         locktest::BackendName());

}  // namespace
