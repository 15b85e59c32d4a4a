// After fork() the child shares the parent's open lock file description: unlocking or
// closing the inherited handle in the child must not release the parent's lock.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;
using locktest::open_lock;
using locktest::status_of;

namespace {

int run_child(const std::function<int()> &body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

Status other_process_try(const std::string &path, Backend backend) {
  auto p = fltest::spawn_helper("try", {path, "exclusive", std::to_string(static_cast<int>(backend))});
  const std::string line = fltest::read_line(p);
  fltest::wait_exit(p);
  return static_cast<Status>(std::stoi(line));
}

class Fork : public ::testing::TestWithParam<Backend> {};

TEST_P(Fork, ChildUnlockAndCloseLeaveParentLockHeld) {
  fltest::TempDir dir;
  LockOptions o;
  o.backend = GetParam();
  auto lock = open_lock(dir.file("x"), o);
  lock->lock(LockMode::exclusive, 0);
  EXPECT_EQ(run_child([&] {
              try {
                lock->unlock();
                lock.reset();  // close
                return 0;
              } catch (...) {
                return 1;
              }
            }),
            0);
  EXPECT_TRUE(lock->locked());
  EXPECT_EQ(other_process_try(dir.file("x"), GetParam()), Status::busy);
  lock->unlock();
  EXPECT_EQ(other_process_try(dir.file("x"), GetParam()), Status::ok);
}

TEST_P(Fork, ChildLockingAgainIsExcludedByParent) {
  fltest::TempDir dir;
  LockOptions o;
  o.backend = GetParam();
  auto lock = open_lock(dir.file("x"), o);
  lock->lock(LockMode::exclusive, 0);
  EXPECT_EQ(run_child([&] {
              try {
                lock->unlock();  // forgets the parent's lock, releases nothing
                if (status_of([&] { lock->lock(LockMode::exclusive, 0); }) != Status::busy) return 2;
                return 0;
              } catch (...) {
                return 1;
              }
            }),
            0);
  EXPECT_EQ(other_process_try(dir.file("x"), GetParam()), Status::busy);
}

INSTANTIATE_TEST_SUITE_P(KernelBackends, Fork,
                         ::testing::Values(Backend::flock, Backend::ofd, Backend::posix),
                         locktest::BackendName());

}  // namespace
