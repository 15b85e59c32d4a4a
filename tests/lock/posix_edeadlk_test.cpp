// The POSIX backend reports no deadlock the kernel merely suspects. fcntl(F_SETLKW)
// checks for cycles between PROCESSES, but a process's threads hold and wait
// independently: thread 1 of P holds A while thread 2 of P waits for B, and Q the other
// way round, is a cycle to the kernel (EDEADLK) though each holder releases on its own.
// The same goes for lock files that fl_clean_stale probes meanwhile.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "lock/lock_inspect.hpp"
#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::Status;
using locktest::open_lock;
using locktest::status_of;
using locktest::with_backend;

namespace {

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

// cross_wait HOLD WAIT GO HOLD_MS [WAIT_MS]: holds HOLD (POSIX) in this thread, prints
// "holding"; once GO exists, another thread waits for WAIT (forever, or WAIT_MS) while
// this one releases HOLD after HOLD_MS (-1: only after the wait ended); prints the
// wait's status number.
FLTEST_HELPER("cross_wait") {
  auto held = open_lock(args.at(0), with_backend(Backend::posix));
  held->lock(LockMode::exclusive, 0);
  std::printf("holding\n");
  std::fflush(stdout);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!exists(args.at(2))) {
    if (std::chrono::steady_clock::now() > give_up) return 3;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const int64_t wait_ms = args.size() > 4 ? std::stoll(args.at(4)) : filelock::kForever;
  const int64_t hold_ms = std::stoll(args.at(3));
  Status got = Status::io;
  std::thread waiter([&] {
    auto wanted = open_lock(args.at(1), with_backend(Backend::posix));
    got = status_of([&] { wanted->lock(LockMode::exclusive, wait_ms); });
  });
  if (hold_ms >= 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    held->unlock();
  }
  waiter.join();
  std::printf("%d\n", static_cast<int>(got));
  return 0;
}

// clean_loop DIR STOP: fl_clean_stale on DIR over and over until STOP exists.
FLTEST_HELPER("clean_loop") {
  std::printf("cleaning\n");
  std::fflush(stdout);
  long rounds = 0;
  while (!exists(args.at(1))) {
    locktest::clean_json(args.at(0), 0);
    ++rounds;
  }
  std::printf("%ld\n", rounds);
  return 0;
}

namespace {

// One round: P holds A and waits for B, Q holds B and waits for A, each releasing what
// it holds after a while. No deadlock: both waits must end with the lock.
void cross_round(fltest::TempDir &dir, int round) {
  const std::string go = dir.file("go" + std::to_string(round));
  auto p = fltest::spawn_helper("cross_wait", {dir.file("A"), dir.file("B"), go, "150"});
  auto q = fltest::spawn_helper("cross_wait", {dir.file("B"), dir.file("A"), go, "150"});
  ASSERT_EQ(fltest::read_line(p), "holding");
  ASSERT_EQ(fltest::read_line(q), "holding");
  std::ofstream(go).put('x');
  EXPECT_EQ(fltest::read_line(p), "0") << "round " << round << ": -10 is FL_EDEADLK";
  EXPECT_EQ(fltest::read_line(q), "0") << "round " << round << ": -10 is FL_EDEADLK";
  EXPECT_EQ(fltest::wait_exit(p), 0);
  EXPECT_EQ(fltest::wait_exit(q), 0);
}

TEST(PosixKernelDeadlock, ThreadsHoldingAndWaitingAcrossTwoProcessesAreNoDeadlock) {
  fltest::TempDir dir;
  for (int round = 0; round < 3; ++round) cross_round(dir, round);
}

// A real cycle (neither releases before its wait ends) is not reported either: it
// waits like a flock or OFD wait. P's timeout ends it; P then exits, and Q, which waits
// forever, gets the lock.
TEST(PosixKernelDeadlock, RealCycleBetweenProcessesEndsByTimeout) {
  fltest::TempDir dir;
  const std::string go = dir.file("go");
  auto p = fltest::spawn_helper("cross_wait", {dir.file("A"), dir.file("B"), go, "-1", "300"});
  auto q = fltest::spawn_helper("cross_wait", {dir.file("B"), dir.file("A"), go, "-1"});
  ASSERT_EQ(fltest::read_line(p), "holding");
  ASSERT_EQ(fltest::read_line(q), "holding");
  std::ofstream(go).put('x');
  EXPECT_EQ(fltest::read_line(p), std::to_string(static_cast<int>(Status::timeout)));
  EXPECT_EQ(fltest::wait_exit(p), 0);
  EXPECT_EQ(fltest::read_line(q), "0");
  EXPECT_EQ(fltest::wait_exit(q), 0);
}

TEST(PosixKernelDeadlock, CleanStaleInALoopBesideHoldersAndWaitersReportsNoDeadlock) {
  fltest::TempDir dir;
  auto cleaner = fltest::spawn_helper("clean_loop", {dir.path(), dir.file("stop")});
  ASSERT_EQ(fltest::read_line(cleaner), "cleaning");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  for (int round = 0; std::chrono::steady_clock::now() < until && !HasFailure(); ++round)
    cross_round(dir, round);
  std::ofstream(dir.file("stop")).put('x');
  EXPECT_GT(std::stol(fltest::read_line(cleaner)), 0);
  EXPECT_EQ(fltest::wait_exit(cleaner), 0);
}

}  // namespace
