// The POSIX backend's own hazards: process-owned locks that any close() would drop.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "lock/lock_inspect.hpp"
#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;
using locktest::open_lock;
using locktest::status_of;

namespace {

LockOptions posix() {
  LockOptions o;
  o.backend = Backend::posix;
  return o;
}

Status other_process_try(const std::string &path) {
  auto p = fltest::spawn_helper("try", {path, "exclusive", std::to_string(static_cast<int>(Backend::posix))});
  const std::string line = fltest::read_line(p);
  fltest::wait_exit(p);
  return static_cast<Status>(std::stoi(line));
}

TEST(PosixBackend, OpeningAndClosingAnotherHandleKeepsTheLock) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"), posix());
  a->lock(LockMode::exclusive, 0);
  open_lock(dir.file("x"), posix()).reset();  // a second descriptor, opened and closed
  EXPECT_EQ(other_process_try(dir.file("x")), Status::busy);
  locktest::query_json(dir.file("x"), posix());  // looking does not drop it either
  locktest::scan_json(dir.path());
  EXPECT_EQ(other_process_try(dir.file("x")), Status::busy);
}

TEST(PosixBackend, SharedHandlesShareTheProcessLockUntilTheLastLeaves) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"), posix());
  auto b = open_lock(dir.file("x"), posix());
  a->lock(LockMode::shared, 0);
  b->lock(LockMode::shared, 0);
  a->unlock();
  EXPECT_EQ(other_process_try(dir.file("x")), Status::busy);
  b->unlock();
  EXPECT_EQ(other_process_try(dir.file("x")), Status::ok);
}

TEST(PosixBackend, InProcessWaiterWakesOnRelease) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"), posix());
  auto b = open_lock(dir.file("x"), posix());
  a->lock(LockMode::exclusive, 0);
  Status got = Status::io;
  std::thread t([&] { got = status_of([&] { b->lock(LockMode::exclusive, 5000); }); });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  a->unlock();
  t.join();
  EXPECT_EQ(got, Status::ok);
  EXPECT_EQ(other_process_try(dir.file("x")), Status::busy);
}

TEST(PosixBackend, InProcessWaitTimesOutAndCancels) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"), posix());
  auto b = open_lock(dir.file("x"), posix());
  a->lock(LockMode::exclusive, 0);
  const int64_t start = locktest::mono_ns();
  EXPECT_EQ(status_of([&] { b->lock(LockMode::shared, 50); }), Status::timeout);
  EXPECT_LT(locktest::elapsed_ms_since(start), 50 + locktest::kSchedulingSlackMs);
  Status got = Status::ok;
  std::thread t([&] { got = status_of([&] { b->lock(LockMode::exclusive, filelock::kForever); }); });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  b->cancel();
  t.join();
  EXPECT_EQ(got, Status::canceled);
}

// The lock file was replaced between the handle's open and its wait, while a foreign
// flock holder kept the old one: the wait follows the name to the new file and takes it,
// instead of ending a wait-forever as "timed out after -1 ms" (which a parked-waiter
// build did).
TEST(PosixBackend, AWaitOnAFileReplacedSinceTheOpenLocksTheNewOne) {
  fltest::TempDir dir;
  const std::string lock_file = dir.file("x.lock");
  auto b = open_lock(dir.file("x"), posix());
  const int old_file = ::open(lock_file.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(old_file, 0);
  ASSERT_EQ(::flock(old_file, LOCK_EX), 0);  // a foreign holder, as flock(1) would be
  ASSERT_EQ(::unlink(lock_file.c_str()), 0);
  std::fclose(std::fopen(lock_file.c_str(), "w"));
  Status got = Status::io;
  std::thread t([&] { got = status_of([&] { b->lock(LockMode::exclusive, filelock::kForever); }); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::close(old_file);
  t.join();
  ASSERT_EQ(got, Status::ok);
  EXPECT_EQ(other_process_try(dir.file("x")), Status::busy);
  b->unlock();
  EXPECT_EQ(other_process_try(dir.file("x")), Status::ok);
}

}  // namespace
