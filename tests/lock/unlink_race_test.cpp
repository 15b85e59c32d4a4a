// The unlink race: a process waiting on a lock file that gets removed (fl_clean_stale:
// lock, unlink, unlock) must not end up holding the orphaned inode while another process
// holds the lock file that now exists at the path.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;
using locktest::open_lock;
using locktest::status_of;

namespace {

class UnlinkRace : public ::testing::TestWithParam<Backend> {};

TEST_P(UnlinkRace, WaiterOnUnlinkedFileReopensThePath) {
  fltest::TempDir dir;
  LockOptions o;
  o.backend = GetParam();
  auto cleaner = open_lock(dir.file("x"), o);
  cleaner->lock(LockMode::exclusive, 0);
  auto waiter = fltest::spawn_helper(
      "hold", {dir.file("x"), "exclusive", "60000", std::to_string(static_cast<int>(GetParam()))});
  usleep(100 * 1000);  // the helper has opened the file and is blocked in its wait
  ASSERT_EQ(unlink(cleaner->lock_path().c_str()), 0);
  cleaner->unlock();
  EXPECT_EQ(fltest::read_line(waiter), "locked");
  // The waiter must hold the file now at the path, so a newcomer is excluded.
  EXPECT_EQ(access(dir.file("x.lock").c_str(), F_OK), 0);
  auto newcomer = open_lock(dir.file("x"), o);
  EXPECT_EQ(status_of([&] { newcomer->lock(LockMode::exclusive, 0); }), Status::busy);
  fltest::kill_hard(waiter);
  fltest::wait_exit(waiter);
}

TEST_P(UnlinkRace, OpenedBeforeUnlinkTryLockUsesThePath) {
  fltest::TempDir dir;
  LockOptions o;
  o.backend = GetParam();
  auto early = open_lock(dir.file("x"), o);  // opened, then the file is removed
  ASSERT_EQ(unlink(early->lock_path().c_str()), 0);
  early->lock(LockMode::exclusive, 0);
  auto p = fltest::spawn_helper("try", {dir.file("x"), "exclusive",
                                        std::to_string(static_cast<int>(GetParam()))});
  EXPECT_EQ(fltest::read_line(p), std::to_string(static_cast<int>(Status::busy)));
  fltest::wait_exit(p);
}

TEST_P(UnlinkRace, FailedReopenLeavesTheHandleUsable) {
  fltest::TempDir dir;
  const std::string sub = dir.file("sub");
  ASSERT_EQ(mkdir(sub.c_str(), 0755), 0);
  LockOptions o;
  o.backend = GetParam();
  auto lock = open_lock(sub + "/x", o);
  ASSERT_EQ(unlink(lock->lock_path().c_str()), 0);
  ASSERT_EQ(rmdir(sub.c_str()), 0);  // nowhere to re-create the lock file
  EXPECT_EQ(status_of([&] { lock->lock(LockMode::exclusive, 0); }), Status::not_found);
  EXPECT_FALSE(lock->locked());
  EXPECT_EQ(status_of([&] { lock->unlock(); }), Status::not_locked);
  ASSERT_EQ(mkdir(sub.c_str(), 0755), 0);
  EXPECT_EQ(status_of([&] { lock->lock(LockMode::exclusive, 0); }), Status::ok);
}

INSTANTIATE_TEST_SUITE_P(KernelBackends, UnlinkRace,
                         ::testing::Values(Backend::flock, Backend::ofd, Backend::posix),
                         locktest::BackendName());

}  // namespace
