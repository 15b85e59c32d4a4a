// LOCKFILE and LOCKDIR backends where POSIX is needed to set up or observe: after
// fork() the child inherits the parent's handle but never its lock; a breaker with a
// stale verdict never renames the entry now at the name (seen by its ctime). The
// NameLocks tests are instantiated with the rest in name_lock_test.cpp.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "lock/holder_judge.hpp"
#include "lock/lock_entry.hpp"
#include "name_lock_fixture.hpp"
#include "pid_namespace_posix.hpp"

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

// A lock taken through a symlinked directory is released where it was taken, even once
// the symlink points elsewhere (unlock used to resolve the path again, find nothing of
// its own there, report the lock broken and leave the entry behind).
TEST_P(NameLocks, UnlockReleasesWhatLockTookAfterTheSymlinkedDirectoryMoves) {
  ASSERT_EQ(mkdir(dir.file("a").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(dir.file("b").c_str(), 0755), 0);
  ASSERT_EQ(symlink(dir.file("a").c_str(), dir.file("link").c_str()), 0);
  auto lock = open_lock(dir.file("link") + "/x", opts());
  lock->lock(LockMode::exclusive, 0);
  ASSERT_EQ(access(dir.file("a/x.lock").c_str(), F_OK), 0);
  // Retargeted in one step, as a deployment switching a "current" link does.
  ASSERT_EQ(symlink(dir.file("b").c_str(), dir.file("link2").c_str()), 0);
  ASSERT_EQ(rename(dir.file("link2").c_str(), dir.file("link").c_str()), 0);
  EXPECT_EQ(locktest::status_of([&] { lock->unlock(); }), filelock::Status::ok);
  EXPECT_NE(access(dir.file("a/x.lock").c_str(), F_OK), 0) << "the lock was left behind";
  EXPECT_NE(access(dir.file("b/x.lock").c_str(), F_OK), 0);
}

// Two machines may share a host name (NFS clients): a record with another machine id is
// another host's, never judged by this machine's processes, even with a dead pid here.
TEST_P(NameLocks, ARecordFromAnotherMachineWithTheSameHostNameIsAnotherHosts) {
  auto who = filelock::platform::self_identity();
  if (who.machine_id.empty()) GTEST_SKIP() << "no machine id can be read on this system";
  who.pid = 999999999;  // no such process here
  who.machine_id = who.machine_id == "0123456789abcdef0123456789abcdef"
                       ? "fedcba9876543210fedcba9876543210"
                       : "0123456789abcdef0123456789abcdef";
  plant(who, filelock::platform::wall_clock_ms());
  auto a = open_lock(dir.file("x"), opts());
  EXPECT_EQ(locktest::status_of([&] { a->lock(LockMode::exclusive, 0); }), filelock::Status::busy);
  const filelock::HolderJudgement j = filelock::judge_holder(
      locktest::slurp(is_dir() ? lock_path() + "/holder.json" : lock_path()), 0, 0);
  EXPECT_FALSE(j.stale);
  EXPECT_NE(j.reason.find("another machine"), std::string::npos) << j.reason;
  // Broken by age only, as another host's lock is.
  auto b = open_lock(dir.file("x"), [&] {
    auto o = opts();
    o.stale_after_ms = 1;
    return o;
  }());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(locktest::status_of([&] { b->lock(LockMode::exclusive, 0); }), filelock::Status::ok);
  b->unlock();
}

// A holder in another PID namespace on this machine (a container sharing the host's
// network, `unshare --pid`): its pid means another process here, so it is never judged
// dead. It used to be: pid 1 here is init, with another start time.
TEST_P(NameLocks, AHolderInAnotherPidNamespaceIsNeverBroken) {
#ifndef __linux__
  GTEST_SKIP() << "PID namespaces are Linux's";
#else
  const std::string go = dir.file("go");
  locktest::NamespacedHelper holder =
      locktest::spawn_in_pid_namespace("try_hold_until", {dir.file("x"), go, backend_arg()});
  if (holder.first_line.empty()) GTEST_SKIP() << locktest::no_namespace_reason(holder.wait());
  EXPECT_EQ(holder.first_line, "0\n") << "the holder in the namespace did not get the lock";
  auto a = open_lock(dir.file("x"), opts());
  EXPECT_EQ(locktest::status_of([&] { a->lock(LockMode::exclusive, 0); }), filelock::Status::busy)
      << "a live holder in another PID namespace was judged dead";
  const filelock::HolderJudgement j = filelock::judge_holder(
      locktest::slurp(is_dir() ? lock_path() + "/holder.json" : lock_path()), 0, 0);
  EXPECT_NE(j.reason.find("another PID namespace"), std::string::npos) << j.reason;
  std::ofstream(go) << "go";
  const int status = holder.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(lock_exists()) << "the holder's own unlock failed";
#endif
}

// Places a LOCKFILE or LOCKDIR entry whose record is `record`.
void place(const std::string &lock, bool directory, const std::string &record) {
  if (!directory) {
    ASSERT_TRUE(filelock::create_lock_file(lock, 0644, record));
    return;
  }
  ASSERT_EQ(mkdir(lock.c_str(), 0755), 0);
  std::ofstream(lock + "/" + filelock::kLockDirRecordName) << record;
}

struct timespec ctime_of(const std::string &path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
#ifdef __APPLE__
  return st.st_ctimespec;
#else
  return st.st_ctim;
#endif
}

// A breaker judged one holder's entry dead; before it acts, that entry is released and
// a new holder takes the name. Moving the new entry aside, even to put it back, would
// leave the name free for a third process, so it must not be moved at all: its ctime
// (which a rename changes) stays as it was.
TEST(NameLockBreak, AStaleVerdictNeverMovesTheEntryNowAtTheName) {
  for (const bool directory : {false, true}) {
    SCOPED_TRACE(directory ? "lockdir" : "lockfile");
    fltest::TempDir dir;
    const std::string lock = dir.file("x.lock");
    place(lock, directory, "{\"pid\":1,\"judged\":true}");
    filelock::platform::FileInfo judged;
    std::string judged_bytes;
    ASSERT_TRUE(filelock::read_lock_entry(lock, directory, judged, judged_bytes));
    filelock::remove_lock_entry(lock, directory);
    place(lock, directory, "{\"pid\":2,\"live\":true}");
    // Past the filesystem clock's tick, so a rename would show in the ctime.
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    const struct timespec before = ctime_of(lock);
    EXPECT_FALSE(filelock::break_lock_entry(lock, directory, judged, judged_bytes));
    const struct timespec after = ctime_of(lock);
    EXPECT_EQ(before.tv_sec, after.tv_sec);
    EXPECT_EQ(before.tv_nsec, after.tv_nsec);
    filelock::platform::FileInfo now;
    std::string bytes;
    ASSERT_TRUE(filelock::read_lock_entry(lock, directory, now, bytes));
    EXPECT_NE(bytes.find("\"live\""), std::string::npos) << bytes;
  }
}

}  // namespace
