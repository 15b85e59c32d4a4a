// fl_scan_with: a scan of an etcd:// prefix with the connection settings given as
// fl_lock_options, on the member with TLS, client certificates and passwords
// (tests/etcd/run.sh starts it). fl_scan alone cannot reach that member.
#include <gtest/gtest.h>

#include <string>

#include "etcd_test_env.hpp"
#include "filelock.h"
#include "json/json.hpp"
#include "lock/lock.hpp"

namespace {

struct Report {
  char *json = nullptr;
  ~Report() { fl_free(json); }
};

TEST(EtcdScanWith, ReachesTheSecureMemberWithTlsAndAPassword) {
  REQUIRE_SECURE_ETCD();
  const std::string ca = etcdtest::tls_file("ca.pem"), cert = etcdtest::tls_file("client.pem"),
                    key = etcdtest::tls_file("client-key.pem"), password = etcdtest::tls_file("password");
  fl_lock_options o;
  // The member's TLS files and password, as `user`.
  const auto secure = [&](const char *user) {
    fl_lock_options_init(&o);
    o.etcd_tls_ca = ca.c_str();
    o.etcd_tls_cert = cert.c_str();
    o.etcd_tls_key = key.c_str();
    o.etcd_user = user;
    o.etcd_password_file = password.c_str();
    o.etcd_request_timeout_ms = 3000;
  };
  secure("root");
  const std::string job = etcdtest::secure_url("jobs/build");
  const std::string prefix = job.substr(0, job.rfind("/jobs/build"));
  fl_handle *h = nullptr;
  ASSERT_EQ(fl_open(&h, job.c_str(), &o), FL_OK) << fl_last_error();
  ASSERT_EQ(fl_lock(h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK) << fl_last_error();

  Report with;
  ASSERT_EQ(fl_scan_with(prefix.c_str(), &o, &with.json), FL_OK) << fl_last_error();
  filelock::json::Doc doc = filelock::json::parse(with.json);
  const cJSON *locks = cJSON_GetObjectItemCaseSensitive(doc.get(), "locks");
  ASSERT_EQ(cJSON_GetArraySize(locks), 1) << with.json;
  const cJSON *build = cJSON_GetArrayItem(locks, 0);
  EXPECT_EQ(std::string(cJSON_GetObjectItemCaseSensitive(build, "lock_path")->valuestring), job);
  EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(build, "locked"))) << with.json;

  // Without the settings the member is not spoken to in its language: an I/O error
  // naming the prefix, and fl_scan has no way to pass them.
  Report plain;
  fl_lock_options_init(&o);
  o.etcd_request_timeout_ms = 2000;
  EXPECT_EQ(fl_scan_with(prefix.c_str(), &o, &plain.json), FL_EIO);
  EXPECT_EQ(plain.json, nullptr);
  EXPECT_NE(std::string(fl_last_error()).find(prefix), std::string::npos) << fl_last_error();
  // A wrong password is refused as such.
  secure("nobody");
  EXPECT_EQ(fl_scan_with(prefix.c_str(), &o, &plain.json), FL_EPERM) << fl_last_error();
  // A backend is not an etcd setting.
  fl_lock_options_init(&o);
  o.backend = FL_BACKEND_FLOCK;
  EXPECT_EQ(fl_scan_with(prefix.c_str(), &o, &plain.json), FL_EINVAL);
  EXPECT_NE(std::string(fl_last_error()).find("backend"), std::string::npos) << fl_last_error();

  EXPECT_EQ(fl_unlock(h), FL_OK);
  fl_close(h);
}

}  // namespace
