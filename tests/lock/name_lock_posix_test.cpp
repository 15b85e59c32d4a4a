// LOCKFILE and LOCKDIR backends after fork(): the child inherits the parent's handle
// but never its lock. POSIX only; instantiated with the rest in name_lock_test.cpp.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include "name_lock_fixture.hpp"

using filelock::LockMode;
using locktest::NameLocks;
using locktest::open_lock;

namespace {

TEST_P(NameLocks, ForkedChildNeverRemovesParentsLock) {
  auto a = open_lock(dir.file("x"), opts());
  a->lock(LockMode::exclusive, 0);
  pid_t pid = fork();
  if (pid == 0) {
    try {
      a->unlock();
      a.reset();
      _exit(0);
    } catch (...) {
      _exit(1);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(lock_exists());
  a->unlock();
  EXPECT_FALSE(lock_exists());
}

}  // namespace
