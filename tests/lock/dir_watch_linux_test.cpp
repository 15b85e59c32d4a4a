// DirectoryWatch on Linux keeps an ended watch's inotify instance, its watches removed,
// for the process's next watch: closing an instance that had watches waits for an RCU
// grace period (up to tens of ms), which a LOCKFILE or LOCKDIR waiter paid between its
// wake-up and its return. The kept instance must carry nothing into the next watch, and
// a forked child, which inherits it, must not share it with its parent. And drain()
// names which watched name had events (a state's change wait then reads only what
// changed).
#ifdef __linux__
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>

#include "lock_test_util.hpp"
#include "platform/dir_watch.hpp"

using filelock::platform::DirectoryWatch;

namespace {

bool readable(int fd, int timeout_ms) {
  struct pollfd p = {fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1;
}

// Watches an inotify descriptor has, from /proc/self/fdinfo.
int watches_of(int fd) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.rfind("inotify wd:", 0) == 0;
  return n;
}

void touch_and_remove(const std::string &path) {
  std::ofstream(path).put('x');
  ASSERT_EQ(::unlink(path.c_str()), 0);
}

class DirWatchReuse : public ::testing::Test {
 protected:
  fltest::TempDir dir_;
  std::string a_ = dir_.path() + "/a", b_ = dir_.path() + "/b";
  void SetUp() override {
    ASSERT_EQ(::mkdir(a_.c_str(), 0755), 0);
    ASSERT_EQ(::mkdir(b_.c_str(), 0755), 0);
  }
};

TEST_F(DirWatchReuse, AnEndedWatchsInstanceStaysOpenWithoutWatchesAndServesTheNext) {
  int first;
  {
    DirectoryWatch w(a_, "x.lock");
    first = w.native();
    ASSERT_GE(first, 0);
    EXPECT_EQ(watches_of(first), 1);
  }
  ASSERT_NE(::fcntl(first, F_GETFD), -1) << "the instance was closed (a grace-period wait)";
  EXPECT_EQ(watches_of(first), 0);
  DirectoryWatch next(b_, "x.lock");
  EXPECT_EQ(next.native(), first);
  touch_and_remove(b_ + "/x.lock");
  ASSERT_TRUE(readable(next.native(), 2000));
  EXPECT_TRUE(next.drain());
}

TEST_F(DirWatchReuse, EventsQueuedForAnEndedWatchDoNotReachTheNext) {
  {
    DirectoryWatch w(a_, "x.lock");
    touch_and_remove(a_ + "/x.lock");
    ASSERT_TRUE(readable(w.native(), 2000));  // queued, never drained
  }
  DirectoryWatch next(b_, "x.lock");
  EXPECT_FALSE(readable(next.native(), 0));
  EXPECT_FALSE(next.drain());
  touch_and_remove(a_ + "/x.lock");  // the old directory is no longer watched
  EXPECT_FALSE(readable(next.native(), 100));
}

TEST_F(DirWatchReuse, AForkedChildNeverSharesTheKeptInstanceWithItsParent) {
  { DirectoryWatch kept(a_, "x.lock"); }  // the parent's instance, kept
  int ready[2], go[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(go), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    DirectoryWatch child(b_, "x.lock");  // must be an instance of its own
    char c = 1;
    if (::write(ready[1], &c, 1) != 1 || ::read(go[0], &c, 1) != 1) ::_exit(2);
    std::ofstream(b_ + "/x.lock").put('x');
    if (::unlink((b_ + "/x.lock").c_str()) != 0) ::_exit(3);
    ::_exit(readable(child.native(), 2000) && child.drain() ? 0 : 4);
  }
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  DirectoryWatch parent(a_, "x.lock");
  ASSERT_EQ(::write(go[1], &c, 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  // A shared instance would hold the child's watch too (never removed: _exit), and its
  // events (unless the child read them first).
  EXPECT_EQ(watches_of(parent.native()), 1) << "the child's watch is on the parent's instance";
  EXPECT_FALSE(readable(parent.native(), 0)) << "the child's watch reported into the parent's queue";
  for (int fd : {ready[0], ready[1], go[0], go[1]}) ::close(fd);
}

// A child that ends the watch it inherited (a handle's kept watch, dropped after fork)
// closes its copy only: the watch is the parent's, in the one instance they share.
TEST_F(DirWatchReuse, AForkedChildEndingAnInheritedWatchLeavesTheParentsWatching) {
  auto watch = std::make_unique<DirectoryWatch>(a_, "x.lock");
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    watch.reset();
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_EQ(watches_of(watch->native()), 1);
  touch_and_remove(a_ + "/x.lock");
  ASSERT_TRUE(readable(watch->native(), 2000));
  EXPECT_TRUE(watch->drain());
}

TEST_F(DirWatchReuse, DrainSaysWhichWatchedNameHadAnEvent) {
  const auto write_close = [](const std::string &path) { std::ofstream(path).put('x'); };
  const auto drained_after = [](DirectoryWatch &w) {
    EXPECT_TRUE(readable(w.native(), 2000));
    return w.drain();
  };
  DirectoryWatch w(a_, "doc.json", DirectoryWatch::Event::arrived);
  ASSERT_TRUE(w.also_arrivals(b_, "journal"));
  write_close(b_ + "/journal");
  EXPECT_EQ(drained_after(w), DirectoryWatch::kAlso);
  write_close(a_ + "/doc.json");
  EXPECT_EQ(drained_after(w), DirectoryWatch::kName);
  write_close(a_ + "/journal");   // the journal's name, in the document's directory
  write_close(b_ + "/doc.json");  // and the other way round
  EXPECT_EQ(drained_after(w), DirectoryWatch::kNone);
  // Both names in one directory, so one watch: each name still counts for itself.
  DirectoryWatch same(b_, "doc.json", DirectoryWatch::Event::arrived);
  ASSERT_TRUE(same.also_arrivals(b_, "journal"));
  write_close(b_ + "/journal");
  EXPECT_EQ(drained_after(same), DirectoryWatch::kAlso);
  write_close(b_ + "/journal");
  write_close(b_ + "/doc.json");
  EXPECT_EQ(drained_after(same), DirectoryWatch::kEither);
}

}  // namespace
#endif
