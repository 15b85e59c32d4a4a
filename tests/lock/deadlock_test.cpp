// Deadlock detection reports only real deadlocks: a wait forever that another thread can
// end must wait, not fail with Status::deadlock. A handle may be unlocked by another
// thread than the one that locked it (thread pools, asyncio's run_in_executor).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::Status;
using locktest::open_lock;
using locktest::status_of;
using locktest::with_backend;

namespace {

class Deadlock : public ::testing::TestWithParam<Backend> {
 protected:
  fltest::TempDir dir;
};

// A pool thread takes handle A for one task, then runs another task that waits forever
// on handle B of the same path; the first task's continuation releases A on another
// thread. The wait must end with the lock, not with Status::deadlock. `held`: the mode
// of the first task's hold (either conflicts with the exclusive wait).
void expect_pool_thread_gets_the_lock(const std::string &path, Backend backend,
                                      LockMode held = LockMode::exclusive) {
  auto a = open_lock(path, with_backend(backend));
  auto b = open_lock(path, with_backend(backend));
  std::promise<void> waiting;
  Status got = Status::io;
  std::thread pool_thread([&] {
    a->lock(held, 0);
    waiting.set_value();
    got = status_of([&] { b->lock(LockMode::exclusive, filelock::kForever); });
  });
  waiting.get_future().wait();
  // Let the pool thread reach its wait; a release before it would find the lock free.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  a->unlock();
  pool_thread.join();
  EXPECT_EQ(got, Status::ok);
  EXPECT_TRUE(b->locked());
}

TEST_P(Deadlock, PoolThreadWaitsForeverForAHandleAnotherThreadReleases) {
  expect_pool_thread_gets_the_lock(dir.file("x"), GetParam());
}

// Waits that timed out (their waiter threads cancelled) leave the count of the library's
// own threads as it was: it must not hide the threads that can release.
TEST_P(Deadlock, TimedOutWaitsLeaveTheThreadCountRight) {
  auto holder = open_lock(dir.file("y"), with_backend(GetParam()));
  auto waiter = open_lock(dir.file("y"), with_backend(GetParam()));
  holder->lock(LockMode::exclusive, 0);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(status_of([&] { waiter->lock(LockMode::exclusive, 20); }), Status::timeout);
  holder->unlock();
  expect_pool_thread_gets_the_lock(dir.file("x"), GetParam());
}

// The same for a shared hold and an exclusive wait, the other conflicting pair.
TEST_P(Deadlock, SharedHoldOfThePoolThreadReleasedElsewhereIsNoDeadlock) {
  if (GetParam() == Backend::lockfile || GetParam() == Backend::lockdir)
    GTEST_SKIP() << "LOCKFILE and LOCKDIR have exclusive locks only";
  expect_pool_thread_gets_the_lock(dir.file("x"), GetParam(), LockMode::shared);
}

// A thread whose earlier handle another thread released waits forever on another handle
// while a third holder releases later: it gets the lock.
TEST_P(Deadlock, HandleReleasedByAnotherThreadNoLongerCountsAsTheLockersOwn) {
  auto a = open_lock(dir.file("x"), with_backend(GetParam()));
  auto b = open_lock(dir.file("x"), with_backend(GetParam()));
  auto c = open_lock(dir.file("x"), with_backend(GetParam()));
  std::promise<void> a_taken, c_taken;
  Status got = Status::io;
  std::thread pool_thread([&] {
    a->lock(LockMode::exclusive, 0);
    a_taken.set_value();
    c_taken.get_future().wait();
    got = status_of([&] { b->lock(LockMode::exclusive, filelock::kForever); });
  });
  a_taken.get_future().wait();
  std::thread([&] { a->unlock(); }).join();
  c->lock(LockMode::exclusive, 0);
  c_taken.set_value();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  c->unlock();
  pool_thread.join();
  EXPECT_EQ(got, Status::ok);
}

// With no other thread to release it, a wait forever for a lock this thread holds is a
// deadlock, and is reported at once.
TEST_P(Deadlock, OnlyThreadWaitingForItsOwnLockIsReported) {
  if (!locktest::only_thread_left()) GTEST_SKIP() << locktest::kOtherThreadsSkip;
  auto a = open_lock(dir.file("x"), with_backend(GetParam()));
  auto b = open_lock(dir.file("x"), with_backend(GetParam()));
  a->lock(LockMode::exclusive, 0);
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, filelock::kForever); }),
            Status::deadlock);
  EXPECT_TRUE(a->locked());
  EXPECT_FALSE(b->locked());
}

INSTANTIATE_TEST_SUITE_P(AllBackends, Deadlock,
                         ::testing::Values(Backend::automatic, Backend::flock, Backend::ofd,
                                           Backend::posix, Backend::lockfile, Backend::lockdir),
                         locktest::BackendName());

}  // namespace
