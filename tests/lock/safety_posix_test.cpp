// Opening safely, the POSIX-only cases: symlinks and FIFOs refused untouched; another
// user's lock file in a shared sticky directory; an unwritable directory (mode bits).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "lock_test_util.hpp"

using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;
using locktest::open_lock;
using locktest::open_status;
using locktest::slurp;
using locktest::status_of;

namespace {

TEST(Safety, SymlinkLockFileIsRefusedAndTargetUntouched) {
  fltest::TempDir dir;
  const std::string target = dir.file("precious");
  { std::ofstream(target) << "keep me"; }
  chmod(target.c_str(), 0600);
  ASSERT_EQ(symlink(target.c_str(), dir.file("x.lock").c_str()), 0);
  EXPECT_EQ(open_status(dir.file("x")), Status::permission);
  struct stat st;
  ASSERT_EQ(stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(slurp(target), "keep me");
}

TEST(Safety, DanglingSymlinkIsRefusedAndNothingCreated) {
  fltest::TempDir dir;
  ASSERT_EQ(symlink(dir.file("nowhere").c_str(), dir.file("x.lock").c_str()), 0);
  EXPECT_EQ(open_status(dir.file("x")), Status::permission);
  EXPECT_NE(access(dir.file("nowhere").c_str(), F_OK), 0);
}

TEST(Safety, FifoIsRefusedWithoutHanging) {
  fltest::TempDir dir;
  ASSERT_EQ(mkfifo(dir.file("x.lock").c_str(), 0644), 0);
  EXPECT_EQ(open_status(dir.file("x")), Status::invalid);
}

// Root bypasses file permissions, so the other user is played by a forked child that
// drops to "nobody"; skipped when the tests do not run as root.
TEST(Safety, OtherUsersLockFileInStickyDirIsLockableReadOnly) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to act as two users";
  struct passwd *nobody = getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no 'nobody' user";
  fltest::TempDir dir;
  const std::string shared = dir.file("shared");
  ASSERT_EQ(mkdir(shared.c_str(), 0777), 0);
  ASSERT_EQ(chmod(shared.c_str(), 01777), 0);
  chmod(dir.path().c_str(), 0755);
  auto mine = open_lock(shared + "/x");  // root creates the 0644 lock file
  mine->lock(LockMode::exclusive, 0);
  pid_t pid = fork();
  if (pid == 0) {
    if (setgid(nobody->pw_gid) != 0 || setuid(nobody->pw_uid) != 0) _exit(10);
    try {
      auto theirs = open_lock(shared + "/x");
      if (status_of([&] { theirs->lock(LockMode::shared, 0); }) != Status::busy) _exit(11);
      mine.release();  // the inherited handle is the parent's; never touched here
      _exit(0);
    } catch (...) {
      _exit(12);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  mine->unlock();
  pid = fork();
  if (pid == 0) {
    if (setgid(nobody->pw_gid) != 0 || setuid(nobody->pw_uid) != 0) _exit(10);
    try {
      auto theirs = open_lock(shared + "/x");
      theirs->lock(LockMode::exclusive, 0);  // held through a read-only descriptor
      theirs->unlock();
      // OFD write locks need a writable descriptor: refused clearly, not an I/O error.
      LockOptions ofd;
      ofd.backend = filelock::Backend::ofd;
      auto via_ofd = open_lock(shared + "/x", ofd);
      if (status_of([&] { via_ofd->lock(LockMode::exclusive, 0); }) != Status::permission) _exit(14);
      _exit(0);
    } catch (...) {
      _exit(13);
    }
  }
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// 0 when opening a lock in `dir` (which the caller may not write) fails with the
// creation's EACCES, naming the operation and the lock file; else what it got instead.
int refused_creation_code(const std::string &dir) {
  try {
    open_lock(dir + "/x");
    return 20;
  } catch (const filelock::Error &e) {
    const std::string msg = e.what();
    if (e.status() != Status::permission) return 21;
    if (msg.find("create lock file '" + dir + "/x.lock'") == std::string::npos) return 22;
    if (msg.find("Permission denied (errno 13)") == std::string::npos) return 23;
  }
  struct stat st;
  return stat((dir + "/x.lock").c_str(), &st) == 0 ? 24 : 0;
}

// The fallbacks for another user's lock file (open without O_CREAT) then fail with
// ENOENT; the reason reported must stay the first one. Root bypasses permissions, so a
// forked child plays a user without write access.
TEST(Safety, UnwritableDirectoryReportsPermissionDeniedOnCreate) {
  fltest::TempDir dir;
  const std::string locked_dir = dir.file("ro");
  ASSERT_EQ(mkdir(locked_dir.c_str(), 0555), 0);
  ASSERT_EQ(chmod(locked_dir.c_str(), 0555), 0);
  if (geteuid() != 0) {
    EXPECT_EQ(refused_creation_code(locked_dir), 0);
    return;
  }
  struct passwd *nobody = getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no 'nobody' user";
  chmod(dir.path().c_str(), 0755);
  pid_t pid = fork();
  if (pid == 0) {
    if (setgid(nobody->pw_gid) != 0 || setuid(nobody->pw_uid) != 0) _exit(10);
    _exit(refused_creation_code(locked_dir));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
