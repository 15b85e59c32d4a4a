// fl_lock_fd: a child process that inherits the descriptor keeps the lock after its
// parent dies, as a command run by flock(1) does. POSIX only: it forks and execs.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "filelock.h"
#include "support.hpp"

namespace {

fl_lock_options options_for(const std::string &backend) {
  fl_lock_options o;
  fl_lock_options_init(&o);
  o.backend = backend == "ofd" ? FL_BACKEND_OFD : FL_BACKEND_FLOCK;
  return o;
}

// Locks PATH, starts `sleep 30` with the lock's descriptor inherited, prints the
// child's pid, then waits to be killed.
FLTEST_HELPER("lock_then_spawn") {
  const fl_lock_options o = options_for(args.at(1));
  fl_handle *h = nullptr;
  if (fl_open(&h, args.at(0).c_str(), &o) != FL_OK) return 2;
  if (fl_lock(h, FL_EXCLUSIVE, FL_NOWAIT) != FL_OK) return 3;
  const int fd = fl_lock_fd(h);
  if (fd < 0) return 4;
  const pid_t child = fork();
  if (child == 0) {
    fcntl(fd, F_SETFD, 0);
    execl("/bin/sleep", "sleep", "30", static_cast<char *>(nullptr));
    _exit(127);
  }
  printf("%ld\n", static_cast<long>(child));
  fflush(stdout);
  pause();
  return 0;
}

class LockFd : public ::testing::TestWithParam<std::string> {};

TEST_P(LockFd, ChildThatInheritsItKeepsTheLockAfterTheParentDies) {
  fltest::TempDir dir;
  const std::string path = dir.file("job");
  fltest::Process parent = fltest::spawn_helper("lock_then_spawn", {path, GetParam()});
  const long child = std::stol(fltest::read_line(parent));
  fltest::kill_hard(parent);
  fltest::wait_exit(parent);

  const fl_lock_options o = options_for(GetParam());
  fl_handle *h = nullptr;
  ASSERT_EQ(fl_open(&h, path.c_str(), &o), FL_OK);
  EXPECT_EQ(fl_lock(h, FL_EXCLUSIVE, FL_NOWAIT), FL_EBUSY) << "the child's descriptor holds it";
  kill(static_cast<pid_t>(child), SIGKILL);
  EXPECT_EQ(fl_lock(h, FL_EXCLUSIVE, 5000), FL_OK) << fl_last_error();
  fl_close(h);
}

INSTANTIATE_TEST_SUITE_P(Backends, LockFd, ::testing::Values("flock", "ofd"));

TEST(LockFdValue, MinusOneUnlessHeldByAnInheritableLock) {
  fltest::TempDir dir;
  EXPECT_EQ(fl_lock_fd(nullptr), -1);
  for (int backend : {FL_BACKEND_FLOCK, FL_BACKEND_POSIX, FL_BACKEND_LOCKFILE}) {
    fl_lock_options o;
    fl_lock_options_init(&o);
    o.backend = backend;
    fl_handle *h = nullptr;
    ASSERT_EQ(fl_open(&h, dir.file("x" + std::to_string(backend)).c_str(), &o), FL_OK);
    EXPECT_EQ(fl_lock_fd(h), -1) << "backend " << backend << ": nothing held yet";
    ASSERT_EQ(fl_lock(h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
    if (backend == FL_BACKEND_FLOCK) {
      EXPECT_GE(fl_lock_fd(h), 0);
    } else {
      EXPECT_EQ(fl_lock_fd(h), -1) << "backend " << backend << " cannot pass its lock on";
    }
    fl_close(h);
  }
}

}  // namespace
