// Two members of three killed (tests/etcd/run.sh kills them and runs this test alone):
// no quorum, so every call fails, with a clear error, within the request timeout.
#include <gtest/gtest.h>

#include <cstdlib>

#include "etcd_test_env.hpp"
#include "lock/lock.hpp"
#include "state/state.hpp"

using etcdtest::ms_since;
using etcdtest::mono_ns;
using etcdtest::status_of;
using filelock::Lock;
using filelock::Status;

namespace {

TEST(EtcdNoQuorum, OpenFailsWithinTheRequestTimeout) {
  if (std::getenv("FILELOCK_TEST_ETCD_NO_QUORUM") == nullptr)
    GTEST_SKIP() << "run by tests/etcd/run.sh after it kills two members";
  const std::string url = etcdtest::url("no-quorum", "ttl=2&request_timeout=1500ms");
  std::string message;
  const int64_t start = mono_ns();
  EXPECT_EQ(status_of([&] { Lock::open(url, {}); }, &message), Status::io);
  EXPECT_LT(ms_since(start), 4000);
  EXPECT_NE(message.find("open lock '" + url + "': etcd unreachable: "), std::string::npos) << message;
  std::printf("[ message ] %s\n", message.c_str());
}

TEST(EtcdNoQuorum, StateOpenFailsWithinTheRequestTimeout) {
  if (std::getenv("FILELOCK_TEST_ETCD_NO_QUORUM") == nullptr)
    GTEST_SKIP() << "run by tests/etcd/run.sh after it kills two members";
  const std::string url = etcdtest::url("no-quorum-state", "ttl=2&request_timeout=1500ms");
  std::string message;
  const int64_t start = mono_ns();
  EXPECT_EQ(status_of([&] { filelock::state::open_store(url, {}); }, &message), Status::io);
  EXPECT_LT(ms_since(start), 4000);
  EXPECT_NE(message.find("open state '" + url + "': etcd unreachable: "), std::string::npos) << message;
}

}  // namespace
