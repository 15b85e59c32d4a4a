// The etcd cluster the suite runs against (tests/etcd/run.sh starts one and sets
// FILELOCK_TEST_ETCD to its endpoints), and what the tests share.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>

#include "common/error.hpp"

namespace etcdtest {

// "127.0.0.1:p1,127.0.0.1:p2,..." or "" when no cluster was started.
std::string endpoints();

// An etcd:// URL for `name` under a prefix of this process and test, so runs and tests
// never share keys.
std::string url(const std::string &name, const std::string &query = "ttl=2");

int64_t mono_ns();  // CLOCK_MONOTONIC: comparable across processes
int64_t ms_since(int64_t start_ns);

// The member with TLS, client certificates and passwords (tests/etcd/run.sh sets
// FILELOCK_TEST_ETCD_SECURE to it, FILELOCK_TEST_ETCD_TLS to its files' directory), or "".
std::string secure_endpoint();
std::string tls_file(const std::string &file);
// An etcd:// URL on the secure member for `name`, under this test's prefix, with
// `settings` as its query (none when empty).
std::string secure_url(const std::string &name, const std::string &settings = "");

// How many keys the lock's queue holds right now (leftovers show here).
size_t queued_keys(const std::string &lock_url);

filelock::Status status_of(const std::function<void()> &fn, std::string *message = nullptr);

}  // namespace etcdtest

// In a test body: skips (with the reason) when no cluster is running.
#define REQUIRE_SECURE_ETCD()                                                                \
  do {                                                                                      \
    if (etcdtest::secure_endpoint().empty())                                                \
      GTEST_SKIP() << "FILELOCK_TEST_ETCD_SECURE is not set (tests/etcd/run.sh starts one)"; \
  } while (0)

#define REQUIRE_ETCD()                                                                  \
  do {                                                                                 \
    if (etcdtest::endpoints().empty())                                                 \
      GTEST_SKIP() << "FILELOCK_TEST_ETCD is not set (tests/etcd/run.sh starts etcd)"; \
  } while (0)
