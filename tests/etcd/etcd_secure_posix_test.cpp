// etcd with TLS, client certificates and password authentication (the lone member
// tests/etcd/run.sh starts for these: FILELOCK_TEST_ETCD_SECURE, its files in
// FILELOCK_TEST_ETCD_TLS), through the settings tls_ca, tls_cert, tls_key, user and
// password_file.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "etcd_test_env.hpp"
#include "etcd/etcd_url.hpp"
#include "json/json.hpp"
#include "lock/lock.hpp"
#include "state/state.hpp"
#include "support.hpp"

using etcdtest::secure_url;
using etcdtest::status_of;
using filelock::Lock;
using filelock::LockMode;
using filelock::Status;

namespace {

std::string all_settings(const std::string &password_file) {
  return "ttl=2&tls_ca=" + etcdtest::tls_file("ca.pem") + "&tls_cert=" + etcdtest::tls_file("client.pem") + "&tls_key=" +
         etcdtest::tls_file("client-key.pem") + "&user=root&password_file=" + password_file;
}

TEST(EtcdSecure, LocksAndStateWorkOverTlsWithAPasswordAndOutliveTheToken) {
  REQUIRE_SECURE_ETCD();
  const std::string settings = all_settings(etcdtest::tls_file("password"));
  auto lock = Lock::open(secure_url("job", settings), {});
  lock->lock(LockMode::exclusive, filelock::kNoWait);
  lock->unlock();
  filelock::state::StateOptions options;
  options.initial_json = R"({"n": 0})";
  auto store = filelock::state::open_store(secure_url("state", settings), options);
  const uint64_t first = store->write(R"({"n": 1})", nullptr);
  // The member forgets a token unused for 3 s: the next call authenticates again.
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));
  EXPECT_GT(store->write(R"({"n": 2})", &first), first);
  filelock::json::Doc doc = filelock::json::parse(store->read().json);
  const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc.get(), "n");
  ASSERT_TRUE(cJSON_IsRaw(n));
  EXPECT_STREQ(n->valuestring, "2");
  lock->lock(LockMode::exclusive, filelock::kNoWait);
  lock->unlock();
}

TEST(EtcdSecure, AWrongPasswordIsRefusedWithoutShowingIt) {
  REQUIRE_SECURE_ETCD();
  fltest::TempDir dir;
  const std::string wrong = dir.file("wrong");
  FILE *f = std::fopen(wrong.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("not-the-password\n", f);
  std::fclose(f);
  std::string message;
  EXPECT_EQ(status_of([&] { Lock::open(secure_url("job", all_settings(wrong)), {}); }, &message),
            Status::permission);
  EXPECT_NE(message.find("etcd refused user 'root'"), std::string::npos) << message;
  EXPECT_EQ(message.find("not-the-password"), std::string::npos) << message;
  EXPECT_EQ(status_of([&] { Lock::open(secure_url("job", all_settings(dir.file("missing"))), {}); }, &message),
            Status::permission);
  EXPECT_NE(message.find("cannot read password_file"), std::string::npos) << message;
}

TEST(EtcdSecure, AMemberWhoseCertificateTheCaDidNotSignIsRefused) {
  REQUIRE_SECURE_ETCD();
  // The client's own certificate as the CA: the member's certificate does not verify.
  const std::string settings = "tls_ca=" + etcdtest::tls_file("client.pem") + "&tls_cert=" + etcdtest::tls_file("client.pem") +
                               "&tls_key=" + etcdtest::tls_file("client-key.pem") + "&user=root&password_file=" +
                               etcdtest::tls_file("password") + "&request_timeout=2s";
  std::string message;
  EXPECT_EQ(status_of([&] { Lock::open(secure_url("job", settings), {}); }, &message), Status::io);
  EXPECT_NE(message.find("https://"), std::string::npos) << message;
  EXPECT_NE(message.find("certificate"), std::string::npos) << message;
}

TEST(EtcdSecure, WithoutAClientCertificateTheMemberRefusesTheConnection) {
  REQUIRE_SECURE_ETCD();
  const std::string settings = "tls_ca=" + etcdtest::tls_file("ca.pem") + "&user=root&password_file=" + etcdtest::tls_file("password") +
                               "&request_timeout=2s";
  std::string message;
  EXPECT_EQ(status_of([&] { Lock::open(secure_url("job", settings), {}); }, &message), Status::io);
  EXPECT_NE(message.find("etcd unreachable"), std::string::npos) << message;
}

TEST(EtcdNames, TlsAndPasswordSettingsGoInPairs) {
  std::string message;
  EXPECT_EQ(status_of([&] { filelock::etcd::parse_target("etcd://h:1/a/b?tls_cert=/c", "open lock"); }, &message),
            Status::invalid);
  EXPECT_NE(message.find("tls_cert and tls_key go together"), std::string::npos) << message;
  EXPECT_EQ(status_of([&] { filelock::etcd::parse_target("etcd://h:1/a/b?user=u", "open lock"); }, &message),
            Status::invalid);
  EXPECT_NE(message.find("user and password_file go together"), std::string::npos) << message;
  const filelock::etcd::Target t =
      filelock::etcd::parse_target("etcd://h:1,g/a/b?tls_ca=/ca.pem", "open lock");
  EXPECT_EQ(t.endpoints.at(0), "https://h:1");
  EXPECT_EQ(t.endpoints.at(1), "https://g:2379");
  EXPECT_EQ(t.ca_file, "/ca.pem");
}

}  // namespace
