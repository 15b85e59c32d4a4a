// fl_query against lock files that are not regular files: symlinks and FIFOs (POSIX
// only here, since Windows cannot make a FIFO and Wine cannot make a symlink).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
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
        filelock::query_lock(dir.file(name), with_backend(b));
        ADD_FAILURE() << "query accepted " << name;
      } catch (const filelock::Error &e) {
        EXPECT_EQ(e.status(), Status::invalid);
        EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
      }
    }
  }
}

}  // namespace
