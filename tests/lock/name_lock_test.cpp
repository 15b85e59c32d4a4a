// LOCKFILE and LOCKDIR backends: exclusion, release, breaking dead holders' locks on
// proof only, atomic breaking, waking on release without polling. What a forked child
// may do is in name_lock_posix_test.cpp.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "lock/holder_record.hpp"
#include "lock/lock_entry.hpp"
#include "lock/lock_inspect.hpp"
#include "io/lock_io.hpp"
#include "lock_test_util.hpp"
#include "name_lock_fixture.hpp"
#include "io/lock_io.hpp"
#include "platform/process.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;
using locktest::mono_ns;
using locktest::NameLocks;
using locktest::open_lock;
using locktest::status_of;

namespace {

TEST_P(NameLocks, ExcludesAndReleaseDeletes) {
  auto a = open_lock(dir.file("x"), opts());
  auto b = open_lock(dir.file("x"), opts());
  EXPECT_FALSE(lock_exists());
  a->lock(LockMode::exclusive, 0);
  EXPECT_TRUE(lock_exists());
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 0); }), Status::busy);
  auto p = fltest::spawn_helper("try", {dir.file("x"), "exclusive", backend_arg()});
  EXPECT_EQ(fltest::read_line(p), std::to_string(static_cast<int>(Status::busy)));
  fltest::wait_exit(p);
  a->unlock();
  EXPECT_FALSE(lock_exists());
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 0); }), Status::ok);
}

TEST_P(NameLocks, SharedModeIsUnsupportedAndSaysSo) {
  auto a = open_lock(dir.file("x"), opts());
  try {
    a->lock(LockMode::shared, 0);
    FAIL() << "expected unsupported";
  } catch (const filelock::Error &e) {
    EXPECT_EQ(e.status(), Status::unsupported);
    EXPECT_NE(std::string(e.what()).find("exclusive locks only"), std::string::npos) << e.what();
  }
}

TEST_P(NameLocks, LockingThePathItselfIsRefused) {
  LockOptions o = opts();
  o.sidecar = false;  // releasing would delete the data file itself
  { std::ofstream(dir.file("data")) << "data"; }
  EXPECT_EQ(status_of([&] { open_lock(dir.file("data"), o); }), Status::invalid);
  EXPECT_EQ(access(dir.file("data").c_str(), F_OK), 0);
}

TEST_P(NameLocks, KilledHoldersLockIsBroken) {
  auto p = fltest::spawn_helper("hold", {dir.file("x"), "exclusive", "60000", backend_arg()});
  ASSERT_EQ(fltest::read_line(p), "locked");
  auto a = open_lock(dir.file("x"), opts());
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::busy);
  fltest::kill_hard(p);
  fltest::wait_exit(p);
  EXPECT_TRUE(lock_exists());  // nobody removed it
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::ok);
}

TEST_P(NameLocks, DeadPidRecordIsBrokenButLiveOneIsNot) {
  auto self = filelock::platform::self_identity();
  plant(self, filelock::platform::wall_clock_ms());  // this very process: alive
  auto a = open_lock(dir.file("x"), opts());
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::busy);
  filelock::platform::ProcessIdentity reused = self;
  reused.start_time += 1;  // our pid, but a process that started at another time: gone
  filelock::remove_lock_entry(lock_path(), is_dir());
  plant(reused, filelock::platform::wall_clock_ms());
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::ok);
}

TEST_P(NameLocks, RecordFromAnEarlierBootIsBroken) {
  auto who = filelock::platform::self_identity();
  who.boot_id = "00000000-0000-0000-0000-000000000000";
  plant(who, filelock::platform::wall_clock_ms());
  auto a = open_lock(dir.file("x"), opts());
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::ok);
}

TEST_P(NameLocks, OtherHostsLockIsBrokenOnlyWhenOlderThanStaleAfter) {
  auto who = filelock::platform::self_identity();
  who.host = "some-other-host";
  who.machine_id = "another machine's id";
  plant(who, filelock::platform::wall_clock_ms() - 60000);
  auto never = open_lock(dir.file("x"), opts());
  EXPECT_EQ(status_of([&] { never->lock(LockMode::exclusive, 0); }), Status::busy);
  LockOptions young = opts();
  young.stale_after_ms = 120000;
  auto a = open_lock(dir.file("x"), young);
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::busy);
  LockOptions old = opts();
  old.stale_after_ms = 30000;
  auto b = open_lock(dir.file("x"), old);
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 0); }), Status::ok);
}

TEST_P(NameLocks, ConcurrentBreakersNeverBothWin) {
  for (int round = 0; round < 2; ++round) {
    auto who = filelock::platform::self_identity();
    who.pid = 999999999;  // no such process
    plant(who, filelock::platform::wall_clock_ms());
    const std::string go = dir.file("go" + std::to_string(round));
    std::vector<fltest::Process> breakers;
    for (int i = 0; i < 4; ++i)
      breakers.push_back(
          fltest::spawn_helper("try_hold_until", {dir.file("x"), go, backend_arg()}));
    int winners = 0;
    for (auto &p : breakers) {
      const std::string line = fltest::read_line(p);
      if (line == "0") ++winners;
      else EXPECT_EQ(line, std::to_string(static_cast<int>(Status::busy)));
    }
    std::ofstream(go) << "go";  // every breaker has tried: the winner may let go
    for (auto &p : breakers) EXPECT_EQ(fltest::wait_exit(p), 0);
    EXPECT_EQ(winners, 1) << "round " << round;
    EXPECT_FALSE(lock_exists());
  }
}

TEST_P(NameLocks, WaiterWakesOnReleaseWithoutWaitingForTheRetryInterval) {
  LockOptions o = opts();
  o.retry_interval_ms = 10000;
  auto a = open_lock(dir.file("x"), o);
  auto b = open_lock(dir.file("x"), o);
  a->lock(LockMode::exclusive, 0);
  int64_t got_at = 0;
  std::thread waiter([&] {
    b->lock(LockMode::exclusive, filelock::kForever);
    got_at = mono_ns();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const int64_t released_at = mono_ns();
  a->unlock();
  waiter.join();
  // Woken by the release: far sooner than the 10 s retry interval (a loaded machine or
  // Wine may take tens of milliseconds to schedule the waiter).
  EXPECT_LT((got_at - released_at) / 1000000, 1000);
}

TEST_P(NameLocks, TimeoutAndCancel) {
  auto a = open_lock(dir.file("x"), opts());
  auto b = open_lock(dir.file("x"), opts());
  a->lock(LockMode::exclusive, 0);
  int64_t start = mono_ns();
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 80); }), Status::timeout);
  EXPECT_LE(locktest::elapsed_ms_since(start), 80 + locktest::kSchedulingSlackMs);
  Status got = Status::ok;
  std::thread waiter([&] { got = status_of([&] { b->lock(LockMode::exclusive, -1); }); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  start = mono_ns();
  b->cancel();
  waiter.join();
  EXPECT_EQ(got, Status::canceled);
  EXPECT_LT(locktest::elapsed_ms_since(start), locktest::kSchedulingSlackMs);
  if (!locktest::only_thread_left()) GTEST_SKIP() << locktest::kOtherThreadsSkip;
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, -1); }), Status::deadlock);
}

TEST_P(NameLocks, UnlockAfterBeingBrokenRemovesNothing) {
  auto a = open_lock(dir.file("x"), opts());
  a->lock(LockMode::exclusive, 0);
  // Broken by someone: moved aside, then removed, as breakers do (lock_entry.cpp). (On
  // Windows a name deleted in place lingers while a handle is open on it, as the
  // holder's entry lock is: Wine keeps it so.)
  ASSERT_TRUE(filelock::io::rename_path(lock_path(), lock_path() + ".broken"));
  filelock::remove_lock_entry(lock_path() + ".broken", is_dir());
  // Taken by another process (this process's other handles wait for a's unlock).
  fltest::Process b = fltest::spawn_helper("try_hold_until", {dir.file("x"), dir.file("go"), backend_arg()});
  ASSERT_EQ(fltest::read_line(b), "0");
  EXPECT_EQ(status_of([&] { a->unlock(); }), Status::not_locked);
  EXPECT_TRUE(lock_exists());
  std::ofstream(dir.file("go")) << "go";
  EXPECT_EQ(fltest::wait_exit(b), 0);
  EXPECT_FALSE(lock_exists());
}

// A LOCKFILE never exists without its record: cleaning stale locks in a loop while
// several processes take turns must not remove a live lock (a lost update would show).
TEST_P(NameLocks, CleanStaleInALoopNeverBreaksALiveLock) {
  const int kProcs = 3, kIters = 50;
  std::vector<fltest::Process> procs;
  for (int i = 0; i < kProcs; ++i)
    procs.push_back(fltest::spawn_helper(
        "increment", {dir.file("x"), dir.file("counter"), std::to_string(kIters), backend_arg()}));
  auto counter = [&] {
    long value = 0;
    std::ifstream in(dir.file("counter"));
    in >> value;
    return value;
  };
  const int64_t start = mono_ns();
  while (counter() < kProcs * kIters && locktest::elapsed_ms_since(start) < 25000)
    locktest::clean_json(dir.path(), 0);
  for (auto &p : procs) {
    EXPECT_EQ(fltest::read_line(p), "done");
    EXPECT_EQ(fltest::wait_exit(p), 0);
  }
  EXPECT_EQ(counter(), kProcs * kIters);
}

// flock(1) leftovers and empty files from a crash: kept while young (a lock may be
// being made), broken once older than the grace period.
TEST_P(NameLocks, EmptyFileAtTheNameIsBrokenOnlyAfterTheGracePeriod) {
  { std::ofstream empty(lock_path()); }
  expect_broken_only_after_grace();
}

// A flock-backend lock file (never deleted by design) is not a name lock: once old and
// unheld it gives way; while a kernel lock is held on it, it does not.
TEST_P(NameLocks, KernelLockFileAtTheNameGivesWayOnlyWhenUnheld) {
  open_lock(dir.file("x"))->lock(LockMode::exclusive, 0);  // flock record left behind
  auto p = fltest::spawn_helper("raw_flock", {lock_path(), "60000"});
  ASSERT_EQ(fltest::read_line(p), "locked");
  age(lock_path(), kPastGrace);
  auto a = open_lock(dir.file("x"), opts());
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::busy);
  fltest::kill_hard(p);
  fltest::wait_exit(p);
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::ok);
}

// A crash between mkdir and the record write leaves a bare directory.
TEST_P(NameLocks, DirectoryWithoutRecordIsBrokenOnlyAfterTheGracePeriod) {
  ASSERT_EQ(mkdir(lock_path().c_str(), 0755), 0);
  expect_broken_only_after_grace();
}

// A directory holding anything else is someone's data: never removed.
TEST_P(NameLocks, DirectoryWithOtherFilesIsNeverRemoved) {
  ASSERT_EQ(mkdir(lock_path().c_str(), 0755), 0);
  { std::ofstream(lock_path() + "/notes.txt") << "mine"; }
  age(lock_path(), kPastGrace);
  auto a = open_lock(dir.file("x"), opts());
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::busy);
  locktest::clean_json(dir.path(), 0);
  EXPECT_EQ(access((lock_path() + "/notes.txt").c_str(), F_OK), 0);
}

// A breaker whose judgement is out of date (the dead holder's lock was already broken
// and retaken) leaves the live holder's lock exactly where it was.
TEST_P(NameLocks, OutdatedBreakLeavesTheLiveLockInPlace) {
  auto who = filelock::platform::self_identity();
  who.pid = 999999999;  // no such process
  plant(who, filelock::platform::wall_clock_ms());
  filelock::platform::FileInfo judged;
  std::string judged_bytes;
  ASSERT_TRUE(filelock::read_lock_entry(lock_path(), is_dir(), judged, judged_bytes));
  auto live = open_lock(dir.file("x"), opts());
  ASSERT_EQ(status_of([&] { live->lock(LockMode::exclusive, 0); }), Status::ok);
  EXPECT_FALSE(filelock::break_lock_entry(lock_path(), is_dir(), judged, judged_bytes));
  EXPECT_TRUE(lock_exists());
  EXPECT_EQ(status_of([&] { live->unlock(); }), Status::ok);
  EXPECT_FALSE(lock_exists());
  EXPECT_EQ(filelock::io::list_dir(dir.path()).size(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Backends, NameLocks,
                         ::testing::Values(Backend::lockfile, Backend::lockdir),
                         locktest::BackendName());

}  // namespace
