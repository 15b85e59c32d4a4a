#include "etcd_test_env.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <ctime>

#include "etcd/client.hpp"

namespace etcdtest {

std::string endpoints() {
  const char *value = std::getenv("FILELOCK_TEST_ETCD");
  return value != nullptr ? value : "";
}

namespace {
std::string env(const char *name) {
  const char *value = std::getenv(name);
  return value != nullptr ? value : "";
}
}  // namespace

std::string secure_endpoint() { return env("FILELOCK_TEST_ETCD_SECURE"); }

std::string tls_file(const std::string &file) { return env("FILELOCK_TEST_ETCD_TLS") + "/" + file; }

std::string secure_url(const std::string &name, const std::string &settings) {
  const auto *test = ::testing::UnitTest::GetInstance()->current_test_info();
  return "etcd://" + secure_endpoint() + "/fltest/secure-" + test->name() + "/" + name +
         (settings.empty() ? "" : "?" + settings);
}

std::string url(const std::string &name, const std::string &query) {
  static std::atomic<int> counter{0};
  const auto *test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string prefix = "fltest/" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  if (test != nullptr) prefix += "-" + std::string(test->name());
  return "etcd://" + endpoints() + "/" + prefix + "/" + name + (query.empty() ? "" : "?" + query);
}

int64_t mono_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t ms_since(int64_t start_ns) { return (mono_ns() - start_ns) / 1000000; }

size_t queued_keys(const std::string &lock_url) {
  const filelock::etcd::Target target = filelock::etcd::parse_target(lock_url, "test");
  filelock::etcd::Client client(target, "test");
  return client.range_prefix("test", target.name + "/").kvs.size();
}

filelock::Status status_of(const std::function<void()> &fn, std::string *message) {
  try {
    fn();
    return filelock::Status::ok;
  } catch (const filelock::Error &e) {
    if (message != nullptr) *message = e.what();
    return e.status();
  }
}

}  // namespace etcdtest
