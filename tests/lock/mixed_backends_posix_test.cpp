// Mixed backends after fork() (issue 14): a child's inherited handle never lets go of its
// parent's lock, whatever backend. The pairs and the hammer are in mixed_backends_test.cpp
// (their helper roles too).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "lock_test_util.hpp"

namespace {

using filelock::Backend;
using filelock::LockMode;
using filelock::Status;

const Backend kAll[] = {Backend::flock, Backend::ofd, Backend::posix, Backend::lockfile,
                        Backend::lockdir};

// After fork() the child's inherited handle shares the parent's open lock file, and with
// it the flock an OFD/POSIX/LOCKFILE/LOCKDIR holder keeps: the child trying again,
// unlocking and closing must leave it held for a FLOCK-backend process too.
class MixedFork : public testing::TestWithParam<Backend> {};

TEST_P(MixedFork, ChildOfAHolderLeavesItsFlockHeld) {
  fltest::TempDir dir;
  auto lock = locktest::open_lock(dir.file("x"), locktest::with_backend(GetParam()));
  lock->lock(LockMode::exclusive, 0);
  const pid_t pid = fork();
  if (pid == 0) {
    int rc = 0;
    try {
      if (locktest::status_of([&] { lock->lock(LockMode::exclusive, 0); }) != Status::already)
        rc = 2;
      lock->unlock();  // forgets the parent's lock
      if (locktest::status_of([&] { lock->lock(LockMode::exclusive, 0); }) != Status::busy) rc = 3;
      lock.reset();
    } catch (...) {
      rc = 1;
    }
    _exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  for (Backend other : kAll) {
    auto t = fltest::spawn_helper("mx_try", {dir.file("x"), std::to_string(static_cast<int>(other))});
    const std::string line = fltest::read_line(t);
    fltest::wait_exit(t);
    EXPECT_EQ(std::stoi(line), static_cast<int>(Status::busy)) << locktest::backend_label(other) << ": " << line;
  }
  lock->unlock();
}

INSTANTIATE_TEST_SUITE_P(HolderBackends, MixedFork, testing::ValuesIn(kAll),
                         locktest::BackendName());

}  // namespace
