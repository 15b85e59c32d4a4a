// fl_query against lock files that are not regular files: symlinks and FIFOs (POSIX
// only here, since Windows cannot make a FIFO and Wine cannot make a symlink).
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>
#include <string>

#include "lock/lock_inspect.hpp"
#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;
using locktest::open_lock;
using locktest::status_of;

namespace {

using locktest::with_backend;

// fl_open refuses a symlink or FIFO as lock file; fl_query says so too instead of
// reporting a free lock.
TEST(Inspect, QueryOfSymlinkOrFifoIsRefused) {
  fltest::TempDir dir;
  { std::ofstream(dir.file("target")) << ""; }
  ASSERT_EQ(symlink(dir.file("target").c_str(), dir.file("s.lock").c_str()), 0);
  ASSERT_EQ(mkfifo(dir.file("f.lock").c_str(), 0644), 0);
  for (const char *name : {"s", "f"}) {
    for (Backend b : {Backend::automatic, Backend::lockfile}) {
      EXPECT_NE(status_of([&] { open_lock(dir.file(name), with_backend(b))->lock(LockMode::exclusive, 0); }),
                Status::ok);
      try {
        locktest::query_json(dir.file(name), with_backend(b));
        ADD_FAILURE() << "query accepted " << name;
      } catch (const filelock::Error &e) {
        EXPECT_EQ(e.status(), Status::invalid);
        EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
      }
    }
  }
}

// The pid of a child that has exited and been reaped: no process has it now.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

// Default options (AUTO) find a legacy lock at the lock name, file or directory: held
// while its pid names a process (this one), stale once it names none.
TEST(Inspect, AutoQueryJudgesLegacyLocks) {
  fltest::TempDir dir;
  const pid_t gone = dead_pid();
  struct Case {
    const char *name;
    pid_t pid;
    bool directory;
    const char *format;
  } cases[] = {{"live-file", ::getpid(), false, "bare-pid"},
               {"dead-file", gone, false, "bare-pid"},
               {"live-dir", ::getpid(), true, "pid-directory"},
               {"dead-dir", gone, true, "pid-directory"}};
  for (const Case &c : cases) {
    const std::string lock = dir.file(c.name) + ".lock";
    if (c.directory) {
      ASSERT_EQ(::mkdir(lock.c_str(), 0755), 0);
      std::ofstream(lock + "/pid") << c.pid;
    } else {
      std::ofstream(lock) << c.pid << "\n";
    }
    locktest::Json q(locktest::query_json(dir.file(c.name), {}));
    const bool live = c.pid == ::getpid();
    EXPECT_STREQ(cJSON_GetStringValue(q.get("backend")), "legacy") << q.text;
    EXPECT_STREQ(cJSON_GetStringValue(q.get("format")), c.format) << q.text;
    EXPECT_TRUE(cJSON_IsTrue(q.get("locked"))) << q.text;
    EXPECT_EQ(cJSON_GetNumberValue(cJSON_GetObjectItem(q.get("holder"), "pid")), c.pid) << q.text;
    EXPECT_EQ(cJSON_IsTrue(q.get("alive")), live) << q.text;
    EXPECT_EQ(cJSON_IsTrue(q.get("stale")), !live) << q.text;
  }
}

// A kernel backend takes a dead pid's legacy file over; without a holder record its
// content stays, but the kernel lock held on it is what the query reports.
TEST(Inspect, AutoQueryReportsTheKernelHolderOfATakenOverLegacyFile) {
  fltest::TempDir dir;
  std::ofstream(dir.file("x.lock")) << dead_pid() << "\n";
  LockOptions no_record;
  no_record.record_holder = false;
  auto held = open_lock(dir.file("x"), no_record);
  held->lock(LockMode::exclusive, 0);
  locktest::Json q(locktest::query_json(dir.file("x"), {}));
  EXPECT_STREQ(cJSON_GetStringValue(q.get("backend")), "flock") << q.text;
  EXPECT_TRUE(cJSON_IsTrue(q.get("locked"))) << q.text;
  EXPECT_TRUE(cJSON_IsFalse(q.get("stale"))) << q.text;
  held->unlock();
  locktest::Json free(locktest::query_json(dir.file("x"), {}));
  EXPECT_STREQ(cJSON_GetStringValue(free.get("backend")), "legacy") << free.text;
  EXPECT_TRUE(cJSON_IsTrue(free.get("stale"))) << free.text;
}

#ifdef __linux__
// /proc/locks is built a page per read(): with many locks on the system and others being
// taken and released meanwhile, one pass can list a line twice. A query must never show
// one exclusive holder as two. (A pass can also miss a line; merged passes make that
// rarer, not impossible: see proc_locks.cpp.)
TEST(Inspect, QueryNeverListsOneHolderTwiceWhileOtherLocksChurn) {
  fltest::TempDir dir;
  std::vector<int> fds;
  for (int i = 0; i < 300; ++i) {  // ~18 KiB of /proc/locks: several pages
    const int fd = ::open(dir.file("many" + std::to_string(i)).c_str(),
                          O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_SH), 0);
    fds.push_back(fd);
  }
  auto p = fltest::spawn_helper("hold", {dir.file("x"), "exclusive", "60000",
                                         std::to_string(static_cast<int>(Backend::ofd))});
  ASSERT_EQ(fltest::read_line(p), "locked");
  std::atomic<bool> stop{false};
  std::thread churn([&] {
    std::vector<int> mine;
    for (int i = 0; i < 40; ++i)
      mine.push_back(::open(dir.file("churn" + std::to_string(i)).c_str(),
                            O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    while (!stop.load()) {
      for (int fd : mine) ::flock(fd, LOCK_EX);
      for (int fd : mine) ::flock(fd, LOCK_UN);
    }
    for (int fd : mine) ::close(fd);
  });
  int wrong = 0;
  std::string example;
  for (int i = 0; i < 300; ++i) {
    locktest::Json q(locktest::query_json(dir.file("x"), with_backend(Backend::ofd)));
    if (cJSON_GetArraySize(q.get("holders")) > 1) {
      ++wrong;
      example = q.text;
    }
  }
  stop = true;
  churn.join();
  fltest::kill_hard(p);
  fltest::wait_exit(p);
  for (int fd : fds) ::close(fd);
  EXPECT_EQ(wrong, 0) << example;
}
#endif

}  // namespace
