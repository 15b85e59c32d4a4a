// Every system call of a lock wait and of lock inspection goes through the platform's
// system-call table (platform/syscalls.hpp), and each can be failed (the acquire and
// release without waiting: tests/state/syscall_table_posix_test.cpp):
//  - a wait that times out on a lock another process holds (its wake-up, its waiter
//    thread's lock call, the try after the wait ended, the /proc reads of the holder's
//    identity, a name lock's directory resolved and watched), and
//    a query, a scan and a clean-up of a held lock and of an unheld leftover (lock
//    probes, /proc/locks, the entry-lock probe of a name lock), are recorded through the
//    table while this binary counts the C library's own calls: none may bypass it;
//  - then each recorded call is failed (EIO) in turn: the operation reports an error
//    naming the path and the reason (or still ends as it would have); afterwards no lock
//    is left held (another process gets it at once once the holder lets go, so no waiter
//    thread lingers on it), and no file is left but what a clean run leaves.
// A wait's wake-up that cannot be made fails the lock call cleanly, a directory that
// cannot be resolved the open, and a wait without a directory watch still sees the
// release (it re-checks every retry interval).
// POSIX only: the C library's functions are counted by defining them in this binary
// (tests/support/libc_calls_posix.cpp).
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "libc_calls_posix.hpp"
#include "lock/lock.hpp"
#include "lock/lock_inspect.hpp"
#include "support.hpp"
#include "syscall_record.hpp"

namespace filelock {
namespace {

using fltest::SyscallRecording;
using platform::Syscall;
namespace syscalls = platform::syscalls;

LockOptions options_for(Backend backend) {
  LockOptions o;
  o.backend = backend;
  return o;
}

bool exists(const std::string &path) { return std::ifstream(path).good(); }

// Holds PATH (backend BACKEND) until the file GO exists, then releases and exits.
FLTEST_HELPER("hold_until") {
  auto lock = Lock::open(args.at(0), options_for(static_cast<Backend>(std::stoi(args.at(1)))));
  lock->lock(LockMode::exclusive, kForever);
  std::printf("locked\n");
  std::fflush(stdout);
  for (int i = 0; i < 6000 && !exists(args.at(2)); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  lock->unlock();
  return 0;
}

// Locks PATH within MS milliseconds; prints the status.
FLTEST_HELPER("lock_within") {
  auto lock = Lock::open(args.at(0), options_for(static_cast<Backend>(std::stoi(args.at(1)))));
  Status s = Status::ok;
  try {
    lock->lock(LockMode::exclusive, std::stoll(args.at(2)));
  } catch (const Error &e) {
    s = e.status();
  }
  std::printf("%d\n", static_cast<int>(s));
  return 0;
}

Status status_of(const std::function<void()> &fn, std::string *msg = nullptr) {
  try {
    fn();
    return Status::ok;
  } catch (const Error &e) {
    if (msg != nullptr) *msg = e.what();
    return e.status();
  }
}

bool names_path_and_reason(const std::string &msg, const std::string &dir) {
  return msg.find(dir) != std::string::npos &&
         msg.find("errno " + std::to_string(EIO)) != std::string::npos;
}

std::vector<std::string> entries(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (const dirent *e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Another process holding `path` until release().
class Holder {
 public:
  Holder(const std::string &path, Backend backend, const std::string &go)
      : go_(go), p_(fltest::spawn_helper("hold_until", {path, std::to_string(static_cast<int>(backend)), go})) {
    locked_ = fltest::read_line(p_) == "locked";
  }
  ~Holder() { release(); }
  bool locked() const { return locked_; }
  void release() {
    if (p_.pid < 0) return;
    std::ofstream(go_) << "go";
    EXPECT_EQ(fltest::wait_exit(p_), 0);
    p_.pid = -1;
    std::remove(go_.c_str());
  }

 private:
  std::string go_;
  fltest::Process p_;
  bool locked_ = false;
};

// The status another process gets locking `path` within `ms`.
Status lock_elsewhere(const std::string &path, Backend backend, int64_t ms) {
  fltest::Process p = fltest::spawn_helper(
      "lock_within", {path, std::to_string(static_cast<int>(backend)), std::to_string(ms)});
  const std::string line = fltest::read_line(p);
  EXPECT_EQ(fltest::wait_exit(p), 0);
  return line.empty() ? Status::io : static_cast<Status>(std::stoi(line));
}

std::string trace(const std::vector<Syscall> &calls, size_t i) {
  return "failing call " + std::to_string(i) + " (" + platform::syscall_name(calls[i]) +
         ") of: " + fltest::call_list(calls);
}

// --- A wait that times out ---------------------------------------------------------

class WaitCalls : public ::testing::TestWithParam<Backend> {};

TEST_P(WaitCalls, EveryCallOfATimedOutWaitGoesThroughTheTableAndCanFail) {
  const Backend backend = GetParam();
  fltest::TempDir dir, signals;
  const std::string path = dir.file("data");
  const std::string go = signals.file("go");
  auto timed_out_wait = [&] {
    auto lock = Lock::open(path, options_for(backend));
    lock->lock(LockMode::exclusive, 30);
  };
  // Once without a holder: what is made once per process, and the lock's files.
  ASSERT_EQ(status_of([&] { Lock::open(path, options_for(backend))->lock(LockMode::exclusive, 0); }),
            Status::ok);
  const std::vector<std::string> clean_names = entries(dir.path());
  std::vector<Syscall> calls;
  {
    Holder holder(path, backend, go);
    ASSERT_TRUE(holder.locked());
    calls = fltest::record_calls([&] { EXPECT_EQ(status_of(timed_out_wait), Status::timeout); });
  }
  // A kernel lock is tried, waited for (the waiter thread's call) and tried again once
  // the wait ended; a name lock reads its holder's record and the holder's identity.
  if (backend == Backend::flock || backend == Backend::ofd || backend == Backend::posix) {
    EXPECT_GE(std::count(calls.begin(), calls.end(), Syscall::lock), 3) << fltest::call_list(calls);
  }
  // Each handle makes its wake-up (kernel locks for their first wait, the others at
  // open); a name lock resolves its directory and watches it while it waits. The C
  // library saw them too, so the bypass check above covered these entries.
  EXPECT_GT(fltest::nth_call(calls, Syscall::wakeup), 0) << fltest::call_list(calls);
  EXPECT_GT(fltest::libc_count(Syscall::wakeup), 0);
  if (backend == Backend::lockfile || backend == Backend::lockdir) {
    for (const Syscall c : {Syscall::realpath, Syscall::watch, Syscall::watch_add}) {
      EXPECT_GT(fltest::nth_call(calls, c), 0) << platform::syscall_name(c) << ": " << fltest::call_list(calls);
      // An inotify instance kept from an earlier watch of this process serves this one
      // (platform/linux/inotify_watch.cpp): only the first makes one.
      if (c != Syscall::watch) {
        EXPECT_GT(fltest::libc_count(c), 0) << platform::syscall_name(c);
      }
    }
  }

  for (size_t i = 0; i < calls.size(); ++i) {
    SCOPED_TRACE(trace(calls, i));
    {
      Holder holder(path, backend, go);
      ASSERT_TRUE(holder.locked());
      syscalls::fail(calls[i], fltest::nth_at(calls, i), EIO);
      std::string msg;
      const Status s = status_of(timed_out_wait, &msg);
      syscalls::clear();
      if (s != Status::ok && s != Status::timeout) {
        EXPECT_TRUE(names_path_and_reason(msg, dir.path())) << msg;
      }
      EXPECT_NE(s, Status::ok);  // never acquired while held elsewhere
    }
    // Nothing of this process holds it or waits for it: another process gets it at once.
    EXPECT_EQ(lock_elsewhere(path, backend, 5000), Status::ok);
    EXPECT_EQ(entries(dir.path()), clean_names);
  }
}

// --- A wait's own objects: its wake-up, its directory, its watch ------------------

class WaitObjects : public ::testing::TestWithParam<Backend> {};

// The wake-up a wait sleeps on cannot be made: the lock call fails cleanly, naming the
// operation and the lock, and holds nothing.
TEST_P(WaitObjects, AWakeUpThatCannotBeMadeFailsTheWaitCleanly) {
  const Backend backend = GetParam();
  fltest::TempDir dir, signals;
  const std::string path = dir.file("data");
  const std::string go = signals.file("go");
  {
    Holder holder(path, backend, go);
    ASSERT_TRUE(holder.locked());
    syscalls::fail(Syscall::wakeup, 1, EMFILE);
    std::string msg;
    const Status s = status_of([&] { Lock::open(path, options_for(backend))->lock(LockMode::exclusive, 5000); }, &msg);
    syscalls::clear();
    EXPECT_EQ(s, Status::io) << msg;
    EXPECT_NE(msg.find("create wake-up event"), std::string::npos) << msg;
    EXPECT_NE(msg.find(dir.path()), std::string::npos) << msg;
    EXPECT_NE(msg.find("errno " + std::to_string(EMFILE)), std::string::npos) << msg;
  }
  EXPECT_EQ(lock_elsewhere(path, backend, 5000), Status::ok);
  // Once the system can make one again, a wait gets the lock.
  auto lock = Lock::open(path, options_for(backend));
  EXPECT_EQ(status_of([&] { lock->lock(LockMode::exclusive, 5000); }), Status::ok);
}

// A name lock's directory cannot be resolved: the open fails naming the operation and the
// directory.
TEST(WaitObjectsNameLock, ADirectoryThatCannotBeResolvedFailsTheOpenCleanly) {
  fltest::TempDir dir;
  const std::string path = dir.file("data");
  syscalls::fail(Syscall::realpath, 1, EACCES, true);
  std::string msg;
  const Status s = status_of([&] { Lock::open(path, options_for(Backend::lockfile))->lock(LockMode::exclusive, 0); }, &msg);
  syscalls::clear();
  EXPECT_EQ(s, Status::permission) << msg;
  EXPECT_NE(msg.find("resolve directory '" + dir.path()), std::string::npos) << msg;
  EXPECT_NE(msg.find("errno " + std::to_string(EACCES)), std::string::npos) << msg;
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{});
}

// No directory watch can be made (a watch limit): a name lock's wait falls back to
// re-checking every retry interval and still gets the lock once its holder lets go.
TEST(WaitObjectsNameLock, AWaitWithoutAWatchStillSeesTheRelease) {
  for (const Syscall failing : {Syscall::watch, Syscall::watch_add}) {
    SCOPED_TRACE(platform::syscall_name(failing));
    fltest::TempDir dir, signals;
    const std::string path = dir.file("data");
    Holder holder(path, Backend::lockfile, signals.file("go"));
    ASSERT_TRUE(holder.locked());
    auto lock = Lock::open(path, options_for(Backend::lockfile));
    syscalls::fail(failing, 1, ENOSPC, true);
    SyscallRecording rec;
    std::thread releaser([&] { holder.release(); });
    const Status s = status_of([&] { lock->lock(LockMode::exclusive, 20000); });
    rec.stop();
    syscalls::clear();
    releaser.join();
    EXPECT_EQ(s, Status::ok);
    EXPECT_GT(fltest::nth_call(rec.calls, failing), 0) << fltest::call_list(rec.calls);
    lock->unlock();
  }
}

// --- Inspection: query, scan and clean-up ------------------------------------------

class InspectCalls : public ::testing::TestWithParam<Backend> {};

TEST_P(InspectCalls, EveryCallOfInspectingAHeldLockGoesThroughTheTableAndCanFail) {
  const Backend backend = GetParam();
  fltest::TempDir dir, signals;
  const std::string path = dir.file("data");
  const std::string go = signals.file("go");
  auto inspect = [&] {
    const LockReport report = query_lock(path, options_for(backend));
    EXPECT_EQ(report.exists, 1);
    scan_locks(dir.path());
    clean_stale_locks(dir.path(), 0);
  };
  // One holder throughout: inspection must neither take its lock nor remove its files.
  Holder holder(path, backend, go);
  ASSERT_TRUE(holder.locked());
  inspect();  // warms what is computed once per process
  const std::vector<Syscall> calls = fltest::record_calls([&] {
    EXPECT_TRUE(query_lock(path, options_for(backend)).locked);
    const ScanReport scan = scan_locks(dir.path());
    EXPECT_EQ(scan.locks.size(), 1u);
    const CleanReport clean = clean_stale_locks(dir.path(), 0);
    EXPECT_TRUE(clean.removed.empty() && clean.errors.empty());
  });
  const std::vector<std::string> clean_names = entries(dir.path());
  // The holder is probed: a lock call (a probe, or the name lock's entry lock probe) or
  // the kernel's own list.
  EXPECT_GT(fltest::nth_call(calls, Syscall::lock) + fltest::nth_call(calls, Syscall::read), 0)
      << fltest::call_list(calls);

  for (size_t i = 0; i < calls.size(); ++i) {
    SCOPED_TRACE(trace(calls, i));
    syscalls::fail(calls[i], fltest::nth_at(calls, i), EIO);
    std::string msg;
    LockReport query;
    CleanReport clean;
    bool queried = false;
    const Status s = status_of(
        [&] {
          query = query_lock(path, options_for(backend));
          queried = true;
          scan_locks(dir.path());
          clean = clean_stale_locks(dir.path(), 0);
        },
        &msg);
    syscalls::clear();
    if (s != Status::ok) {
      EXPECT_TRUE(names_path_and_reason(msg, dir.path())) << msg;
    }
    // A query that answers is right: where the kernel's list cannot be read, the
    // lock is probed instead.
    if (queried) {
      EXPECT_TRUE(query.locked && query.exclusive) << query.locked << query.exclusive;
    }
    for (const auto &e : clean.errors) EXPECT_TRUE(names_path_and_reason(e.text, dir.path())) << e.text;
    EXPECT_TRUE(clean.removed.empty());  // a held lock is never removed
    EXPECT_EQ(entries(dir.path()), clean_names);
  }
  // No probe kept a lock: once the holder lets go, another process gets it at once.
  holder.release();
  EXPECT_EQ(lock_elsewhere(path, backend, 5000), Status::ok);
}

TEST(InspectCalls, EveryCallOfRemovingAnUnheldLeftoverGoesThroughTheTableAndCanFail) {
  fltest::TempDir dir;
  const std::string path = dir.file("data");
  auto leave_lock_file = [&] {
    Lock::open(path, options_for(Backend::flock))->lock(LockMode::exclusive, kNoWait);
  };
  leave_lock_file();
  const std::vector<std::string> left = entries(dir.path());
  ASSERT_FALSE(left.empty());
  std::vector<Syscall> calls = fltest::record_calls([&] {
    const CleanReport clean = clean_stale_locks(dir.path(), 0);
    EXPECT_EQ(clean.removed.size(), 1u);
  });
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{});
  EXPECT_GT(fltest::nth_call(calls, Syscall::unlink), 0) << fltest::call_list(calls);

  for (size_t i = 0; i < calls.size(); ++i) {
    SCOPED_TRACE(trace(calls, i));
    leave_lock_file();
    syscalls::fail(calls[i], fltest::nth_at(calls, i), EIO);
    std::string msg;
    CleanReport clean;
    const Status s = status_of([&] { clean = clean_stale_locks(dir.path(), 0); }, &msg);
    syscalls::clear();
    if (s != Status::ok) {
      EXPECT_TRUE(names_path_and_reason(msg, dir.path())) << msg;
    }
    for (const auto &e : clean.errors) EXPECT_TRUE(names_path_and_reason(e.text, dir.path())) << e.text;
    // Removed, or left whole; nothing is held: the next clean-up removes it.
    const std::vector<std::string> now = entries(dir.path());
    EXPECT_TRUE(now.empty() || now == left) << now.size();
    EXPECT_EQ(status_of([&] { clean_stale_locks(dir.path(), 0); }), Status::ok);
    EXPECT_EQ(entries(dir.path()), std::vector<std::string>{});
  }
}

std::string backend_name(const ::testing::TestParamInfo<Backend> &info) {
  switch (info.param) {
    case Backend::automatic: return "auto";
    case Backend::flock: return "flock";
    case Backend::ofd: return "ofd";
    case Backend::posix: return "posix";
    case Backend::lockfile: return "lockfile";
    default: return "lockdir";
  }
}

#ifdef __linux__
// Acquiring checks the lock file is still linked after each lock call, then writes the
// holder record. Asking for the file's ctime there (fstat) would, on kernels that give a
// file fine-grained timestamps once they are read (6.13+), make every record write update
// the inode through the journal: a third of an uncontended lock+unlock.
class KernelAcquisition : public ::testing::TestWithParam<Backend> {};

TEST_P(KernelAcquisition, ReadsNoTimestamps) {
  fltest::TempDir dir;
  auto lock = Lock::open(dir.file("data"), options_for(GetParam()));
  auto other = Lock::open(dir.file("data"), options_for(GetParam()));
  fltest::libc_reset();
  fltest::libc_counting(true);
  for (int i = 0; i < 3; ++i) {
    lock->lock(LockMode::exclusive, 0);
    lock->unlock();
  }
  // A wait that ends acquired: another handle of this process lets go meanwhile.
  other->lock(LockMode::exclusive, 0);
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    other->unlock();
  });
  lock->lock(LockMode::exclusive, 5000);
  releaser.join();
  lock->unlock();
  fltest::libc_counting(false);
  EXPECT_GT(fltest::libc_count(Syscall::stat), 0) << "no stat was counted: this check proves nothing";
  EXPECT_EQ(fltest::libc_timestamp_queries(), 0);
  std::ifstream record(dir.file("data.lock"));
  const std::string text((std::istreambuf_iterator<char>(record)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("\"pid\":"), std::string::npos) << "no holder record was written";
}

INSTANTIATE_TEST_SUITE_P(Backends, KernelAcquisition,
                         ::testing::Values(Backend::automatic, Backend::flock, Backend::ofd,
                                           Backend::posix),
                         backend_name);
#endif

INSTANTIATE_TEST_SUITE_P(Backends, WaitCalls,
                         ::testing::Values(Backend::flock,
#ifdef __linux__
                                           Backend::ofd,
#endif
                                           Backend::posix, Backend::lockfile, Backend::lockdir),
                         backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, WaitObjects,
                         ::testing::Values(Backend::flock,
#ifdef __linux__
                                           Backend::ofd,
#endif
                                           Backend::posix, Backend::lockfile, Backend::lockdir),
                         backend_name);
INSTANTIATE_TEST_SUITE_P(Backends, InspectCalls,
                         ::testing::Values(Backend::flock,
#ifdef __linux__
                                           Backend::ofd,
#endif
                                           Backend::posix, Backend::lockfile),
                         backend_name);

}  // namespace
}  // namespace filelock
