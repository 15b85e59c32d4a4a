// Options at their edges: a lock on the user's own file (no sidecar) and timeouts as
// large as int64_t allows.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "lock_test_util.hpp"
#include "platform/kernel_lock.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;
using locktest::open_lock;
using locktest::slurp;
using locktest::status_of;

namespace {

class NoSidecar : public ::testing::TestWithParam<Backend> {};

TEST_P(NoSidecar, ExclusiveLockLeavesTheFilesBytesAlone) {
  fltest::TempDir dir;
  const std::string file = dir.file("journal.jsonl");
  { std::ofstream(file) << "{\"event\":1}\n"; }
  LockOptions o;
  o.backend = GetParam();
  o.sidecar = false;
  o.owner = "job-7";  // record_holder stays on: the default
  auto lock = open_lock(file, o);
  lock->lock(LockMode::exclusive, filelock::kNoWait);
  EXPECT_EQ(slurp(file), "{\"event\":1}\n");
  lock->unlock();
  lock.reset();
  EXPECT_EQ(slurp(file), "{\"event\":1}\n");
}

INSTANTIATE_TEST_SUITE_P(Kernel, NoSidecar,
                         ::testing::Values(Backend::flock, Backend::ofd, Backend::posix),
                         locktest::BackendName());

class HugeTimeout : public ::testing::TestWithParam<Backend> {};

// A timeout near INT64_MAX (math.MaxInt64 in Go, TimeSpan.MaxValue in .NET) is a long
// wait, not an instant FL_ETIMEOUT from an overflowed deadline.
TEST_P(HugeTimeout, WaitsUntilReleased) {
  fltest::TempDir dir;
  const std::string path = dir.file("data");
  LockOptions o;
  o.backend = GetParam();
  o.retry_interval_ms = 10;
  auto holder = open_lock(path, o);
  auto waiter = open_lock(path, o);
  holder->lock(LockMode::exclusive, filelock::kNoWait);
  for (int64_t timeout : {std::numeric_limits<int64_t>::max(), int64_t{10'000'000'000'000}}) {
    std::atomic<int> outcome{-1};
    std::thread t([&] {
      outcome = static_cast<int>(status_of([&] { waiter->lock(LockMode::exclusive, timeout); }));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    EXPECT_EQ(outcome.load(), -1) << "timeout " << timeout << " ended the wait early";
    holder->unlock();
    t.join();
    EXPECT_EQ(outcome.load(), static_cast<int>(Status::ok));
    waiter->unlock();
    holder->lock(LockMode::exclusive, filelock::kNoWait);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, HugeTimeout,
                         ::testing::Values(Backend::flock, Backend::ofd, Backend::posix,
                                           Backend::lockfile, Backend::lockdir),
                         locktest::BackendName());

}  // namespace

namespace {

// WINDOWS names LockFileEx: the lock AUTO takes there, refused elsewhere with a pointer
// to AUTO.
TEST(WindowsBackend, OnlyWhereLockFileExIsTheLock) {
  fltest::TempDir dir;
  LockOptions o;
  o.backend = Backend::windows;
  if (filelock::platform::whole_file_lock_is_lockfileex()) {
    auto a = open_lock(dir.file("x"), o);
    auto b = open_lock(dir.file("x"), o);
    a->lock(LockMode::exclusive, filelock::kNoWait);
    EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, filelock::kNoWait); }), Status::busy);
  } else {
    try {
      open_lock(dir.file("x"), o);
      ADD_FAILURE() << "the WINDOWS backend opened";
    } catch (const filelock::Error &e) {
      EXPECT_EQ(e.status(), Status::unsupported);
      EXPECT_NE(std::string(e.what()).find("use AUTO"), std::string::npos) << e.what();
    }
  }
}

#ifdef _WIN32
// Windows names files in UTF-16: a path that is not valid UTF-8 cannot be converted, and
// is refused as invalid, naming it, rather than mangled into another file's name.
TEST(PathEncoding, InvalidUtf8IsInvalidNamingThePath) {
  fltest::TempDir dir;
  const std::string path = dir.file("bad\xff\xfename");
  for (const Backend backend : {Backend::windows, Backend::lockfile, Backend::lockdir}) {
    SCOPED_TRACE(static_cast<int>(backend));
    LockOptions options;
    options.backend = backend;
    try {
      open_lock(path, options)->lock(LockMode::exclusive, filelock::kNoWait);
      ADD_FAILURE() << "locked a path that is not valid UTF-8";
    } catch (const filelock::Error &e) {
      const std::string message = e.what();
      EXPECT_EQ(e.status(), Status::invalid) << message;
      EXPECT_NE(message.find("not valid UTF-8"), std::string::npos) << message;
      EXPECT_NE(message.find(dir.path()), std::string::npos) << message;
    }
  }
}
#endif

}  // namespace
