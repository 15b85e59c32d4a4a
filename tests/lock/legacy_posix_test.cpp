// Lock files left by the scripts filelock replaces (legacy_record.hpp): a bare pid, pid=
// and locked_at= lines, or a directory holding a pid file. Their holders are real
// processes: a running `sleep` (kept) and a child that exited and was reaped (broken).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>
#include <tuple>

#include "lock/lock_inspect.hpp"
#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::Status;
using locktest::Json;
using locktest::open_lock;
using locktest::slurp;
using locktest::with_backend;

namespace {

enum class Format { bare_pid, pid_locked_at, pid_directory };

const char *format_name(Format f) {
  return f == Format::bare_pid        ? "bare-pid"
         : f == Format::pid_locked_at ? "pid-locked_at"
                                      : "pid-directory";
}

// What a busy or timeout message must say about the format.
const char *format_phrase(Format f) {
  return f == Format::bare_pid        ? "legacy lock file (bare pid)"
         : f == Format::pid_locked_at ? "legacy lock file (pid=/locked_at= lines)"
                                      : "legacy lock directory (holding a pid file)";
}

// A running process that holds nothing: its pid is what a legacy lock file records.
struct LiveProcess {
  LiveProcess() {
    pid = ::fork();
    if (pid == 0) {
      ::execlp("sleep", "sleep", "300", static_cast<char *>(nullptr));
      ::_exit(127);
    }
  }
  ~LiveProcess() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
  pid_t pid;
};

// The pid of a child that has exited and been reaped: no process has it now.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

// Writes the legacy lock for `path` (at "<path>.lock") as the seeds' scripts do.
void write_legacy(const std::string &path, Format f, pid_t pid) {
  const std::string lock = path + ".lock";
  if (f == Format::pid_directory) {
    ASSERT_EQ(::mkdir(lock.c_str(), 0755), 0);
    std::ofstream(lock + "/pid") << pid;
  } else if (f == Format::bare_pid) {
    std::ofstream(lock) << pid;
  } else {
    std::ofstream(lock) << "pid=" << pid << "\nlocked_at=1764950000.123456\n";
  }
}

bool exists(const std::string &path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

// Opens and locks; the Error it fails with (status ok and empty text on success).
struct Attempt {
  Status status = Status::ok;
  std::string message;
};
Attempt try_lock(const std::string &path, Backend b, int64_t timeout_ms) {
  Attempt a;
  try {
    auto lock = open_lock(path, with_backend(b));
    lock->lock(LockMode::exclusive, timeout_ms);
    lock->unlock();
  } catch (const filelock::Error &e) {
    a.status = e.status();
    a.message = e.what();
  }
  return a;
}

class Legacy : public ::testing::TestWithParam<std::tuple<Backend, Format>> {
 protected:
  Backend backend() const { return std::get<0>(GetParam()); }
  Format format() const { return std::get<1>(GetParam()); }
  fltest::TempDir dir;
};

// A live pid keeps the lock: busy at once, or a timeout after waiting, each naming the
// format and the pid; the legacy entry is left as it was.
TEST_P(Legacy, LivePidKeepsTheLock) {
  LiveProcess holder;
  const std::string path = dir.file("data");
  write_legacy(path, format(), holder.pid);
  const std::string before = format() == Format::pid_directory ? slurp(path + ".lock/pid")
                                                               : slurp(path + ".lock");
  const std::string pid_text = "pid " + std::to_string(holder.pid);

  Attempt now = try_lock(path, backend(), 0);
  EXPECT_EQ(now.status, Status::busy) << now.message;
  EXPECT_NE(now.message.find(format_phrase(format())), std::string::npos) << now.message;
  EXPECT_NE(now.message.find(pid_text), std::string::npos) << now.message;

  // A directory cannot carry a kernel lock: the kernel backends refuse it at open.
  const bool refused_at_open = format() == Format::pid_directory &&
                               backend() != Backend::lockfile && backend() != Backend::lockdir;
  Attempt waited = try_lock(path, backend(), 300);
  EXPECT_EQ(waited.status, refused_at_open ? Status::busy : Status::timeout) << waited.message;
  EXPECT_NE(waited.message.find(pid_text), std::string::npos) << waited.message;

  // Locked as a file of its own (no sidecar), the same bytes are user data, not a lock.
  if (format() != Format::pid_directory && backend() != Backend::lockfile &&
      backend() != Backend::lockdir) {
    filelock::LockOptions own = with_backend(backend());
    own.sidecar = false;
    auto lock = open_lock(path + ".lock", own);
    EXPECT_EQ(locktest::status_of([&] { lock->lock(LockMode::exclusive, 0); }), Status::ok);
  }

  if (format() == Format::pid_directory) {
    EXPECT_EQ(slurp(path + ".lock/pid"), before);
  } else {
    EXPECT_EQ(slurp(path + ".lock"), before);
  }
}

// A dead pid's lock is broken (name-lock backends) or taken over (kernel backends).
TEST_P(Legacy, DeadPidIsBroken) {
  const std::string path = dir.file("data");
  write_legacy(path, format(), dead_pid());
  auto lock = open_lock(path, with_backend(backend()));
  lock->lock(LockMode::exclusive, 0);
  EXPECT_TRUE(lock->locked());
  // Whoever comes next meets this holder, not the legacy one.
  Attempt other = try_lock(path, backend(), 0);
  EXPECT_EQ(other.status, Status::busy);
  EXPECT_EQ(other.message.find("legacy"), std::string::npos) << other.message;
  lock->unlock();
}

// A waiter gets the lock once the old script removes its lock (as it does on release).
TEST_P(Legacy, WaiterGetsTheLockWhenTheLegacyHolderReleases) {
  if (format() == Format::pid_directory && backend() != Backend::lockfile &&
      backend() != Backend::lockdir)
    GTEST_SKIP() << "kernel backends refuse a live lock directory at open (tested above)";
  LiveProcess holder;
  const std::string path = dir.file("data");
  write_legacy(path, format(), holder.pid);
  auto lock = open_lock(path, with_backend(backend()));
  std::atomic<bool> released{false};
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::string lock_path = path + ".lock";
    released = true;
    if (format() == Format::pid_directory) {
      ::unlink((lock_path + "/pid").c_str());
      ::rmdir(lock_path.c_str());
    } else {
      ::unlink(lock_path.c_str());
    }
  });
  Attempt a;
  bool got_before_release = false;
  try {
    lock->lock(LockMode::exclusive, 20000);
    got_before_release = !released;
  } catch (const filelock::Error &e) {
    a.status = e.status();
    a.message = e.what();
  }
  release.join();
  EXPECT_EQ(a.status, Status::ok) << a.message;
  EXPECT_FALSE(got_before_release) << "took the lock while the legacy holder still had it";
  if (lock->locked()) lock->unlock();
}

INSTANTIATE_TEST_SUITE_P(
    AllBackends, Legacy,
    ::testing::Combine(::testing::Values(Backend::flock, Backend::ofd, Backend::posix,
                                         Backend::lockfile, Backend::lockdir),
                       ::testing::Values(Format::bare_pid, Format::pid_locked_at,
                                         Format::pid_directory)),
    [](const ::testing::TestParamInfo<std::tuple<Backend, Format>> &info) {
      std::string f = format_name(std::get<1>(info.param));
      for (char &c : f)
        if (c == '-') c = '_';
      return locktest::backend_label(std::get<0>(info.param)) + "_" + f;
    });

// fl_scan lists each legacy lock with its format and pid; fl_clean_stale removes only
// those whose pid is dead, and says why it kept the others.
TEST(LegacyInspect, ScanListsAndCleanRemovesOnlyDeadOnes) {
  fltest::TempDir dir;
  LiveProcess holder;
  const pid_t gone = dead_pid();
  const Format formats[] = {Format::bare_pid, Format::pid_locked_at, Format::pid_directory};
  for (Format f : formats) {
    write_legacy(dir.file(std::string("live-") + format_name(f)), f, holder.pid);
    write_legacy(dir.file(std::string("dead-") + format_name(f)), f, gone);
  }
  // Look-alikes of a dead pid are not legacy locks: never listed, broken or removed.
  std::ofstream(dir.file("other-a.lock")) << "pid=" << gone << "\nuser=bob\n";
  std::ofstream(dir.file("other-b.lock")) << gone << " extra";
  ASSERT_EQ(::mkdir(dir.file("other-c.lock").c_str(), 0755), 0);
  std::ofstream(dir.file("other-c.lock") + "/pid") << gone;
  std::ofstream(dir.file("other-c.lock") + "/other") << "x";
  for (const char *name : {"other-a", "other-b", "other-c"})
    EXPECT_EQ(try_lock(dir.file(name), Backend::lockfile, 0).status, Status::busy) << name;

  Json scan(locktest::scan_json(dir.path()));
  cJSON *locks = scan.get("locks");
  ASSERT_EQ(cJSON_GetArraySize(locks), 6) << scan.text;
  cJSON *item = nullptr;
  cJSON_ArrayForEach(item, locks) {
    const std::string lock_path = cJSON_GetObjectItem(item, "lock_path")->valuestring;
    const bool live = lock_path.find("/live-") != std::string::npos;
    EXPECT_STREQ(cJSON_GetObjectItem(item, "backend")->valuestring, "legacy") << scan.text;
    const std::string format = cJSON_GetObjectItem(item, "format")->valuestring;
    EXPECT_NE(lock_path.find(format + ".lock"), std::string::npos) << scan.text;
    EXPECT_EQ(cJSON_GetObjectItem(cJSON_GetObjectItem(item, "holder"), "pid")->valueint,
              live ? holder.pid : gone) << scan.text;
    EXPECT_EQ(cJSON_IsTrue(cJSON_GetObjectItem(item, "stale")), !live) << scan.text;
    EXPECT_EQ(cJSON_IsTrue(cJSON_GetObjectItem(item, "alive")), live) << scan.text;
  }

  Json clean(locktest::clean_json(dir.path(), 0));
  EXPECT_EQ(cJSON_GetArraySize(clean.get("removed")), 3) << clean.text;
  EXPECT_EQ(cJSON_GetArraySize(clean.get("kept")), 6) << clean.text;
  EXPECT_EQ(cJSON_GetArraySize(clean.get("errors")), 0) << clean.text;
  cJSON_ArrayForEach(item, clean.get("kept")) {
    const std::string reason = cJSON_GetObjectItem(item, "reason")->valuestring;
    if (std::string(cJSON_GetObjectItem(item, "lock_path")->valuestring).find("/other-") !=
        std::string::npos) {
      EXPECT_EQ(reason, "not a lock file made by filelock");
      continue;
    }
    EXPECT_NE(reason.find("pid " + std::to_string(holder.pid)), std::string::npos) << reason;
    EXPECT_NE(reason.find("legacy lock"), std::string::npos) << reason;
  }
  for (Format f : formats) {
    EXPECT_TRUE(exists(dir.file(std::string("live-") + format_name(f) + ".lock")));
    EXPECT_FALSE(exists(dir.file(std::string("dead-") + format_name(f) + ".lock")));
  }
  for (const char *name : {"other-a.lock", "other-b.lock", "other-c.lock"})
    EXPECT_TRUE(exists(dir.file(name))) << name;
}

// A dead pid's lock younger than min_age_ms stays; the age comes from locked_at when
// the file records it.
TEST(LegacyInspect, CleanHonoursMinAge) {
  fltest::TempDir dir;
  const pid_t gone = dead_pid();
  write_legacy(dir.file("young"), Format::bare_pid, gone);
  write_legacy(dir.file("old"), Format::pid_locked_at, gone);  // locked_at long ago
  Json clean(locktest::clean_json(dir.path(), 3600 * 1000));
  ASSERT_EQ(cJSON_GetArraySize(clean.get("removed")), 1) << clean.text;
  EXPECT_NE(std::string(cJSON_GetArrayItem(clean.get("removed"), 0)->child->valuestring)
                .find("old.lock"),
            std::string::npos)
      << clean.text;
  EXPECT_TRUE(exists(dir.file("young.lock")));
}

// A breaker killed after moving a legacy lock aside leaves "<lock>.breaking-<hex>":
// removed when its pid is dead, kept while it names a process.
TEST(LegacyInspect, LegacyLockLeftAsideByACrashedBreaker) {
  fltest::TempDir dir;
  LiveProcess holder;
  const std::string dead = dir.file("a.lock.breaking-0123456789abcdef");
  const std::string live = dir.file("b.lock.breaking-0123456789abcdef");
  std::ofstream(dead) << dead_pid();
  ASSERT_EQ(::mkdir(live.c_str(), 0755), 0);
  std::ofstream(live + "/pid") << holder.pid;

  Json scan(locktest::scan_json(dir.path()));
  ASSERT_EQ(cJSON_GetArraySize(scan.get("leftovers")), 2) << scan.text;
  cJSON *item = nullptr;
  cJSON_ArrayForEach(item, scan.get("leftovers")) {
    const bool is_dead = std::string(cJSON_GetObjectItem(item, "path")->valuestring) == dead;
    EXPECT_EQ(cJSON_IsTrue(cJSON_GetObjectItem(item, "stale")), is_dead) << scan.text;
  }
  Json clean(locktest::clean_json(dir.path(), 0));
  ASSERT_EQ(cJSON_GetArraySize(clean.get("removed")), 1) << clean.text;
  ASSERT_EQ(cJSON_GetArraySize(clean.get("kept")), 1) << clean.text;
  const std::string reason =
      cJSON_GetObjectItem(cJSON_GetArrayItem(clean.get("kept"), 0), "reason")->valuestring;
  EXPECT_NE(reason.find("pid " + std::to_string(holder.pid)), std::string::npos) << reason;
  EXPECT_FALSE(exists(dead));
  EXPECT_TRUE(exists(live + "/pid"));
}

}  // namespace
