// One member of three killed (tests/etcd/run.sh kills it and runs this test alone,
// FILELOCK_TEST_ETCD still listing it first): locks keep working through the others.
#include <gtest/gtest.h>

#include <cstdlib>

#include "etcd_test_env.hpp"
#include "lock/lock.hpp"
#include "support.hpp"

using etcdtest::status_of;
using filelock::Lock;
using filelock::LockMode;
using filelock::Status;

namespace {

TEST(EtcdMemberDown, LocksKeepWorkingWithTwoOfThree) {
  if (std::getenv("FILELOCK_TEST_ETCD_MEMBER_DOWN") == nullptr)
    GTEST_SKIP() << "run by tests/etcd/run.sh after it kills a member";
  const std::string url = etcdtest::url("degraded");
  auto holder = fltest::spawn_helper("etcd_hold", {url, "exclusive", "300"});
  ASSERT_EQ(fltest::read_line(holder), "locked");
  auto mine = Lock::open(url, {});
  EXPECT_EQ(status_of([&] { mine->lock(LockMode::exclusive, filelock::kNoWait); }), Status::busy);
  EXPECT_EQ(status_of([&] { mine->lock(LockMode::exclusive, 20000); }), Status::ok);
  EXPECT_EQ(fltest::wait_exit(holder), 0);
  mine->unlock();
}

}  // namespace
