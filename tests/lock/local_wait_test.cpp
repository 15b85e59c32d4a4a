// A wait for a lock that another handle of this process holds is woken by that handle's
// unlock itself (InodeEntry::released): no waiter thread, one wake-up. The kernel wait
// stays for holders elsewhere, and for a local holder that is gone without unlocking.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "lock_test_util.hpp"
#include "platform/threads.hpp"

using filelock::LockMode;
using filelock::Status;
using locktest::open_lock;
using locktest::status_of;

namespace {

using namespace std::chrono_literals;

class LocalWait : public testing::TestWithParam<filelock::Backend> {
 protected:
  filelock::LockOptions options() const { return locktest::with_backend(GetParam()); }
};

TEST_P(LocalWait, StartsNoWaiterThreadAndWakesOnUnlock) {
  const int base = filelock::platform::thread_count();
  if (base < 0) GTEST_SKIP() << "no thread count on this system";
  fltest::TempDir dir;
  auto holder = open_lock(dir.file("x"), options());
  auto waiter = open_lock(dir.file("x"), options());
  holder->lock(LockMode::exclusive, 0);
  Status got = Status::io;
  std::thread t([&] { got = status_of([&] { waiter->lock(LockMode::exclusive, filelock::kForever); }); });
  std::this_thread::sleep_for(100ms);  // well into its wait
  // The waiting thread itself and nothing more: a kernel wait would add a waiter thread.
  EXPECT_EQ(filelock::platform::thread_count(), base + 1);
  EXPECT_EQ(got, Status::io) << "it must still wait";
  holder->unlock();
  t.join();
  EXPECT_EQ(got, Status::ok);
  EXPECT_EQ(status_of([&] { holder->lock(LockMode::shared, 0); }), Status::busy);
}

// Shared holders here: an exclusive waiter wakes at each unlock and gets it at the last.
TEST_P(LocalWait, ExclusiveWaiterGetsItWhenTheLastSharedHolderLeaves) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"), options());
  auto b = open_lock(dir.file("x"), options());
  auto w = open_lock(dir.file("x"), options());
  a->lock(LockMode::shared, 0);
  b->lock(LockMode::shared, 0);
  Status got = Status::io;
  std::thread t([&] { got = status_of([&] { w->lock(LockMode::exclusive, 10000); }); });
  std::this_thread::sleep_for(50ms);
  a->unlock();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(got, Status::io) << "b still holds it shared";
  b.reset();  // closing the handle releases it, and wakes the waiter as an unlock does
  t.join();
  EXPECT_EQ(got, Status::ok);
}

// The local holder lets go while another process still holds the lock shared: the
// waiter goes on waiting, in the kernel, and gets it when that process releases.
TEST_P(LocalWait, FallsBackToTheKernelWhenTheHolderIsElsewhere) {
  fltest::TempDir dir;
  auto local = open_lock(dir.file("x"), options());
  auto waiter = open_lock(dir.file("x"), options());
  local->lock(LockMode::shared, 0);
  auto other = fltest::spawn_helper(
      "hold", {dir.file("x"), "shared", "400", std::to_string(static_cast<int>(GetParam()))});
  ASSERT_EQ(fltest::read_line(other), "locked");
  std::atomic<int64_t> locked_at{0};
  Status got = Status::io;
  std::thread t([&] {
    got = status_of([&] { waiter->lock(LockMode::exclusive, 20000); });
    locked_at = locktest::mono_ns();
  });
  std::this_thread::sleep_for(50ms);
  local->unlock();
  const std::string released = fltest::read_line(other);
  ASSERT_EQ(released.rfind("releasing ", 0), 0u) << released;
  t.join();
  EXPECT_EQ(got, Status::ok);
  EXPECT_GT(locked_at.load(), std::stoll(released.substr(10)));
  EXPECT_EQ(fltest::wait_exit(other), 0);
}

TEST_P(LocalWait, TimeoutAndCancelEndTheWait) {
  fltest::TempDir dir;
  auto holder = open_lock(dir.file("x"), options());
  auto waiter = open_lock(dir.file("x"), options());
  holder->lock(LockMode::exclusive, 0);
  const int64_t start = locktest::mono_ns();
  EXPECT_EQ(status_of([&] { waiter->lock(LockMode::exclusive, 50); }), Status::timeout);
  EXPECT_LT(locktest::elapsed_ms_since(start), 50 + locktest::kSchedulingSlackMs);
  Status got = Status::ok;
  std::thread t([&] { got = status_of([&] { waiter->lock(LockMode::exclusive, filelock::kForever); }); });
  std::this_thread::sleep_for(50ms);
  waiter->cancel();
  t.join();
  EXPECT_EQ(got, Status::canceled);
  holder->unlock();
  EXPECT_EQ(status_of([&] { waiter->lock(LockMode::exclusive, 0); }), Status::ok);
}

INSTANTIATE_TEST_SUITE_P(KernelBackends, LocalWait,
                         testing::Values(filelock::Backend::flock, filelock::Backend::ofd),
                         locktest::BackendName());

}  // namespace
