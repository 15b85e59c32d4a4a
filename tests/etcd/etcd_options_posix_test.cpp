// The connection settings given as lock options (fl_lock_options' etcd_* fields) rather
// than in the etcd:// name: the lease TTL on the three-member cluster, TLS and a password
// on the secure member (tests/etcd/run.sh starts both).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "etcd/client.hpp"
#include "etcd/etcd_url.hpp"
#include "etcd_test_env.hpp"
#include "lock/lock.hpp"
#include "state/state.hpp"
#include "support.hpp"

using etcdtest::ms_since;
using etcdtest::secure_url;
using etcdtest::mono_ns;
using etcdtest::status_of;
using filelock::Lock;
using filelock::LockMode;
using filelock::Status;

namespace {

// The TTL etcd granted the lease of the oldest key in the lock's queue: a keep-alive
// answers with it.
int64_t granted_ttl_s(const std::string &lock_url) {
  const filelock::etcd::Target target = filelock::etcd::parse_target(lock_url, "test");
  filelock::etcd::Client client(target, "test");
  const auto queue = client.range_prefix("test", target.name + "/");
  if (queue.kvs.empty()) return -1;
  return client.keep_alive("test", queue.kvs.front().lease, nullptr);
}

TEST(EtcdOptions, ALeaseTtlFromTheOptionsTakesEffect) {
  REQUIRE_ETCD();
  const std::string url = etcdtest::url("killed", "");  // no ttl in the name: 5 s by default
  auto holder = fltest::spawn_helper("etcd_hold", {url, "exclusive", "-1", "2000"});
  ASSERT_EQ(fltest::read_line(holder), "locked");
  EXPECT_EQ(granted_ttl_s(url), 2);
  fltest::kill_hard(holder);
  fltest::wait_exit(holder);
  const int64_t killed = mono_ns();
  auto mine = Lock::open(url, {});
  EXPECT_EQ(status_of([&] { mine->lock(LockMode::exclusive, filelock::kNoWait); }), Status::busy);
  EXPECT_EQ(status_of([&] { mine->lock(LockMode::exclusive, 15000); }), Status::ok);
  const int64_t waited = ms_since(killed);
  std::printf("[ figure ] etcd lock of a SIGKILLed holder (TTL 2 s as an option) free after %lld ms\n",
              static_cast<long long>(waited));
  EXPECT_LT(waited, 2000 + 3000);  // TTL + slack (etcd checks expiry every 500 ms)
}

filelock::LockOptions secure_options() {
  filelock::LockOptions options;
  options.etcd.ttl_ms = 2000;
  options.etcd.tls_ca = etcdtest::tls_file("ca.pem");
  options.etcd.tls_cert = etcdtest::tls_file("client.pem");
  options.etcd.tls_key = etcdtest::tls_file("client-key.pem");
  options.etcd.user = "root";
  options.etcd.password_file = etcdtest::tls_file("password");
  return options;
}

TEST(EtcdOptions, TlsAndAPasswordFromTheOptionsReachTheSecureMember) {
  REQUIRE_SECURE_ETCD();
  // Without them the member is not even spoken to in its language.
  filelock::LockOptions plain;
  plain.etcd.request_timeout_ms = 2000;
  EXPECT_EQ(status_of([&] { Lock::open(secure_url("job"), plain); }), Status::io);

  auto lock = Lock::open(secure_url("job"), secure_options());
  lock->lock(LockMode::exclusive, filelock::kNoWait);
  lock->unlock();
  // A state takes them through its lock options, for its document and for its lock.
  filelock::state::StateOptions options;
  options.initial_json = R"({"n": 0})";
  options.lock = secure_options();
  auto store = filelock::state::open_store(secure_url("state"), options);
  const uint64_t first = store->write(R"({"n": 1})", nullptr);
  EXPECT_GT(store->write(R"({"n": 2})", &first), first);
  EXPECT_NE(store->read().json.find("2"), std::string::npos);
}

TEST(EtcdOptions, SettingsInTheNameAndTheOptionsCombine) {
  REQUIRE_SECURE_ETCD();
  // TLS in the name, the password in the options: either source works.
  const std::string url = secure_url("job") + "?tls_ca=" + etcdtest::tls_file("ca.pem") + "&tls_cert=" + etcdtest::tls_file("client.pem") +
                          "&tls_key=" + etcdtest::tls_file("client-key.pem") + "&ttl=2s";
  filelock::LockOptions options;
  options.etcd.ttl_ms = 2000;  // the same value as the name's: no disagreement
  options.etcd.user = "root";
  options.etcd.password_file = etcdtest::tls_file("password");
  auto lock = Lock::open(url, options);
  lock->lock(LockMode::exclusive, filelock::kNoWait);
  lock->unlock();
  options.etcd.ttl_ms = 3000;
  std::string message;
  EXPECT_EQ(status_of([&] { Lock::open(url, options); }, &message), Status::invalid);
  EXPECT_NE(message.find("etcd_ttl_ms"), std::string::npos) << message;
  EXPECT_NE(message.find("ttl=2s"), std::string::npos) << message;
}

}  // namespace
