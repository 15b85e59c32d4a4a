// fl_wait_fd / fl_lock_waited: the caller waits in its own blocking flock(2) (as the Go
// binding's goroutines do) and the library finishes the lock. POSIX only.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <string>

#include "filelock.h"
#include "support.hpp"

namespace {

struct Handle {
  fl_handle *h = nullptr;
  ~Handle() { fl_close(h); }
};

void open_with(Handle &out, const std::string &path, int backend, const char *owner = nullptr) {
  fl_lock_options o;
  fl_lock_options_init(&o);
  o.backend = backend;
  o.owner = owner;
  ASSERT_EQ(fl_open(&out.h, path.c_str(), &o), FL_OK) << fl_last_error();
}

// flock(fd, LOCK_EX) in a thread of its own, as a goroutine would block in it.
std::future<int> block_in_flock(int fd) {
  return std::async(std::launch::async, [fd] {
    int rc;
    while ((rc = flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
    }
    return rc == 0 ? 0 : errno;
  });
}

bool still_blocked(std::future<int> &f) {
  return f.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout;
}

std::string query(const std::string &path) {
  char *json = nullptr;
  EXPECT_EQ(fl_query(path.c_str(), nullptr, &json), FL_OK) << fl_last_error();
  std::string q(json == nullptr ? "" : json);
  fl_free(json);
  return q;
}

class WaitFd : public ::testing::TestWithParam<int> {};

TEST_P(WaitFd, WaiterBlockedInItsOwnFlockGetsTheLockWithTheHolderRecord) {
  fltest::TempDir dir;
  const std::string path = dir.file("data");
  Handle holder, waiter, other;
  open_with(holder, path, GetParam());
  open_with(waiter, path, GetParam(), "waited");
  open_with(other, path, GetParam());
  ASSERT_EQ(fl_lock(holder.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  EXPECT_EQ(fl_wait_fd(holder.h), -1) << "a handle that holds has nothing to wait for";
  ASSERT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, FL_NOWAIT), FL_EBUSY);
  const int fd = fl_wait_fd(waiter.h);
  ASSERT_GE(fd, 0);
  std::future<int> waited = block_in_flock(fd);
  ASSERT_TRUE(still_blocked(waited)) << "another handle of this process holds it";
  ASSERT_EQ(fl_unlock(holder.h), FL_OK);
  ASSERT_EQ(waited.get(), 0);
  ASSERT_EQ(fl_lock_waited(waiter.h, FL_EXCLUSIVE, 0, 0), FL_OK) << fl_last_error();
  EXPECT_EQ(fl_is_locked(waiter.h), 1);
  EXPECT_NE(query(path).find("\"owner\":\"waited\""), std::string::npos) << query(path);
  // Held the backend's whole way (for OFD: its own lock too, not only the flock).
  EXPECT_EQ(fl_lock(other.h, FL_EXCLUSIVE, FL_NOWAIT), FL_EBUSY);
  EXPECT_EQ(fl_lock_waited(waiter.h, FL_EXCLUSIVE, 0, 0), FL_EALREADY);
  ASSERT_EQ(fl_unlock(waiter.h), FL_OK);
  EXPECT_EQ(fl_lock(other.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
}

// The lock file was removed (fl_clean_stale, by hand) while the caller waited: the flock
// it got protects nothing, so fl_lock_waited lets go, re-opens and says FL_EBUSY.
TEST_P(WaitFd, LockFileReplacedDuringTheWaitIsNotHeld) {
  fltest::TempDir dir;
  const std::string path = dir.file("data");
  Handle holder, waiter;
  open_with(holder, path, GetParam());
  open_with(waiter, path, GetParam());
  ASSERT_EQ(fl_lock(holder.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  ASSERT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, FL_NOWAIT), FL_EBUSY);
  std::future<int> waited = block_in_flock(fl_wait_fd(waiter.h));
  ASSERT_EQ(unlink(fl_lock_path(holder.h)), 0);
  ASSERT_EQ(fl_unlock(holder.h), FL_OK);
  ASSERT_EQ(waited.get(), 0);
  EXPECT_EQ(fl_lock_waited(waiter.h, FL_EXCLUSIVE, 0, 0), FL_EBUSY);
  EXPECT_NE(std::string(fl_last_error()).find("wait with fl_lock"), std::string::npos)
      << fl_last_error();
  EXPECT_EQ(fl_is_locked(waiter.h), 0);
  // The handle follows the path to its new file.
  ASSERT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK) << fl_last_error();
  EXPECT_EQ(fl_lock(holder.h, FL_EXCLUSIVE, FL_NOWAIT), FL_EBUSY);
}

INSTANTIATE_TEST_SUITE_P(Backends, WaitFd, ::testing::Values(FL_BACKEND_FLOCK, FL_BACKEND_OFD));

// OFD takes flock first, then its own lock: an OFD lock held by a program that takes no
// flock is still in the way once the flock is ours. fl_lock_waited then lets go of the
// flock and sends the caller to fl_lock.
TEST(WaitFdOfd, ForeignFcntlHolderSendsTheCallerToFlLock) {
  fltest::TempDir dir;
  const std::string path = dir.file("data");
  Handle waiter, flocker;
  open_with(waiter, path, FL_BACKEND_OFD);
  open_with(flocker, path, FL_BACKEND_FLOCK);
  const int foreign = open(fl_lock_path(waiter.h), O_RDWR | O_CLOEXEC);
  ASSERT_GE(foreign, 0);
  struct flock fl {};
  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  ASSERT_EQ(fcntl(foreign, F_OFD_SETLK, &fl), 0);
  ASSERT_EQ(fl_lock(waiter.h, FL_EXCLUSIVE, FL_NOWAIT), FL_EBUSY);
  std::future<int> waited = block_in_flock(fl_wait_fd(waiter.h));
  ASSERT_EQ(waited.get(), 0) << "no one holds flock";
  EXPECT_EQ(fl_lock_waited(waiter.h, FL_EXCLUSIVE, 0, 0), FL_EBUSY);
  EXPECT_EQ(fl_is_locked(waiter.h), 0);
  EXPECT_EQ(fl_lock(flocker.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK) << "the flock was let go";
  close(foreign);
}

TEST(WaitFdValue, MinusOneWhereNoFlockCanBeWaitedFor) {
  fltest::TempDir dir;
  EXPECT_EQ(fl_wait_fd(nullptr), -1);
  for (int backend : {FL_BACKEND_POSIX, FL_BACKEND_LOCKFILE, FL_BACKEND_LOCKDIR}) {
    Handle h;
    open_with(h, dir.file("x" + std::to_string(backend)), backend);
    EXPECT_EQ(fl_wait_fd(h.h), -1) << "backend " << backend;
    EXPECT_EQ(fl_lock_waited(h.h, FL_EXCLUSIVE, 0, 0), FL_EINVAL) << "backend " << backend;
  }
}

// The other endings, in fl_lock's words.
TEST(WaitFdValue, EndingsOtherThanTheLock) {
  fltest::TempDir dir;
  Handle h;
  open_with(h, dir.file("x"), FL_BACKEND_FLOCK);
  EXPECT_EQ(fl_lock_waited(h.h, FL_EXCLUSIVE, 250, FL_ETIMEOUT), FL_ETIMEOUT);
  EXPECT_NE(std::string(fl_last_error()).find("timed out after 250 ms"), std::string::npos)
      << fl_last_error();
  EXPECT_EQ(fl_lock_waited(h.h, FL_EXCLUSIVE, 0, ENOLCK), FL_EUNSUPPORTED) << fl_last_error();
  EXPECT_EQ(fl_lock_waited(h.h, FL_EXCLUSIVE, 0, -3), FL_EINVAL);
  EXPECT_EQ(fl_lock_waited(h.h, 7, 0, 0), FL_EINVAL);
  EXPECT_EQ(fl_lock_waited(nullptr, FL_EXCLUSIVE, 0, 0), FL_EINVAL);
  EXPECT_EQ(fl_is_locked(h.h), 0);
}

}  // namespace
