// Every lock family's refusals and wait endings, word for word: lock() is one sequence
// shared by the families (core/lock/wait_loop.hpp), each saying what holds the lock in
// its own terms. POSIX-only: the messages name the POSIX backends.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::Status;
using locktest::open_lock;

namespace {

struct Failure {
  Status status = Status::ok;
  std::string message;
};

template <typename Fn>
Failure failure_of(Fn &&fn) {
  try {
    fn();
  } catch (const filelock::Error &e) {
    return {e.status(), e.what()};
  }
  return {};
}

// What each family says about a holder in this process, and about one elsewhere.
struct Wording {
  std::string busy_here, busy_elsewhere, still_held_here;
};

Wording wording(Backend backend, long holder_pid) {
  switch (backend) {
    case Backend::posix:
      return {"held by another handle of this process",
              "held by another process (Resource temporarily unavailable)",
              "the lock is still held"};
    case Backend::lockfile:
    case Backend::lockdir: {
      const bool dir = backend == Backend::lockdir;
      return {"held by, or being taken through, another handle of this process",
              std::string("held by another process or handle through the ") +
                  (dir ? "LOCKDIR" : "LOCKFILE") + " backend (lock " +
                  (dir ? "directory" : "file") + " exists, pid " + std::to_string(holder_pid) + ")",
              "the lock is still held (by, or waited for through, another handle of this "
              "process)"};
    }
    default:
      return {"held by another process or handle (Resource temporarily unavailable)",
              "held by another process or handle (Resource temporarily unavailable)",
              "the lock is still held"};
  }
}

class WaitMessages : public testing::TestWithParam<Backend> {
 protected:
  filelock::LockOptions opts() const { return locktest::with_backend(GetParam()); }
  std::string backend_arg() const { return std::to_string(static_cast<int>(GetParam())); }
  fltest::TempDir dir;
};

TEST_P(WaitMessages, HolderInThisProcess) {
  auto a = open_lock(dir.file("x"), opts());
  auto b = open_lock(dir.file("x"), opts());
  const std::string at = "lock '" + b->lock_path() + "': ";
  const Wording w = wording(GetParam(), 0);
  a->lock(LockMode::exclusive, filelock::kNoWait);

  Failure f = failure_of([&] { a->lock(LockMode::exclusive, filelock::kNoWait); });
  EXPECT_EQ(f.status, Status::already);
  EXPECT_EQ(f.message, at + "this handle already holds the lock");

  f = failure_of([&] { b->lock(LockMode::exclusive, filelock::kNoWait); });
  EXPECT_EQ(f.status, Status::busy);
  EXPECT_EQ(f.message, at + w.busy_here);

  f = failure_of([&] { b->lock(LockMode::exclusive, 30); });
  EXPECT_EQ(f.status, Status::timeout);
  EXPECT_EQ(f.message, at + "timed out after 30 ms; " + w.still_held_here);

  b->cancel();
  f = failure_of([&] { b->lock(LockMode::exclusive, 30); });
  EXPECT_EQ(f.status, Status::canceled);
  EXPECT_EQ(f.message, at + "canceled (a cancel request came before the wait began)");

  std::thread waiter([&] { f = failure_of([&] { b->lock(LockMode::exclusive, 60000); }); });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  b->cancel();
  waiter.join();
  EXPECT_EQ(f.status, Status::canceled);
  // Canceled in the wait, or before it began on a slow machine: either wording, exactly.
  if (f.message != at + "wait canceled") {
    EXPECT_EQ(f.message, at + "canceled (a cancel request came before the wait began)");
  }

  a->unlock();
  EXPECT_EQ(failure_of([&] { b->lock(LockMode::exclusive, 30); }).status, Status::ok);
}

TEST_P(WaitMessages, HolderInAnotherProcess) {
  auto p = fltest::spawn_helper("hold", {dir.file("x"), "exclusive", "60000", backend_arg()});
  ASSERT_EQ(fltest::read_line(p), "locked");
  auto b = open_lock(dir.file("x"), opts());
  const std::string at = "lock '" + b->lock_path() + "': ";
  const Wording w = wording(GetParam(), p.pid);

  Failure f = failure_of([&] { b->lock(LockMode::exclusive, filelock::kNoWait); });
  EXPECT_EQ(f.status, Status::busy);
  EXPECT_EQ(f.message, at + w.busy_elsewhere);

  f = failure_of([&] { b->lock(LockMode::exclusive, 30); });
  EXPECT_EQ(f.status, Status::timeout);
  EXPECT_EQ(f.message, at + "timed out after 30 ms; the lock is still held");

  fltest::kill_hard(p);
  fltest::wait_exit(p);
}

INSTANTIATE_TEST_SUITE_P(Families, WaitMessages,
                         testing::Values(Backend::flock, Backend::ofd, Backend::posix,
                                         Backend::lockfile, Backend::lockdir),
                         [](const testing::TestParamInfo<Backend> &info) {
                           return std::to_string(static_cast<int>(info.param));
                         });

}  // namespace
