// Exclusion: modes, handles in threads and processes, handle state errors, deadlock.
#include <gtest/gtest.h>

#include <thread>

#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;
using locktest::open_lock;
using locktest::status_of;

namespace {

class Exclusion : public ::testing::TestWithParam<Backend> {
 protected:
  LockOptions opts() const {
    LockOptions o;
    o.backend = GetParam();
    return o;
  }
  std::string backend_arg() const { return std::to_string(static_cast<int>(GetParam())); }
  fltest::TempDir dir;
};

TEST_P(Exclusion, TwoHandlesInOneProcessExcludeEachOther) {
  auto a = open_lock(dir.file("x"), opts());
  auto b = open_lock(dir.file("x"), opts());
  a->lock(LockMode::exclusive, 0);
  EXPECT_TRUE(a->locked());
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 0); }), Status::busy);
  EXPECT_EQ(status_of([&] { b->lock(LockMode::shared, 0); }), Status::busy);
  EXPECT_FALSE(b->locked());
  a->unlock();
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 0); }), Status::ok);
}

TEST_P(Exclusion, SharedHoldersCoexistAndExcludeWriters) {
  auto a = open_lock(dir.file("x"), opts());
  auto b = open_lock(dir.file("x"), opts());
  auto c = open_lock(dir.file("x"), opts());
  a->lock(LockMode::shared, 0);
  EXPECT_EQ(status_of([&] { b->lock(LockMode::shared, 0); }), Status::ok);
  EXPECT_EQ(status_of([&] { c->lock(LockMode::exclusive, 0); }), Status::busy);
  a->unlock();
  EXPECT_EQ(status_of([&] { c->lock(LockMode::exclusive, 0); }), Status::busy);
  b->unlock();
  EXPECT_EQ(status_of([&] { c->lock(LockMode::exclusive, 0); }), Status::ok);
}

TEST_P(Exclusion, AlreadyAndNotLockedAreReported) {
  auto a = open_lock(dir.file("x"), opts());
  EXPECT_EQ(status_of([&] { a->unlock(); }), Status::not_locked);
  a->lock(LockMode::shared, 0);
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::already);
  a->unlock();
  EXPECT_EQ(status_of([&] { a->unlock(); }), Status::not_locked);
}

TEST_P(Exclusion, BusyMessageNamesOperationAndPath) {
  auto a = open_lock(dir.file("x"), opts());
  auto b = open_lock(dir.file("x"), opts());
  a->lock(LockMode::exclusive, 0);
  try {
    b->lock(LockMode::exclusive, 0);
    FAIL() << "expected busy";
  } catch (const filelock::Error &e) {
    EXPECT_NE(std::string(e.what()).find("lock '" + dir.file("x.lock") + "'"), std::string::npos)
        << e.what();
  }
}

TEST_P(Exclusion, OtherProcessIsExcludedAndSeesRelease) {
  auto a = open_lock(dir.file("x"), opts());
  a->lock(LockMode::exclusive, 0);
  auto p = fltest::spawn_helper("try", {dir.file("x"), "exclusive", backend_arg()});
  EXPECT_EQ(fltest::read_line(p), std::to_string(static_cast<int>(Status::busy)));
  EXPECT_EQ(fltest::wait_exit(p), 0);
  a->unlock();
  p = fltest::spawn_helper("try", {dir.file("x"), "exclusive", backend_arg()});
  EXPECT_EQ(fltest::read_line(p), "0");
  EXPECT_EQ(fltest::wait_exit(p), 0);
}

TEST_P(Exclusion, KilledHolderLeavesNothingHeld) {
  auto p = fltest::spawn_helper("hold", {dir.file("x"), "exclusive", "60000", backend_arg()});
  ASSERT_EQ(fltest::read_line(p), "locked");
  auto a = open_lock(dir.file("x"), opts());
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::busy);
  fltest::kill_hard(p);
  EXPECT_EQ(fltest::wait_exit(p), 128 + 9);
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 5000); }), Status::ok);
}

TEST_P(Exclusion, WaitingForeverOnOwnLockIsDeadlock) {
  if (!locktest::only_thread_left()) GTEST_SKIP() << locktest::kOtherThreadsSkip;
  auto a = open_lock(dir.file("x"), opts());
  auto b = open_lock(dir.file("x"), opts());
  a->lock(LockMode::exclusive, 0);
  EXPECT_EQ(status_of([&] { b->lock(LockMode::shared, filelock::kForever); }), Status::deadlock);
  a->unlock();
  a->lock(LockMode::shared, 0);
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, filelock::kForever); }), Status::deadlock);
}

TEST_P(Exclusion, AnotherThreadWaitingIsNotDeadlock) {
  auto a = open_lock(dir.file("x"), opts());
  auto b = open_lock(dir.file("x"), opts());
  a->lock(LockMode::exclusive, 0);
  Status got = Status::io;
  std::thread t([&] { got = status_of([&] { b->lock(LockMode::exclusive, filelock::kForever); }); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  a->unlock();
  t.join();
  EXPECT_EQ(got, Status::ok);
  EXPECT_TRUE(b->locked());
}

INSTANTIATE_TEST_SUITE_P(KernelBackends, Exclusion,
                         ::testing::Values(Backend::flock, Backend::ofd, Backend::posix),
                         locktest::BackendName());

TEST(ExclusionInterop, FlockBackendExcludesRawFlockOfTheSameFile) {
  fltest::TempDir dir;
  LockOptions o;
  o.sidecar = false;  // lock the path itself, as flock(1) does
  auto p = fltest::spawn_helper("raw_flock", {dir.file("data"), "60000"});
  ASSERT_EQ(fltest::read_line(p), "locked");
  auto a = open_lock(dir.file("data"), o);
  EXPECT_EQ(a->lock_path(), dir.file("data"));
  EXPECT_EQ(status_of([&] { a->lock(LockMode::shared, 0); }), Status::busy);
  fltest::kill_hard(p);
  fltest::wait_exit(p);
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 5000); }), Status::ok);
}

}  // namespace
