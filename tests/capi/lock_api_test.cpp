#include <gtest/gtest.h>

#include <cerrno>
#include <cstddef>
#include <string>
#include <thread>

#include <unistd.h>

#include "filelock.h"
#include "support.hpp"

namespace {

struct Handle {
  fl_handle *h = nullptr;
  ~Handle() { fl_close(h); }
};

TEST(CapiLock, OptionsInitSetsSizeAndDefaults) {
  fl_lock_options o;
  fl_lock_options_init(&o);
  EXPECT_EQ(o.size, sizeof(fl_lock_options));
  EXPECT_EQ(o.backend, FL_BACKEND_AUTO);
  EXPECT_EQ(o.lock_dir, nullptr);
  EXPECT_EQ(o.sidecar, 1);
  EXPECT_EQ(o.file_mode, 0644u);
  EXPECT_EQ(o.record_holder, 1);
  EXPECT_EQ(o.retry_interval_ms, 100);
  EXPECT_EQ(o.stale_after_ms, 0);
}

TEST(CapiLock, LockUnlockAndState) {
  fltest::TempDir dir;
  Handle a, b;
  ASSERT_EQ(fl_open(&a.h, dir.file("x").c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_open(&b.h, dir.file("x").c_str(), nullptr), FL_OK);
  EXPECT_EQ(std::string(fl_lock_path(a.h)), dir.file("x.lock"));
  EXPECT_EQ(fl_is_locked(a.h), 0);
  EXPECT_EQ(fl_lock(a.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  EXPECT_EQ(fl_is_locked(a.h), 1);
  EXPECT_EQ(fl_lock(b.h, FL_SHARED, FL_NOWAIT), FL_EBUSY);
  const std::string msg = fl_last_error();
  EXPECT_NE(msg.find("lock '" + dir.file("x.lock") + "'"), std::string::npos) << msg;
  EXPECT_EQ(fl_lock(a.h, FL_SHARED, FL_NOWAIT), FL_EALREADY);
  EXPECT_EQ(fl_lock(b.h, FL_EXCLUSIVE, 20), FL_ETIMEOUT);
  EXPECT_EQ(fl_lock(b.h, FL_EXCLUSIVE, FL_FOREVER), FL_EDEADLK);
  EXPECT_EQ(fl_unlock(a.h), FL_OK);
  EXPECT_EQ(fl_unlock(a.h), FL_ENOTLOCKED);
  EXPECT_EQ(fl_lock(b.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
}

// A file lock cannot pass to another holder while held: no fencing token, never lost.
// (etcd:// tokens and lost leases: tests/etcd.)
TEST(CapiLock, AFileLockHasNoFencingTokenAndIsNeverLost) {
  fltest::TempDir dir;
  Handle a;
  ASSERT_EQ(fl_open(&a.h, dir.file("x").c_str(), nullptr), FL_OK);
  int64_t token = 42;
  EXPECT_EQ(fl_fencing_token(a.h, &token), FL_ENOTLOCKED);
  ASSERT_EQ(fl_lock(a.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  EXPECT_EQ(fl_fencing_token(a.h, &token), FL_EUNSUPPORTED);
  const std::string msg = fl_last_error();
  EXPECT_NE(msg.find("fencing token '" + dir.file("x.lock") + "'"), std::string::npos) << msg;
  EXPECT_EQ(token, 42);
  EXPECT_EQ(fl_lock_lost(a.h), 0);
  EXPECT_EQ(fl_fencing_token(a.h, nullptr), FL_EINVAL);
  EXPECT_EQ(fl_fencing_token(nullptr, &token), FL_EINVAL);
  EXPECT_EQ(fl_lock_lost(nullptr), 0);
}

TEST(CapiLock, CloseReleases) {
  fltest::TempDir dir;
  Handle b;
  fl_handle *a = nullptr;
  ASSERT_EQ(fl_open(&a, dir.file("x").c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_open(&b.h, dir.file("x").c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_lock(a, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  fl_close(a);
  EXPECT_EQ(fl_lock(b.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  fl_close(nullptr);
}

TEST(CapiLock, CancelFromAnotherThread) {
  fltest::TempDir dir;
  Handle a, b;
  ASSERT_EQ(fl_open(&a.h, dir.file("x").c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_open(&b.h, dir.file("x").c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_lock(a.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    EXPECT_EQ(fl_cancel(b.h), FL_OK);
  });
  EXPECT_EQ(fl_lock(b.h, FL_EXCLUSIVE, 10000), FL_ECANCELED);
  t.join();
}

TEST(CapiLock, InvalidArgumentsAreRefusedWithMessages) {
  fltest::TempDir dir;
  Handle a;
  EXPECT_EQ(fl_open(nullptr, "x", nullptr), FL_EINVAL);
  EXPECT_EQ(fl_open(&a.h, nullptr, nullptr), FL_EINVAL);
  EXPECT_EQ(a.h, nullptr);
  EXPECT_NE(std::string(fl_last_error()).find("path is NULL"), std::string::npos);
  fl_lock_options o;
  fl_lock_options_init(&o);
  o.backend = 42;
  EXPECT_EQ(fl_open(&a.h, dir.file("x").c_str(), &o), FL_EINVAL);
  fl_lock_options unset{};
  EXPECT_EQ(fl_open(&a.h, dir.file("x").c_str(), &unset), FL_EINVAL);
  ASSERT_EQ(fl_open(&a.h, dir.file("x").c_str(), nullptr), FL_OK);
  EXPECT_EQ(fl_lock(a.h, 3, FL_NOWAIT), FL_EINVAL);
  EXPECT_EQ(fl_lock(a.h, FL_EXCLUSIVE, -2), FL_EINVAL);
  EXPECT_EQ(fl_lock(nullptr, FL_EXCLUSIVE, 0), FL_EINVAL);
  EXPECT_EQ(fl_unlock(nullptr), FL_EINVAL);
  EXPECT_EQ(fl_cancel(nullptr), FL_EINVAL);
  EXPECT_EQ(fl_is_locked(nullptr), 0);
  EXPECT_EQ(fl_lock_path(nullptr), nullptr);
}

TEST(CapiLock, OlderShorterOptionsStructKeepsDefaultsForNewFields) {
  fltest::TempDir dir;
  fl_lock_options o;
  fl_lock_options_init(&o);
  o.sidecar = 0;
  o.record_holder = 0;  // beyond the size below: must be ignored
  o.size = offsetof(fl_lock_options, file_mode);
  Handle a;
  ASSERT_EQ(fl_open(&a.h, dir.file("x").c_str(), &o), FL_OK);
  EXPECT_EQ(std::string(fl_lock_path(a.h)), dir.file("x"));
}

TEST(CapiLock, SymlinkRefusalIsPermissionWithPath) {
  fltest::TempDir dir;
  ASSERT_EQ(symlink("/dev/null", dir.file("x.lock").c_str()), 0);
  Handle a;
  EXPECT_EQ(fl_open(&a.h, dir.file("x").c_str(), nullptr), FL_EPERM);
  const std::string msg = fl_last_error();
  EXPECT_NE(msg.find(dir.file("x.lock")), std::string::npos) << msg;
  EXPECT_NE(msg.find("symbolic link"), std::string::npos) << msg;
}

}  // namespace

namespace {

// A path as it appears inside a JSON string: Windows paths carry backslashes, which JSON
// escapes.
std::string json_escaped(const std::string &s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

TEST(CapiLock, QueryScanAndCleanReturnJsonFreedWithFlFree) {
  fltest::TempDir dir;
  Handle a;
  ASSERT_EQ(fl_open(&a.h, dir.file("x").c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_lock(a.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  char *json = nullptr;
  ASSERT_EQ(fl_query(dir.file("x").c_str(), nullptr, &json), FL_OK);
  std::string q(json);
  fl_free(json);
  EXPECT_NE(q.find("\"locked\":true"), std::string::npos) << q;
  EXPECT_NE(q.find("\"pid\":" + std::to_string(getpid())), std::string::npos) << q;
  ASSERT_EQ(fl_scan(dir.path().c_str(), &json), FL_OK);
  std::string s(json);
  fl_free(json);
  EXPECT_NE(s.find(json_escaped(dir.file("x.lock"))), std::string::npos) << s;
  ASSERT_EQ(fl_clean_stale(dir.path().c_str(), 0, &json), FL_OK);
  std::string c(json);
  fl_free(json);
  EXPECT_NE(c.find("\"kept\":[{\"lock_path\":\"" + json_escaped(dir.file("x.lock"))), std::string::npos)
      << c;
  EXPECT_TRUE(fl_is_locked(a.h));
}

#ifdef _WIN32
// fl_lock_fd passes a lock on to a child through an inherited descriptor, which a
// LockFileEx lock cannot do: Windows always says -1 (the POSIX cases: lock_fd_test.cpp).
TEST(CapiLock, LockFdIsMinusOneOnWindows) {
  fltest::TempDir dir;
  Handle a;
  ASSERT_EQ(fl_open(&a.h, dir.file("x").c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_lock(a.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  EXPECT_EQ(fl_lock_fd(a.h), -1);
}
#endif

// NULL options (AUTO) find the LOCKFILE/LOCKDIR lock on disk, as if the backend were named.
TEST(CapiLock, QueryWithNullOptionsReportsTheBackendOnDisk) {
  fltest::TempDir dir;
  for (int backend : {FL_BACKEND_LOCKFILE, FL_BACKEND_LOCKDIR}) {
    const std::string path = dir.file(backend == FL_BACKEND_LOCKDIR ? "d" : "f");
    fl_lock_options opts;
    fl_lock_options_init(&opts);
    opts.backend = backend;
    Handle a;
    ASSERT_EQ(fl_open(&a.h, path.c_str(), &opts), FL_OK);
    ASSERT_EQ(fl_lock(a.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
    char *json = nullptr;
    ASSERT_EQ(fl_query(path.c_str(), nullptr, &json), FL_OK) << fl_last_error();
    const std::string q(json);
    fl_free(json);
    EXPECT_NE(q.find(backend == FL_BACKEND_LOCKDIR ? "\"backend\":\"lockdir\""
                                                   : "\"backend\":\"lockfile\""),
              std::string::npos) << q;
    EXPECT_NE(q.find("\"alive\":true"), std::string::npos) << q;
    EXPECT_NE(q.find("\"stale\":false"), std::string::npos) << q;
  }
}

TEST(CapiLock, InspectArgumentErrors) {
  char *json = reinterpret_cast<char *>(1);
  EXPECT_EQ(fl_query(nullptr, nullptr, &json), FL_EINVAL);
  EXPECT_EQ(json, nullptr);
  EXPECT_EQ(fl_query("x", nullptr, nullptr), FL_EINVAL);
  EXPECT_EQ(fl_scan("/nonexistent-filelock-dir", &json), FL_ENOTFOUND);
  EXPECT_NE(std::string(fl_last_error()).find("/nonexistent-filelock-dir"), std::string::npos);
  EXPECT_EQ(fl_clean_stale("/tmp", -1, &json), FL_EINVAL);
}

// Bindings build their OS error types (FileNotFoundError, fs.PathError, IOException) from
// these two: they must describe this thread's last failure, and nothing when it was not
// the OS's.
TEST(CapiLock, LastErrorCarriesOsErrorAndPath) {
  fltest::TempDir dir;
  const std::string missing = dir.file("no-such-dir") + "/x";
  Handle a;
  ASSERT_EQ(fl_open(&a.h, missing.c_str(), nullptr), FL_ENOTFOUND);
  EXPECT_EQ(fl_last_os_error(), ENOENT);
  EXPECT_EQ(std::string(fl_last_error_path()), missing + ".lock");
  EXPECT_NE(std::string(fl_last_error()).find(missing), std::string::npos);

  Handle b, c;
  ASSERT_EQ(fl_open(&b.h, dir.file("y").c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_open(&c.h, dir.file("y").c_str(), nullptr), FL_OK);
  ASSERT_EQ(fl_lock(b.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
  ASSERT_EQ(fl_lock(c.h, FL_EXCLUSIVE, FL_NOWAIT), FL_EBUSY);
  EXPECT_EQ(fl_last_os_error(), 0) << "a busy lock is not an OS failure";
  EXPECT_EQ(std::string(fl_last_error_path()), dir.file("y.lock"));

  // Per thread: another thread's failure leaves this thread's report alone.
  std::thread([&] {
    Handle d;
    EXPECT_EQ(fl_open(&d.h, missing.c_str(), nullptr), FL_ENOTFOUND);
  }).join();
  EXPECT_EQ(fl_last_os_error(), 0);
  EXPECT_EQ(std::string(fl_last_error_path()), dir.file("y.lock"));
}

}  // namespace

// etcd:// names reach the C API with their code, message and path: refused where etcd
// is not built (Windows, macOS), else an unreachable cluster (nothing listens on port 1).
TEST(CapiLock, EtcdNameFailureCarriesCodeMessageAndPath) {
  const char *url = "etcd://127.0.0.1:1/jobs/nightly?request_timeout=500ms";
  fl_handle *h = nullptr;
  const int rc = fl_open(&h, url, nullptr);
#if defined(_WIN32) || defined(__APPLE__)
  EXPECT_EQ(rc, FL_EUNSUPPORTED);
#else
  EXPECT_TRUE(rc == FL_EIO || rc == FL_EUNSUPPORTED) << rc;  // EUNSUPPORTED: no libcurl
#endif
  EXPECT_EQ(h, nullptr);
  EXPECT_EQ(std::string(fl_last_error_path()), url);
  EXPECT_NE(std::string(fl_last_error()).find(std::string("open lock '") + url + "'"), std::string::npos)
      << fl_last_error();
  char *info = nullptr;
  EXPECT_EQ(fl_query(url, nullptr, &info), rc);
  EXPECT_EQ(info, nullptr);
}
