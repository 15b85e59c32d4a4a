// Waiting: timeouts on time, cancel prompt and sticky, no CPU burnt, quick handoff.
#include <gtest/gtest.h>

#include <thread>

#include "lock_test_util.hpp"

using filelock::LockMode;
using filelock::Status;
using locktest::elapsed_ms_since;
using locktest::mono_ns;
using locktest::open_lock;
using locktest::status_of;

namespace {

TEST(Waiting, TimeoutFiresOnTime) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  auto b = open_lock(dir.file("x"));
  a->lock(LockMode::exclusive, 0);
  for (int64_t timeout : {100, 30}) {
    const int64_t start = mono_ns();
    EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, timeout); }), Status::timeout);
    const int64_t took = elapsed_ms_since(start);
    EXPECT_GE(took, timeout);
    EXPECT_LE(took, timeout + locktest::kSchedulingSlackMs);
  }
  EXPECT_FALSE(b->locked());
}

TEST(Waiting, TimedWaitSucceedsWhenReleasedInTime) {
  fltest::TempDir dir;
  auto p = fltest::spawn_helper("hold", {dir.file("x"), "exclusive", "100"});
  ASSERT_EQ(fltest::read_line(p), "locked");
  auto a = open_lock(dir.file("x"));
  EXPECT_EQ(status_of([&] { a->lock(LockMode::shared, 5000); }), Status::ok);
  EXPECT_EQ(fltest::wait_exit(p), 0);
}

TEST(Waiting, CancelEndsAWaitPromptly) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  auto b = open_lock(dir.file("x"));
  a->lock(LockMode::exclusive, 0);
  Status got = Status::ok;
  int64_t returned_at = 0;
  std::thread waiter([&] {  // another thread: waiting forever here is no deadlock
    got = status_of([&] { b->lock(LockMode::exclusive, filelock::kForever); });
    returned_at = mono_ns();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const int64_t canceled_at = mono_ns();
  b->cancel();
  waiter.join();
  EXPECT_EQ(got, Status::canceled);
  EXPECT_LT((returned_at - canceled_at) / 1000000, locktest::kSchedulingSlackMs);
  EXPECT_FALSE(b->locked());
  // The request was consumed: after the holder leaves, b locks normally.
  a->unlock();
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 0); }), Status::ok);
}

TEST(Waiting, CancelBeforeWaitIsKeptUntilConsumed) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  a->cancel();
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::canceled);
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::ok);
}

TEST(Waiting, UnlockClearsAPendingCancel) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  a->lock(LockMode::exclusive, 0);
  a->cancel();
  a->unlock();
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::ok);
}

TEST(Waiting, WaitingProcessBurnsNoCpuAndWakesQuickly) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  a->lock(LockMode::exclusive, 0);
  auto p = fltest::spawn_helper("wait", {dir.file("x"), "exclusive"});
  const std::string waiting = fltest::read_line(p);
  ASSERT_EQ(waiting.rfind("waiting ", 0), 0u) << waiting;
  const long long cpu_before = std::stoll(waiting.substr(8));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const int64_t released_at = mono_ns();
  a->unlock();
  long long locked_at = 0, cpu_after = 0;
  ASSERT_EQ(std::sscanf(fltest::read_line(p).c_str(), "locked %lld %lld", &locked_at, &cpu_after), 2);
  EXPECT_EQ(fltest::wait_exit(p), 0);
  EXPECT_LT(cpu_after - cpu_before, 20000) << "CPU microseconds spent waiting 400 ms";
  EXPECT_LT((locked_at - released_at) / 1000, 20000) << "handoff microseconds";
}

TEST(Waiting, HandoffBetweenProcessesIsFast) {
  fltest::TempDir dir;
  std::vector<int64_t> handoff_us;
  auto a = open_lock(dir.file("x"));
  for (int i = 0; i < 5; ++i) {
    auto p = fltest::spawn_helper("hold", {dir.file("x"), "exclusive", "30"});
    ASSERT_EQ(fltest::read_line(p), "locked");
    a->lock(LockMode::exclusive, filelock::kForever);
    const int64_t got = mono_ns();
    long long released = 0;
    ASSERT_EQ(std::sscanf(fltest::read_line(p).c_str(), "releasing %lld", &released), 1);
    handoff_us.push_back((got - released) / 1000);
    a->unlock();
    fltest::wait_exit(p);
  }
  std::sort(handoff_us.begin(), handoff_us.end());
  // A sanity bound that holds on a loaded machine; BENCHMARKS measure the real figure.
  EXPECT_LT(handoff_us[2], 20000) << "median handoff in microseconds";
}

}  // namespace
