// fl_query / fl_scan / fl_clean_stale at the core: holders seen without disturbing them,
// dead lock-file-backend holders reported stale, cleaning safe against acquirers.
// Symlinks and FIFOs as lock files are in inspect_posix_test.cpp.
#include <gtest/gtest.h>

#include <cjson/cJSON.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>
#include <memory>

#include "lock/holder_record.hpp"
#include "lock/lock_inspect.hpp"
#include "lock/lock_entry.hpp"
#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;
using locktest::open_lock;
using locktest::status_of;

namespace {

using locktest::Json;

bool is_true(const cJSON *v) { return cJSON_IsTrue(v); }
std::string str(const cJSON *v) { return cJSON_IsString(v) ? v->valuestring : "<not a string>"; }
double num(const cJSON *v) { return cJSON_IsNumber(v) ? v->valuedouble : -12345; }

const cJSON *find_lock(const Json &report, const char *list, const std::string &lock_path) {
  const cJSON *item;
  cJSON_ArrayForEach(item, report.get(list)) {
    if (str(cJSON_GetObjectItem(item, "lock_path")) == lock_path) return item;
  }
  return nullptr;
}

// Linux lists every holder of a kernel lock (/proc/locks). Windows has no such list:
// there "holders" stays empty, and the mode and the recorded holder come from probing.
#ifdef _WIN32
constexpr bool kKernelHoldersListed = false;
const Backend kKernelBackends[] = {Backend::flock};  // OFD locks are Linux's
#else
constexpr bool kKernelHoldersListed = true;
const Backend kKernelBackends[] = {Backend::flock, Backend::ofd};
#endif

using locktest::with_backend;

TEST(Inspect, QueryShowsAnotherProcessAsHolder) {
  fltest::TempDir dir;
  for (Backend b : kKernelBackends) {
    auto p = fltest::spawn_helper("hold", {dir.file("x"), "exclusive", "60000",
                                           std::to_string(static_cast<int>(b))});
    ASSERT_EQ(fltest::read_line(p), "locked");
    Json q(locktest::query_json(dir.file("x"), with_backend(b)));
    EXPECT_TRUE(is_true(q.get("locked"))) << q.text;
    EXPECT_EQ(str(q.get("mode")), "exclusive") << q.text;
    EXPECT_EQ(cJSON_GetArraySize(q.get("holders")), kKernelHoldersListed ? 1 : 0) << q.text;
    EXPECT_EQ(num(cJSON_GetObjectItem(q.get("holder"), "pid")), static_cast<double>(p.pid)) << q.text;
    EXPECT_TRUE(is_true(q.get("alive"))) << q.text;
    fltest::kill_hard(p);
    fltest::wait_exit(p);
    Json after(locktest::query_json(dir.file("x"), with_backend(b)));
    EXPECT_FALSE(is_true(after.get("locked"))) << after.text;
    EXPECT_TRUE(cJSON_IsNull(after.get("holder"))) << after.text;  // old record not shown
  }
}

TEST(Inspect, QueryDoesNotDisturbAWaiterOrHolder) {
  fltest::TempDir dir;
  auto a = open_lock(dir.file("x"));
  a->lock(LockMode::shared, 0);
  auto b = open_lock(dir.file("x"));
  b->lock(LockMode::shared, 0);
  Json q(locktest::query_json(dir.file("x"), {}));
  EXPECT_EQ(str(q.get("mode")), "shared") << q.text;
  EXPECT_EQ(cJSON_GetArraySize(q.get("holders")), kKernelHoldersListed ? 2 : 0) << q.text;
  EXPECT_TRUE(cJSON_IsNull(q.get("holder"))) << q.text;
  EXPECT_TRUE(a->locked());
  EXPECT_TRUE(b->locked());
}

TEST(Inspect, QueryOfMissingLock) {
  fltest::TempDir dir;
  Json q(locktest::query_json(dir.file("nothing"), {}));
  EXPECT_FALSE(is_true(q.get("exists"))) << q.text;
  EXPECT_FALSE(is_true(q.get("locked"))) << q.text;
  EXPECT_EQ(str(q.get("lock_path")), dir.file("nothing.lock"));
}

TEST(Inspect, QueryReportsDeadLockFileHolderAsStale) {
  fltest::TempDir dir;
  auto p = fltest::spawn_helper("hold", {dir.file("x"), "exclusive", "60000",
                                         std::to_string(static_cast<int>(Backend::lockfile))});
  ASSERT_EQ(fltest::read_line(p), "locked");
  Json live(locktest::query_json(dir.file("x"), with_backend(Backend::lockfile)));
  EXPECT_TRUE(is_true(live.get("alive"))) << live.text;
  EXPECT_FALSE(is_true(live.get("stale"))) << live.text;
  fltest::kill_hard(p);
  fltest::wait_exit(p);
  Json dead(locktest::query_json(dir.file("x"), with_backend(Backend::lockfile)));
  EXPECT_TRUE(is_true(dead.get("locked"))) << dead.text;
  EXPECT_FALSE(is_true(dead.get("alive"))) << dead.text;
  EXPECT_TRUE(is_true(dead.get("stale"))) << dead.text;
  EXPECT_EQ(num(cJSON_GetObjectItem(dead.get("holder"), "pid")), static_cast<double>(p.pid));
}

TEST(Inspect, ScanAndCleanStale) {
  fltest::TempDir dir;
  auto held = open_lock(dir.file("held"));
  held->lock(LockMode::exclusive, 0);
  open_lock(dir.file("free"))->lock(LockMode::exclusive, 0);  // closed: free, record left
  auto p = fltest::spawn_helper("hold", {dir.file("dead"), "exclusive", "60000",
                                         std::to_string(static_cast<int>(Backend::lockdir))});
  ASSERT_EQ(fltest::read_line(p), "locked");
  fltest::kill_hard(p);
  fltest::wait_exit(p);
  { std::ofstream(dir.file("foreign.lock")) << "not ours"; }
  { std::ofstream(dir.file("notes.txt")) << "no lock"; }

  Json scan(locktest::scan_json(dir.path()));
  EXPECT_EQ(cJSON_GetArraySize(scan.get("locks")), 3) << scan.text;
  const cJSON *h = find_lock(scan, "locks", dir.file("held.lock"));
  ASSERT_NE(h, nullptr) << scan.text;
  EXPECT_TRUE(is_true(cJSON_GetObjectItem(h, "locked")));
  const cJSON *f = find_lock(scan, "locks", dir.file("free.lock"));
  ASSERT_NE(f, nullptr) << scan.text;
  EXPECT_FALSE(is_true(cJSON_GetObjectItem(f, "locked")));
  const cJSON *d = find_lock(scan, "locks", dir.file("dead.lock"));
  ASSERT_NE(d, nullptr) << scan.text;
  EXPECT_EQ(str(cJSON_GetObjectItem(d, "backend")), "lockdir");
  EXPECT_TRUE(is_true(cJSON_GetObjectItem(d, "stale")));

  Json young(locktest::clean_json(dir.path(), 3600 * 1000));
  EXPECT_EQ(cJSON_GetArraySize(young.get("removed")), 0) << young.text;

  Json clean(locktest::clean_json(dir.path(), 0));
  EXPECT_NE(find_lock(clean, "removed", dir.file("free.lock")), nullptr) << clean.text;
  EXPECT_NE(find_lock(clean, "removed", dir.file("dead.lock")), nullptr) << clean.text;
  EXPECT_NE(find_lock(clean, "kept", dir.file("held.lock")), nullptr) << clean.text;
  EXPECT_NE(find_lock(clean, "kept", dir.file("foreign.lock")), nullptr) << clean.text;
  EXPECT_EQ(access(dir.file("free.lock").c_str(), F_OK), -1);
  EXPECT_EQ(access(dir.file("dead.lock").c_str(), F_OK), -1);
  EXPECT_EQ(access(dir.file("held.lock").c_str(), F_OK), 0);
  EXPECT_EQ(access(dir.file("foreign.lock").c_str(), F_OK), 0);
  EXPECT_TRUE(held->locked());
}

// Acquirers in several processes, each opening a fresh handle per update, while the
// lock file is removed again and again: a lost update means two held the lock at once.
TEST(Inspect, CleanStaleRacingAcquirersLosesNoUpdate) {
  fltest::TempDir dir;
  const int kProcs = 3, kIters = 150;
  std::vector<fltest::Process> procs;
  for (int i = 0; i < kProcs; ++i)
    procs.push_back(fltest::spawn_helper("increment", {dir.file("data"), dir.file("counter"),
                                                       std::to_string(kIters)}));
  // The helpers' lock files live beside "data"; clean that directory until they finish.
  auto counter = [&] {
    long value = 0;
    std::ifstream in(dir.file("counter"));
    in >> value;
    return value;
  };
  int removed = 0;
  const int64_t start = locktest::mono_ns();
  while (counter() < kProcs * kIters && locktest::elapsed_ms_since(start) < 20000) {
    for (int i = 0; i < 20; ++i) {
      Json r(locktest::clean_json(dir.path(), 0));
      removed += cJSON_GetArraySize(r.get("removed"));
    }
  }
  for (auto &p : procs) {
    EXPECT_EQ(fltest::read_line(p), "done");
    EXPECT_EQ(fltest::wait_exit(p), 0);
  }
  EXPECT_EQ(counter(), kProcs * kIters);
  EXPECT_GT(removed, 0) << "the race was never exercised";
}

// Labels reach JSON documents and terminals: bytes that are not UTF-8 and control
// characters (escape sequences) are refused at open, naming the option.
TEST(Inspect, OwnerThatIsNotPrintableUtf8IsRefused) {
  fltest::TempDir dir;
  for (const char *bad : {"\xff\xfe", "ok\x1b[31mred", "tab\there", "\xc0\xaf", "\xed\xa0\x80",
                          "c1\xc2\x9b"}) {
    LockOptions o;
    o.owner = bad;
    try {
      open_lock(dir.file("x"), o);
      ADD_FAILURE() << "accepted owner " << bad;
    } catch (const filelock::Error &e) {
      EXPECT_EQ(e.status(), Status::invalid);
      EXPECT_NE(std::string(e.what()).find("'owner'"), std::string::npos) << e.what();
    }
  }
  LockOptions ok;
  ok.owner = "Zo\xc3\xab's worker \xe2\x9c\x93";
  EXPECT_EQ(status_of([&] { open_lock(dir.file("x"), ok)->lock(LockMode::exclusive, 0); }),
            Status::ok);
}

// A record written by an older version or another program may hold any bytes: query and
// scan still produce valid UTF-8 JSON, with such bytes replaced by U+FFFD.
TEST(Inspect, ForeignRecordBytesStillGiveValidJson) {
  fltest::TempDir dir;
  auto self = filelock::platform::self_identity();
  const std::string rec =
      filelock::HolderRecordTemplate(self, "bad\xff\x1b[2Jowner", "lockfile").render(1);
  { std::ofstream(dir.file("x.lock")) << rec; }
  for (const std::string &text : {locktest::query_json(dir.file("x"), with_backend(Backend::lockfile)),
                                  locktest::scan_json(dir.path())}) {
    EXPECT_EQ(text.find('\xff'), std::string::npos) << text;
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
    EXPECT_EQ(text.find("\\u001b"), std::string::npos) << text;
    EXPECT_NE(text.find("bad\xef\xbf\xbd\xef\xbf\xbd[2Jowner"), std::string::npos) << text;
    Json parsed(text);
    EXPECT_NE(parsed.root, nullptr) << text;
  }
}

// "dir/" would lock "dir/.lock" and "dir" would lock "dir.lock": both refused.
TEST(Inspect, DirectoryPathsAreRefused) {
  fltest::TempDir dir;
  ASSERT_EQ(mkdir(dir.file("sub").c_str(), 0755), 0);
  for (const std::string &path : {dir.file("sub"), dir.file("sub/"), dir.file("nothing/")}) {
    try {
      open_lock(path);
      ADD_FAILURE() << "accepted " << path;
    } catch (const filelock::Error &e) {
      EXPECT_EQ(e.status(), Status::invalid);
      EXPECT_NE(std::string(e.what()).find("directory"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(access(dir.file("sub.lock").c_str(), F_OK), -1);
  EXPECT_EQ(access(dir.file("sub/.lock").c_str(), F_OK), -1);
}

// A bare lock directory (crash before its record was written) is removed by cleaning
// only once older than the grace period; a young one may be a lock being made.
TEST(Inspect, CleanRemovesBareLockDirectoryOnlyAfterTheGracePeriod) {
  fltest::TempDir dir;
  ASSERT_EQ(mkdir(dir.file("bare.lock").c_str(), 0755), 0);
  { std::ofstream(dir.file("empty.lock")); }
  Json young(locktest::clean_json(dir.path(), 0));
  EXPECT_NE(find_lock(young, "kept", dir.file("bare.lock")), nullptr) << young.text;
  EXPECT_NE(find_lock(young, "kept", dir.file("empty.lock")), nullptr) << young.text;
  const int past_grace = filelock::kOrphanGraceMs / 1000 + 2;
  ASSERT_TRUE(fltest::backdate(dir.file("bare.lock"), past_grace));
  ASSERT_TRUE(fltest::backdate(dir.file("empty.lock"), past_grace));
  Json old(locktest::clean_json(dir.path(), 0));
  EXPECT_NE(find_lock(old, "removed", dir.file("bare.lock")), nullptr) << old.text;
  EXPECT_NE(find_lock(old, "removed", dir.file("empty.lock")), nullptr) << old.text;
  EXPECT_EQ(access(dir.file("bare.lock").c_str(), F_OK), -1);
  EXPECT_EQ(access(dir.file("empty.lock").c_str(), F_OK), -1);
}

}  // namespace
