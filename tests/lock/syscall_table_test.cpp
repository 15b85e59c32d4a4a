// The platform's system-call table (platform/syscalls.hpp) on every system, Windows
// included (the POSIX suites that count the C library's own calls are
// lock_syscalls_posix_test.cpp and tests/state/syscall_table_posix_test.cpp): a failed
// entry comes back from the platform as an OsError value, never an exception, and core/io
// turns it into an Error naming the operation, the path and the reason.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "common/error.hpp"
#include "io/os_objects.hpp"
#include "lock/lock.hpp"
#include "platform/paths.hpp"
#include "platform/syscalls.hpp"
#include "platform/wakeup.hpp"
#include "state/state.hpp"
#include "support.hpp"

namespace filelock {
namespace {

using platform::Syscall;
namespace syscalls = platform::syscalls;

// Clears the table however a test ends.
struct Failing {
  Failing(Syscall call, int nth, int err, bool persistent = false) {
    syscalls::fail(call, nth, err, persistent);
  }
  ~Failing() { syscalls::clear(); }
};

Status status_of(void (*fn)(const std::string &), const std::string &arg, std::string &msg) {
  try {
    fn(arg);
    return Status::ok;
  } catch (const Error &e) {
    msg = e.what();
    return e.status();
  }
}

std::string errno_text(int err) { return "errno " + std::to_string(err); }

LockOptions backend(Backend b) {
  LockOptions o;
  o.backend = b;
  return o;
}

TEST(SyscallTable, AbsolutePathReportsAFailedResolutionAsAValue) {
  fltest::TempDir dir;
  const std::string path = dir.file("data");
  std::string resolved;
  ASSERT_FALSE(platform::absolute_path(path, resolved));
  EXPECT_EQ(platform::base_name(resolved), "data");

  // realpath, or GetFinalPathNameByHandleW on Windows.
  {
    Failing f(Syscall::realpath, 1, EACCES);
    std::string out = "untouched";
    const platform::OsError e = platform::absolute_path(path, out);
    EXPECT_EQ(e.err, EACCES);
    EXPECT_EQ(out, "untouched");
  }
  // io names the operation and the directory.
  {
    Failing f(Syscall::realpath, 1, EACCES);
    std::string msg;
    const Status s = status_of([](const std::string &p) { io::absolute_path(p); }, path, msg);
    EXPECT_EQ(s, Status::permission) << msg;
    EXPECT_NE(msg.find("resolve directory '" + dir.path() + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(errno_text(EACCES)), std::string::npos) << msg;
  }
  EXPECT_EQ(io::absolute_path(path), resolved);  // the table cleared: resolves again
}

#ifdef _WIN32
// Windows resolves a directory by opening it (CreateFileW) first: that call is the
// table's open entry.
TEST(SyscallTable, AbsolutePathsOpenOfTheDirectoryCanFail) {
  fltest::TempDir dir;
  Failing f(Syscall::open, 1, EIO);
  std::string out;
  EXPECT_EQ(platform::absolute_path(dir.file("data"), out).err, EIO);
}

// A path that is not UTF-8 cannot be widened for the W functions: an EINVAL-style error.
TEST(SyscallTable, AbsolutePathOfANonUtf8DirectoryIsInvalid) {
  const std::string path = "C:\\bad\xff\xfe\\data";
  std::string out;
  EXPECT_EQ(platform::absolute_path(path, out).err, platform::kInvalidPathEncoding);
  try {
    io::absolute_path(path);
    ADD_FAILURE() << "resolved";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), Status::invalid) << e.what();
    EXPECT_EQ(e.os_error(), EINVAL) << e.what();
    EXPECT_NE(std::string(e.what()).find("resolve directory"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not valid UTF-8"), std::string::npos) << e.what();
  }
}
#endif

TEST(SyscallTable, AWakeUpThatCannotBeMadeSaysSoAndNeverBlocks) {
  Failing f(Syscall::wakeup, 1, EMFILE);
  platform::Wakeup w;
  EXPECT_EQ(w.error().err, EMFILE);
  w.signal();  // harmless
  w.drain();
  // Its waits return at once: nothing could ever wake them.
  EXPECT_FALSE(w.wait_until(true, {}));
  platform::Wakeup next;  // the table failed only the first
  EXPECT_FALSE(next.error());
}

TEST(SyscallTable, AFailedLockFileOpenNamesTheOperationAndPath) {
  fltest::TempDir dir;
  const std::string path = dir.file("data");
  std::string msg;
  Status s;
  {
    Failing f(Syscall::open, 1, EACCES, true);
    try {
      Lock::open(path, backend(Backend::flock))->lock(LockMode::exclusive, kNoWait);
      s = Status::ok;
    } catch (const Error &e) {
      s = e.status();
      msg = e.what();
    }
  }
  EXPECT_EQ(s, Status::permission) << msg;
  EXPECT_NE(msg.find(dir.path()), std::string::npos) << msg;
  EXPECT_NE(msg.find(errno_text(EACCES)), std::string::npos) << msg;
  // Nothing was left held: the lock is free.
  auto lock = Lock::open(path, backend(Backend::flock));
  EXPECT_NO_THROW(lock->lock(LockMode::exclusive, kNoWait));
}

// A wait for a lock another handle holds sleeps on a wake-up; when none can be made the
// wait fails cleanly (at once, not at its timeout) and holds nothing.
TEST(SyscallTable, AWaitWhoseWakeUpCannotBeMadeFailsCleanly) {
  fltest::TempDir dir;
  const std::string path = dir.file("data");
  auto holder = Lock::open(path, backend(Backend::flock));
  holder->lock(LockMode::exclusive, kNoWait);
  auto waiter = Lock::open(path, backend(Backend::flock));
  std::string msg;
  Status s;
  {
    Failing f(Syscall::wakeup, 1, EMFILE, true);
    try {
      waiter->lock(LockMode::exclusive, 5000);
      s = Status::ok;
    } catch (const Error &e) {
      s = e.status();
      msg = e.what();
    }
  }
  EXPECT_NE(s, Status::ok);
  EXPECT_NE(s, Status::timeout) << msg;  // failed at once, not after waiting it out
  const std::string at = " '" + waiter->lock_path() + "'";
#ifdef _WIN32
  // There the lock call's own event (for its overlapped LockFileEx) is made through the
  // same entry, and may be the one that failed.
  EXPECT_TRUE(msg.find("create wake-up event" + at) != std::string::npos ||
              msg.find("lock (create event)" + at) != std::string::npos)
      << msg;
#else
  EXPECT_NE(msg.find("create wake-up event" + at), std::string::npos) << msg;
#endif
  EXPECT_NE(msg.find(errno_text(EMFILE)), std::string::npos) << msg;
  EXPECT_FALSE(waiter->locked());
  holder->unlock();
  EXPECT_NO_THROW(waiter->lock(LockMode::exclusive, 5000));  // the next wait makes one
}

// A state's wait for a change sleeps on a wake-up too: the same clean failure, naming
// the state's path.
TEST(SyscallTable, AStateChangeWaitWhoseWakeUpCannotBeMadeFailsCleanly) {
  fltest::TempDir dir;
  const std::string path = dir.file("doc.json");
  state::State st(path, state::StateOptions{});
  const uint64_t seen = st.read().generation;
  std::string msg;
  Status s;
  {
    Failing f(Syscall::wakeup, 1, EMFILE);
    try {
      st.wait_for_change(seen, 5000);
      s = Status::ok;
    } catch (const Error &e) {
      s = e.status();
      msg = e.what();
    }
  }
  EXPECT_EQ(s, Status::io) << msg;
  EXPECT_NE(msg.find("create wake-up event '"), std::string::npos) << msg;
  EXPECT_NE(msg.find("doc.json'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(errno_text(EMFILE)), std::string::npos) << msg;
  // The next wait makes its wake-up and waits out its timeout.
  try {
    st.wait_for_change(seen, 20);
    ADD_FAILURE() << "changed";
  } catch (const Error &e) {
    EXPECT_EQ(e.status(), Status::timeout) << e.what();
  }
}

}  // namespace
}  // namespace filelock
