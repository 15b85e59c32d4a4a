// After fork() the child shares the parent's open lock file description: unlocking or
// closing the inherited handle in the child must not release the parent's lock.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

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

// The forking thread is another thread in the child: it holds none of the parent's
// locks, so its wait forever for the parent's lock is no deadlock and ends when the
// parent releases. One NOWAIT try would not tell; the deadlock check runs before a wait.
class ForkWait : public ::testing::TestWithParam<Backend> {};

TEST_P(ForkWait, ChildWaitsForeverForTheParentsLockAndGetsIt) {
  fltest::TempDir dir;
  LockOptions o;
  o.backend = GetParam();
  auto held = open_lock(dir.file("x"), o);
  held->lock(LockMode::exclusive, 0);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(ready[0]);
    int code = 0;
    try {
      auto mine = open_lock(dir.file("x"), o);
      if (write(ready[1], "w", 1) != 1) _exit(3);
      const Status got = status_of([&] { mine->lock(LockMode::exclusive, filelock::kForever); });
      code = got == Status::ok ? 0 : 10 + static_cast<int>(-static_cast<int>(got));
    } catch (...) {
      code = 2;
    }
    _exit(code);
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  // Let the child reach its wait; were it to come later, it would find the lock free.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  held->unlock();
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << "child died by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "0: acquired; 10 + n: failed with status -n "
                                       "(20: deadlock); 2: threw on open";
}

INSTANTIATE_TEST_SUITE_P(AllBackends, ForkWait,
                         ::testing::Values(Backend::automatic, Backend::flock, Backend::ofd,
                                           Backend::posix, Backend::lockfile, Backend::lockdir),
                         locktest::BackendName());

}  // namespace
