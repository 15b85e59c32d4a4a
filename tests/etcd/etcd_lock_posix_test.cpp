// etcd:// locks against a real three-member cluster (tests/etcd/run.sh), across real
// processes: exclusion, try, handoff, a SIGKILLed holder, shared holders, cancel.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include "etcd_test_env.hpp"
#include "lock/lock.hpp"
#include "lock/lock_inspect.hpp"
#include "platform/threads.hpp"
#include "support.hpp"

using etcdtest::ms_since;
using etcdtest::mono_ns;
using etcdtest::status_of;
using filelock::Lock;
using filelock::LockMode;
using filelock::Status;

namespace {

std::unique_ptr<Lock> open_lock(const std::string &url) { return Lock::open(url, {}); }

TEST(EtcdLock, ProcessesExcludeEachOtherOnACounter) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("counter", "");
  fltest::TempDir dir;
  const int processes = 4, rounds = 25;
  std::vector<fltest::Process> workers;
  for (int i = 0; i < processes; ++i)
    workers.push_back(fltest::spawn_helper("etcd_count", {url, dir.file("n"), std::to_string(rounds)}));
  for (auto &w : workers) {
    EXPECT_EQ(fltest::read_line(w), "overlaps 0");
    EXPECT_EQ(fltest::wait_exit(w), 0);
  }
  std::ifstream in(dir.file("n"));
  long long total = 0;
  in >> total;
  EXPECT_EQ(total, processes * rounds);  // no increment lost
  EXPECT_EQ(etcdtest::queued_keys(url), 0u);
}

TEST(EtcdLock, TryIsBusyWhileAnotherProcessHoldsAndLeavesNothing) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("try");
  auto holder = fltest::spawn_helper("etcd_hold", {url, "exclusive", "-1"});
  ASSERT_EQ(fltest::read_line(holder), "locked");
  auto mine = open_lock(url);
  std::string message;
  const int64_t start = mono_ns();
  EXPECT_EQ(status_of([&] { mine->lock(LockMode::exclusive, filelock::kNoWait); }, &message), Status::busy);
  EXPECT_LT(ms_since(start), 2000);
  EXPECT_NE(message.find("lock '" + url + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("pid " + std::to_string(holder.pid)), std::string::npos) << message;
  EXPECT_EQ(status_of([&] { mine->lock(LockMode::shared, filelock::kNoWait); }), Status::busy);
  EXPECT_FALSE(mine->locked());
  EXPECT_EQ(etcdtest::queued_keys(url), 1u);  // the holder's key alone

  // fl_query reports the holder's record, as the file backends do.
  const filelock::LockReport r = filelock::query_lock(url, {});
  EXPECT_EQ(r.backend, "etcd");
  EXPECT_TRUE(r.locked);
  EXPECT_TRUE(r.exclusive);
  ASSERT_EQ(r.holder, filelock::LockReport::Holder::record);
  EXPECT_EQ(r.record.pid, holder.pid);
  EXPECT_EQ(r.record.owner, "etcd-test-helper");
  ASSERT_EQ(r.owners.size(), 1u);
  fltest::kill_hard(holder);
  fltest::wait_exit(holder);
}

TEST(EtcdLock, TimeoutEndsTheWaitAndLeavesNothing) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("timeout");
  auto a = open_lock(url);
  auto b = open_lock(url);
  a->lock(LockMode::exclusive, filelock::kNoWait);
  const int64_t start = mono_ns();
  std::string message;
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 300); }, &message), Status::timeout);
  EXPECT_GE(ms_since(start), 290);
  EXPECT_LT(ms_since(start), 3000);
  EXPECT_NE(message.find("waiting for pid"), std::string::npos) << message;
  EXPECT_EQ(etcdtest::queued_keys(url), 1u);
  EXPECT_EQ(status_of([&] { a->lock(LockMode::exclusive, 0); }), Status::already);
  a->unlock();
  EXPECT_EQ(status_of([&] { a->unlock(); }), Status::not_locked);
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 0); }), Status::ok);
}

TEST(EtcdLock, ReleaseWakesAWaiterInAnotherProcess) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("handoff");
  auto holder = fltest::spawn_helper("etcd_hold", {url, "exclusive", "500"});
  ASSERT_EQ(fltest::read_line(holder), "locked");
  auto mine = open_lock(url);
  mine->lock(LockMode::exclusive, 20000);
  const int64_t acquired = mono_ns();
  long long released = 0;
  ASSERT_EQ(std::sscanf(fltest::read_line(holder).c_str(), "releasing %lld", &released), 1);
  EXPECT_GT(acquired, released);  // never before the holder let go
  const double handoff_ms = (acquired - released) / 1e6;
  std::printf("[ figure ] etcd handoff (unlock in one process -> lock returns in another): %.2f ms\n", handoff_ms);
  EXPECT_LT(handoff_ms, 1000);  // woken by the watch, not by a re-read after a TTL (2 s)
  EXPECT_EQ(fltest::wait_exit(holder), 0);
}

TEST(EtcdLock, KilledHoldersLockFreesWhenItsLeaseExpires) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("killed", "ttl=2");
  auto holder = fltest::spawn_helper("etcd_hold", {url, "exclusive", "-1"});
  ASSERT_EQ(fltest::read_line(holder), "locked");
  fltest::kill_hard(holder);
  fltest::wait_exit(holder);
  const int64_t killed = mono_ns();
  auto mine = open_lock(url);
  // The lease outlives its process until the TTL runs out.
  EXPECT_EQ(status_of([&] { mine->lock(LockMode::exclusive, filelock::kNoWait); }), Status::busy);
  EXPECT_EQ(status_of([&] { mine->lock(LockMode::exclusive, 15000); }), Status::ok);
  const int64_t waited = ms_since(killed);
  std::printf("[ figure ] etcd lock of a SIGKILLed holder (TTL 2 s) free after %lld ms\n",
              static_cast<long long>(waited));
  EXPECT_LT(waited, 2000 + 3000);  // TTL + slack (etcd checks expiry every 500 ms)
}

TEST(EtcdLock, SharedHoldersCoexistAndExcludeAWriter) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("shared");
  auto r1 = fltest::spawn_helper("etcd_hold", {url, "shared", "-1"});
  ASSERT_EQ(fltest::read_line(r1), "locked");
  auto r2 = fltest::spawn_helper("etcd_hold", {url, "shared", "-1"});
  ASSERT_EQ(fltest::read_line(r2), "locked");
  auto reader = open_lock(url);
  auto writer = open_lock(url);
  EXPECT_EQ(status_of([&] { reader->lock(LockMode::shared, filelock::kNoWait); }), Status::ok);
  EXPECT_EQ(status_of([&] { writer->lock(LockMode::exclusive, filelock::kNoWait); }), Status::busy);
  const filelock::LockReport r = filelock::query_lock(url, {});
  EXPECT_TRUE(r.locked);
  EXPECT_FALSE(r.exclusive);
  EXPECT_EQ(r.owners.size(), 3u);
  reader->unlock();
  fltest::kill_hard(r1);
  fltest::wait_exit(r1);
  fltest::kill_hard(r2);
  fltest::wait_exit(r2);
  // Both leases expire (TTL 2 s): the writer gets in.
  EXPECT_EQ(status_of([&] { writer->lock(LockMode::exclusive, 15000); }), Status::ok);
}

TEST(EtcdLock, ReadersQueueBehindAWaitingWriter) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("fifo");
  auto first = open_lock(url);
  first->lock(LockMode::shared, filelock::kNoWait);
  auto writer = open_lock(url);
  std::thread waiting([&] { writer->lock(LockMode::exclusive, 20000); });
  while (etcdtest::queued_keys(url) < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // FIFO: a later reader does not overtake the waiting writer.
  auto late = open_lock(url);
  EXPECT_EQ(status_of([&] { late->lock(LockMode::shared, filelock::kNoWait); }), Status::busy);
  first->unlock();
  waiting.join();
  EXPECT_TRUE(writer->locked());
  writer->unlock();
}

TEST(EtcdLock, CancelFromAnotherThreadEndsTheWait) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("cancel");
  auto holder = open_lock(url);
  holder->lock(LockMode::exclusive, filelock::kNoWait);
  auto waiter = open_lock(url);
  Status status = Status::ok;
  int64_t returned = 0;
  std::thread waiting([&] {
    status = status_of([&] { waiter->lock(LockMode::exclusive, filelock::kForever); });
    returned = mono_ns();
  });
  while (etcdtest::queued_keys(url) < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int64_t canceled = mono_ns();
  waiter->cancel();
  waiting.join();
  EXPECT_EQ(status, Status::canceled);
  EXPECT_LT((returned - canceled) / 1000000, 1000);
  EXPECT_EQ(etcdtest::queued_keys(url), 1u);  // the waiter's key is gone
  // A cancel with no wait in progress ends the next one at once.
  waiter->cancel();
  EXPECT_EQ(status_of([&] { waiter->lock(LockMode::exclusive, 5000); }), Status::canceled);
  holder->unlock();
  EXPECT_EQ(status_of([&] { waiter->lock(LockMode::exclusive, 5000); }), Status::ok);
}

}  // namespace

namespace {

// As with the file backends: a child's copy of a held handle never releases the parent's
// lock.
TEST(EtcdLock, ForkedChildDoesNotReleaseTheParentsLock) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("fork");
  auto lock = open_lock(url);
  lock->lock(LockMode::exclusive, filelock::kNoWait);
  const pid_t child = fork();
  if (child == 0) {
    int rc = 0;
    try {
      lock->unlock();
      lock.reset();
    } catch (...) {
      rc = 1;
    }
    _exit(rc);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(lock->locked());
  EXPECT_EQ(etcdtest::queued_keys(url), 1u);
  auto other = open_lock(url);
  EXPECT_EQ(status_of([&] { other->lock(LockMode::exclusive, filelock::kNoWait); }), Status::busy);
  lock->unlock();
  EXPECT_EQ(status_of([&] { other->lock(LockMode::exclusive, filelock::kNoWait); }), Status::ok);
}

}  // namespace

namespace {

// Lock "a" queues the keys "a/<lease>" only: a lock named "a/b" is another lock.
TEST(EtcdLock, ANestedNameIsAnotherLock) {
  REQUIRE_ETCD();
  const std::string outer = etcdtest::url("a");
  const std::string inner = outer.substr(0, outer.find('?')) + "/b?ttl=2";
  auto a = open_lock(outer);
  auto b = open_lock(inner);
  a->lock(LockMode::exclusive, filelock::kNoWait);
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, filelock::kNoWait); }), Status::ok);
  auto a2 = open_lock(outer);
  a->unlock();
  EXPECT_EQ(status_of([&] { a2->lock(LockMode::exclusive, filelock::kNoWait); }), Status::ok);
  EXPECT_EQ(filelock::query_lock(outer, {}).owners.size(), 1u);
}

}  // namespace

namespace {

// As with files: a wait forever for this process's own lock, with no other thread to
// release it, is FL_EDEADLK at once; with a timeout it is an ordinary wait.
TEST(EtcdLock, OnlyThreadWaitingForItsOwnLockIsADeadlock) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("deadlock");
  auto a = open_lock(url);
  auto b = open_lock(url);
  a->lock(LockMode::exclusive, filelock::kNoWait);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!filelock::platform::only_thread() && std::chrono::steady_clock::now() < give_up)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  if (!filelock::platform::only_thread()) GTEST_SKIP() << "other threads are running";
  std::string message;
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, filelock::kForever); }, &message), Status::deadlock);
  EXPECT_NE(message.find("no other thread"), std::string::npos) << message;
  EXPECT_EQ(etcdtest::queued_keys(url), 1u);
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 200); }), Status::timeout);
}

}  // namespace

// fl_scan / `filelock status` on a prefix: every lock below it (nested names too), with
// its holders, each named by its own URL; a free lock has no keys, so it is not listed.
TEST(EtcdScan, ListsTheLocksUnderAPrefixWithTheirHolders) {
  REQUIRE_ETCD();
  const std::string job = etcdtest::url("jobs/build");
  const std::string base = job.substr(0, job.rfind("/jobs/build"));
  const std::string report_url = job.substr(0, job.find('?'));
  const std::string nested = base + "/jobs/deploy/prod";
  const std::string free_one = base + "/jobs/idle";
  auto holder = fltest::spawn_helper("etcd_hold", {job, "exclusive", "-1"});
  ASSERT_EQ(fltest::read_line(holder), "locked");
  auto a = open_lock(nested), b = open_lock(nested), idle = open_lock(free_one);
  a->lock(LockMode::shared, filelock::kNoWait);
  b->lock(LockMode::shared, filelock::kNoWait);
  idle->lock(LockMode::exclusive, filelock::kNoWait);
  idle->unlock();
  const filelock::ScanReport report = filelock::scan_locks(base);
  EXPECT_EQ(report.dir, base);
  ASSERT_EQ(report.locks.size(), 2u);
  const filelock::LockReport &build = report.locks[0], &prod = report.locks[1];
  EXPECT_EQ(build.lock_path, report_url);
  EXPECT_TRUE(build.locked);
  EXPECT_TRUE(build.exclusive);
  ASSERT_EQ(build.owners.size(), 1u);
  EXPECT_EQ(build.owners[0].pid, holder.pid);
  EXPECT_EQ(build.record.pid, holder.pid);
  EXPECT_EQ(prod.lock_path, nested.substr(0, nested.find('?')));
  EXPECT_TRUE(prod.locked);
  EXPECT_FALSE(prod.exclusive);
  EXPECT_EQ(prod.owners.size(), 2u);
  kill(holder.pid, SIGKILL);
  fltest::wait_exit(holder);
}

TEST(EtcdScan, NothingUnderAnEtcdPrefixIsStale) {
  REQUIRE_ETCD();
  const std::string job = etcdtest::url("held");
  const std::string base = job.substr(0, job.rfind("/held"));
  auto mine = open_lock(job);
  mine->lock(LockMode::exclusive, filelock::kNoWait);
  const filelock::CleanReport report = filelock::clean_stale_locks(base, 0);
  EXPECT_TRUE(report.removed.empty());
  EXPECT_TRUE(report.errors.empty());
  EXPECT_EQ(etcdtest::queued_keys(job), 1u);  // the held lock's key is still there
  mine->unlock();
}

// The holder key's create revision: it grows with every acquisition, so a store can
// refuse a write carrying an older token than one it has seen.
TEST(EtcdLock, FencingTokensGrowWithEachAcquisition) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("token");
  auto a = open_lock(url), b = open_lock(url);
  EXPECT_EQ(status_of([&] { a->fencing_token(); }), Status::not_locked);
  a->lock(LockMode::exclusive, filelock::kNoWait);
  const int64_t first = a->fencing_token();
  EXPECT_GT(first, 0);
  EXPECT_FALSE(a->lost());
  a->unlock();
  b->lock(LockMode::exclusive, filelock::kNoWait);
  EXPECT_GT(b->fencing_token(), first);
  b->unlock();
  fltest::TempDir dir;
  auto file = open_lock(dir.file("f"));
  file->lock(LockMode::exclusive, filelock::kNoWait);
  std::string message;
  EXPECT_EQ(status_of([&] { file->fencing_token(); }, &message), Status::unsupported);
  EXPECT_NE(message.find("only etcd:// locks"), std::string::npos) << message;
  EXPECT_FALSE(file->lost());
}
