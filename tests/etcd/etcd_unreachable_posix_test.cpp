// etcd going away under a handle that is already open (a proxy in front of one member
// turned silent): a lock fails within the request timeout, and a lease lost while held
// is reported at unlock.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "etcd_test_env.hpp"
#include "lock/lock.hpp"
#include "tcp_proxy.hpp"

using etcdtest::first_member_port;
using etcdtest::ms_since;
using etcdtest::proxied;
using etcdtest::mono_ns;
using etcdtest::status_of;
using filelock::Lock;
using filelock::LockMode;
using filelock::Status;

namespace {

TEST(EtcdUnreachable, LockFailsWithinTheRequestTimeout) {
  REQUIRE_ETCD();
  etcdtest::TcpProxy proxy(first_member_port());
  const std::string direct = etcdtest::url("gone", "ttl=2&request_timeout=1s");
  const std::string url = proxied(direct, proxy.port());
  auto lock = Lock::open(url, {});
  lock->lock(LockMode::exclusive, filelock::kNoWait);
  lock->unlock();
  proxy.set_silent(true);
  std::string message;
  const int64_t start = mono_ns();
  EXPECT_EQ(status_of([&] { lock->lock(LockMode::exclusive, filelock::kForever); }, &message), Status::io);
  EXPECT_LT(ms_since(start), 4000);
  EXPECT_NE(message.find("lock '" + url + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("request timeout (1000 ms)"), std::string::npos) << message;
  EXPECT_FALSE(lock->locked());
  proxy.set_silent(false);
}

TEST(EtcdUnreachable, LeaseLostWhileHeldIsReportedAtUnlock) {
  REQUIRE_ETCD();
  etcdtest::TcpProxy proxy(first_member_port());
  const std::string direct = etcdtest::url("lost", "ttl=2&request_timeout=1s");
  auto held = Lock::open(proxied(direct, proxy.port()), {});
  held->lock(LockMode::exclusive, filelock::kNoWait);
  proxy.set_silent(true);  // no keep-alive gets through: the lease runs out
  auto other = Lock::open(direct, {});
  EXPECT_FALSE(held->lost());
  EXPECT_EQ(status_of([&] { other->lock(LockMode::exclusive, 15000); }), Status::ok);
  EXPECT_TRUE(held->lost());  // its lease ran out: the other could take the lock
  EXPECT_GT(other->fencing_token(), held->fencing_token());
  other->unlock();
  proxy.set_silent(false);
  std::string message;
  EXPECT_EQ(status_of([&] { held->unlock(); }, &message), Status::io);
  EXPECT_NE(message.find("lease expired while the lock was held"), std::string::npos) << message;
  EXPECT_FALSE(held->locked());
}

// A delete whose reply is lost (the member carried it out) is retried on the next
// member, which finds the key gone: that is this unlock's own first attempt, not a lost
// lease, while the lease is still alive.
TEST(EtcdUnreachable, AnUnlockWhoseReplyWasLostIsNotALostLease) {
  REQUIRE_ETCD();
  etcdtest::TcpProxy proxy(first_member_port());
  const std::string direct = etcdtest::url("deaf", "ttl=5&request_timeout=3s");
  const std::string endpoints = etcdtest::endpoints();
  const size_t second = endpoints.find(',') + 1;
  const std::string second_member = endpoints.substr(second, endpoints.find(',', second) - second);
  const size_t slash = direct.find('/', 7);
  const std::string url = "etcd://127.0.0.1:" + std::to_string(proxy.port()) + "," + second_member +
                          direct.substr(slash);
  auto held = Lock::open(url, {});
  held->lock(LockMode::exclusive, filelock::kNoWait);
  proxy.set_drop_replies(true);
  std::string message;
  EXPECT_EQ(status_of([&] { held->unlock(); }, &message), Status::ok) << message;
  EXPECT_FALSE(held->locked());
  proxy.set_drop_replies(false);
  auto other = Lock::open(direct, {});
  EXPECT_EQ(status_of([&] { other->lock(LockMode::exclusive, filelock::kNoWait); }), Status::ok);
  other->unlock();
}

}  // namespace
