// A wait for a lock that another handle of this process holds is woken by that handle's
// unlock itself (InodeEntry::released): no waiter thread, one wake-up. The kernel wait
// stays for holders elsewhere, and for a local holder that is gone without unlocking.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "lock_test_util.hpp"
#include "platform/syscalls.hpp"
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

// An unlock wakes one local waiter, as the kernel wakes one of its flock waiters: the
// others sleep on instead of each making a try that fails (with 200 threads in a pool,
// 199 failed tries and signals a release).
TEST_P(LocalWait, AnUnlockWakesOneWaiterNotAll) {
  fltest::TempDir dir;
  auto holder = open_lock(dir.file("x"), options());
  holder->lock(LockMode::exclusive, 0);
  constexpr int kWaiters = 6;
  std::vector<std::unique_ptr<filelock::Lock>> waiters;
  for (int i = 0; i < kWaiters; ++i) waiters.push_back(open_lock(dir.file("x"), options()));
  std::atomic<bool> go{false};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kWaiters; ++i)
    threads.emplace_back([&, i] {
      waiters[i]->lock(LockMode::exclusive, filelock::kForever);
      while (!go.load()) std::this_thread::sleep_for(1ms);
      waiters[i]->unlock();
      done.fetch_add(1);
    });
  std::this_thread::sleep_for(100ms);  // every one asleep in its wait

  static std::atomic<int> tries{0};
  tries.store(0);
  filelock::platform::syscalls::set_recorder(
      [](filelock::platform::Syscall call, void *) {
        if (call == filelock::platform::Syscall::lock) tries.fetch_add(1);
      },
      nullptr);
  holder->unlock();
  std::this_thread::sleep_for(100ms);  // one waiter has it and holds it
  filelock::platform::syscalls::set_recorder(nullptr, nullptr);
  // One try, two calls where the backend takes a companion flock first; waking all six
  // made at least seven.
  EXPECT_GE(tries.load(), 1);
  EXPECT_LE(tries.load(), 2);
  go.store(true);
  for (auto &t : threads) t.join();
  EXPECT_EQ(done.load(), kWaiters);
}

// A waiter that leaves its wait without the lock hands its wake-up on, so the others are
// never left asleep beside a free lock.
TEST_P(LocalWait, AWaiterThatLeavesHandsTheWakeUpOn) {
  fltest::TempDir dir;
  auto holder = open_lock(dir.file("x"), options());
  auto first = open_lock(dir.file("x"), options());
  auto second = open_lock(dir.file("x"), options());
  holder->lock(LockMode::exclusive, 0);
  Status first_got = Status::io, second_got = Status::io;
  std::thread t1([&] { first_got = status_of([&] { first->lock(LockMode::exclusive, filelock::kForever); }); });
  std::this_thread::sleep_for(50ms);  // the first in line
  std::thread t2([&] { second_got = status_of([&] { second->lock(LockMode::exclusive, filelock::kForever); }); });
  std::this_thread::sleep_for(50ms);
  // The unlock's one wake-up goes to the first, which is cancelled at the same moment
  // and leaves without the lock: the second must be woken all the same.
  first->cancel();
  holder->unlock();
  t1.join();
  const int64_t start = locktest::mono_ns();
  t2.join();
  EXPECT_LT(locktest::elapsed_ms_since(start), 1000) << "the second was left asleep";
  EXPECT_EQ(second_got, Status::ok);
  if (first_got == Status::ok) first->unlock();
  if (second_got == Status::ok) second->unlock();
}

INSTANTIATE_TEST_SUITE_P(KernelBackends, LocalWait,
                         testing::Values(filelock::Backend::flock, filelock::Backend::ofd),
                         locktest::BackendName());

}  // namespace
