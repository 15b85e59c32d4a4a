// fl_query with the AUTO backend (default options) reports the backend whose lock is on
// disk: a LOCKFILE or LOCKDIR holder in another process is found without being named,
// alive while it runs and stale once it is killed; a kernel holder's own lock kind is
// named. Legacy locks are in inspect_posix_test.cpp.
#include <gtest/gtest.h>

#include <cjson/cJSON.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "lock/lock_inspect.hpp"
#include "lock_test_util.hpp"

using filelock::Backend;
using locktest::Json;
using locktest::with_backend;

namespace {

std::string str(const cJSON *v) { return cJSON_IsString(v) ? v->valuestring : "<not a string>"; }
double holder_pid(const Json &q) {
  const cJSON *pid = cJSON_GetObjectItem(q.get("holder"), "pid");
  return cJSON_IsNumber(pid) ? pid->valuedouble : -1;
}

class InspectAuto : public ::testing::TestWithParam<Backend> {};

TEST_P(InspectAuto, NameLockHolderFoundWithoutNamingTheBackend) {
  fltest::TempDir dir;
  const std::string path = dir.file("x");
  const std::string name = GetParam() == Backend::lockdir ? "lockdir" : "lockfile";
  auto p = fltest::spawn_helper("hold", {path, "exclusive", "60000",
                                         std::to_string(static_cast<int>(GetParam()))});
  ASSERT_EQ(fltest::read_line(p), "locked");
  Json live(locktest::query_json(path, {}));
  EXPECT_EQ(str(live.get("backend")), name) << live.text;
  EXPECT_TRUE(cJSON_IsTrue(live.get("exists"))) << live.text;
  EXPECT_TRUE(cJSON_IsTrue(live.get("locked"))) << live.text;
  EXPECT_EQ(str(live.get("mode")), "exclusive") << live.text;
  EXPECT_EQ(holder_pid(live), static_cast<double>(p.pid)) << live.text;
  EXPECT_TRUE(cJSON_IsTrue(live.get("alive"))) << live.text;
  EXPECT_TRUE(cJSON_IsFalse(live.get("stale"))) << live.text;
  // The same report as when the backend is named.
  Json named(locktest::query_json(path, with_backend(GetParam())));
  EXPECT_EQ(str(named.get("reason")), str(live.get("reason"))) << named.text;

  fltest::kill_hard(p);
  fltest::wait_exit(p);
  Json dead(locktest::query_json(path, {}));
  EXPECT_EQ(str(dead.get("backend")), name) << dead.text;
  EXPECT_TRUE(cJSON_IsTrue(dead.get("locked"))) << dead.text;
  EXPECT_EQ(holder_pid(dead), static_cast<double>(p.pid)) << dead.text;
  EXPECT_TRUE(cJSON_IsFalse(dead.get("alive"))) << dead.text;
  EXPECT_TRUE(cJSON_IsTrue(dead.get("stale"))) << dead.text;
}

INSTANTIATE_TEST_SUITE_P(NameLocks, InspectAuto, ::testing::Values(Backend::lockfile, Backend::lockdir),
                         locktest::BackendName());

#ifndef _WIN32
// OFD and POSIX holders also take flock: their own lock kind names the backend.
TEST(InspectAutoKernel, KernelHolderNamesItsBackend) {
  fltest::TempDir dir;
  for (Backend b : {Backend::flock, Backend::ofd, Backend::posix}) {
    const std::string path = dir.file("k" + locktest::backend_label(b));
    auto p = fltest::spawn_helper("hold", {path, "exclusive", "60000",
                                           std::to_string(static_cast<int>(b))});
    ASSERT_EQ(fltest::read_line(p), "locked");
    Json q(locktest::query_json(path, {}));
    EXPECT_EQ(str(q.get("backend")), locktest::backend_label(b)) << q.text;
    EXPECT_TRUE(cJSON_IsTrue(q.get("locked"))) << q.text;
    EXPECT_EQ(holder_pid(q), static_cast<double>(p.pid)) << q.text;
    EXPECT_TRUE(cJSON_IsFalse(q.get("stale"))) << q.text;
    fltest::kill_hard(p);
    fltest::wait_exit(p);
  }
}
#endif

// With nothing at the lock name, a state file's meta dir says which backend its handles
// use.
TEST(InspectAutoKernel, FreeStateLockNamesTheRecordedBackend) {
  fltest::TempDir dir;
  Json plain(locktest::query_json(dir.file("s.json"), {}));
  EXPECT_NE(str(plain.get("backend")), "lockdir") << plain.text;
  ASSERT_TRUE(std::filesystem::create_directory(dir.file(".s.json.filelock")));
  { std::ofstream(dir.file(".s.json.filelock/backend")) << "lockdir\n"; }
  Json q(locktest::query_json(dir.file("s.json"), {}));
  EXPECT_EQ(str(q.get("backend")), "lockdir") << q.text;
  EXPECT_TRUE(cJSON_IsFalse(q.get("exists"))) << q.text;
  EXPECT_TRUE(cJSON_IsFalse(q.get("locked"))) << q.text;
}

}  // namespace
