// fl_lock_options' etcd_* settings (since 1.4), where no cluster is needed: refused for a
// file path, checked values, a name and an option that disagree, an older caller's
// shorter struct. (Their effect on a cluster: tests/etcd.)
#include <gtest/gtest.h>

#include <cstddef>
#include <filesystem>
#include <string>

#include "filelock.h"
#include "support.hpp"

namespace {

struct Handle {
  fl_handle *h = nullptr;
  ~Handle() { fl_close(h); }
};

bool mentions(const std::string &text, const std::string &part) { return text.find(part) != std::string::npos; }

// Where etcd is built the settings are merged before any connection (nothing listens on
// port 1): a disagreement is FL_EINVAL. Elsewhere every etcd:// name is FL_EUNSUPPORTED.
#if defined(_WIN32) || defined(__APPLE__)
constexpr bool kEtcdBuilt = false;
#else
constexpr bool kEtcdBuilt = true;
#endif

TEST(CapiEtcdOptions, InitLeavesThemUnset) {
  fl_lock_options o;
  fl_lock_options_init(&o);
  EXPECT_EQ(o.size, sizeof(fl_lock_options));
  EXPECT_EQ(o.etcd_ttl_ms, 0);
  EXPECT_EQ(o.etcd_dial_timeout_ms, 0);
  EXPECT_EQ(o.etcd_request_timeout_ms, 0);
  EXPECT_EQ(o.etcd_tls_ca, nullptr);
  EXPECT_EQ(o.etcd_tls_cert, nullptr);
  EXPECT_EQ(o.etcd_tls_key, nullptr);
  EXPECT_EQ(o.etcd_user, nullptr);
  EXPECT_EQ(o.etcd_password_file, nullptr);
}

// A mistyped etcd:// name would otherwise become a relative file path that silently
// drops the TLS or password settings.
TEST(CapiEtcdOptions, OnAFilePathAreRefusedNamingTheField) {
  fltest::TempDir dir;
  const std::string path = dir.file("x");
  fl_lock_options o;
  fl_lock_options_init(&o);
  o.etcd_tls_ca = "ca.pem";
  Handle a;
  EXPECT_EQ(fl_open(&a.h, path.c_str(), &o), FL_EINVAL);
  EXPECT_EQ(a.h, nullptr);
  EXPECT_TRUE(mentions(fl_last_error(), "etcd_tls_ca")) << fl_last_error();
  EXPECT_EQ(std::string(fl_last_error_path()), path);

  fl_lock_options_init(&o);
  o.etcd_ttl_ms = 3000;
  char *info = nullptr;
  EXPECT_EQ(fl_query(path.c_str(), &o, &info), FL_EINVAL);
  EXPECT_TRUE(mentions(fl_last_error(), "etcd_ttl_ms")) << fl_last_error();
  EXPECT_EQ(fl_append(path.c_str(), "{}", &o), FL_EINVAL);
  EXPECT_TRUE(mentions(fl_last_error(), "etcd_ttl_ms")) << fl_last_error();

  // fl_state_open refuses them before creating anything.
  fl_state_options so;
  fl_state_options_init(&so);
  so.lock = &o;
  fl_state *st = nullptr;
  EXPECT_EQ(fl_state_open(&st, path.c_str(), &so), FL_EINVAL);
  EXPECT_EQ(st, nullptr);
  EXPECT_TRUE(mentions(fl_last_error(), "etcd_ttl_ms")) << fl_last_error();
  fl_state_close(st);
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "something was created";
}

// fl_scan_with of a directory takes its options at their defaults only: an etcd_*
// field is refused as fl_open refuses it, any other field by name.
TEST(CapiEtcdOptions, ADirectoryScanTakesOnlyDefaultOptions) {
  fltest::TempDir dir;
  fl_lock_options o;
  fl_lock_options_init(&o);
  char *report = nullptr;
  ASSERT_EQ(fl_scan_with(dir.path().c_str(), &o, &report), FL_OK) << fl_last_error();
  EXPECT_TRUE(mentions(report, "\"locks\":[]")) << report;
  fl_free(report);
  report = nullptr;
  ASSERT_EQ(fl_scan_with(dir.path().c_str(), nullptr, &report), FL_OK) << fl_last_error();
  fl_free(report);
  report = nullptr;
  o.etcd_password_file = "pw";
  EXPECT_EQ(fl_scan_with(dir.path().c_str(), &o, &report), FL_EINVAL);
  EXPECT_EQ(report, nullptr);
  EXPECT_TRUE(mentions(fl_last_error(), "etcd_password_file")) << fl_last_error();
  EXPECT_EQ(std::string(fl_last_error_path()), dir.path());
  fl_lock_options_init(&o);
  o.owner = "nightly";
  EXPECT_EQ(fl_scan_with(dir.path().c_str(), &o, &report), FL_EINVAL);
  EXPECT_TRUE(mentions(fl_last_error(), "owner")) << fl_last_error();
}

TEST(CapiEtcdOptions, BadValuesAreRefusedNamingTheField) {
  const char *url = "etcd://127.0.0.1:1/jobs/nightly";
  struct Case {
    void (*set)(fl_lock_options &);
    const char *field;
  } cases[] = {
      {[](fl_lock_options &o) { o.etcd_ttl_ms = -1000; }, "etcd_ttl_ms"},
      {[](fl_lock_options &o) { o.etcd_ttl_ms = 1500; }, "etcd_ttl_ms"},
      {[](fl_lock_options &o) { o.etcd_dial_timeout_ms = -1; }, "etcd_dial_timeout_ms"},
      {[](fl_lock_options &o) { o.etcd_request_timeout_ms = -1; }, "etcd_request_timeout_ms"},
      {[](fl_lock_options &o) { o.etcd_user = ""; }, "etcd_user"},
  };
  for (const Case &c : cases) {
    fl_lock_options o;
    fl_lock_options_init(&o);
    c.set(o);
    Handle a;
    EXPECT_EQ(fl_open(&a.h, url, &o), FL_EINVAL) << c.field;
    EXPECT_TRUE(mentions(fl_last_error(), c.field)) << fl_last_error();
  }
}

TEST(CapiEtcdOptions, ANameAndAnOptionThatDisagreeAreRefusedNamingBoth) {
  const char *url = "etcd://127.0.0.1:1/jobs/nightly?ttl=5s&user=alice&password_file=pw";
  struct Case {
    void (*set)(fl_lock_options &);
    const char *field, *setting;
  } cases[] = {
      {[](fl_lock_options &o) { o.etcd_ttl_ms = 3000; }, "etcd_ttl_ms", "ttl=5s"},
      {[](fl_lock_options &o) { o.etcd_user = "bob"; }, "etcd_user", "user=alice"},
  };
  for (const Case &c : cases) {
    fl_lock_options o;
    fl_lock_options_init(&o);
    c.set(o);
    Handle a;
    const int rc = fl_open(&a.h, url, &o);
    if (!kEtcdBuilt) {
      EXPECT_EQ(rc, FL_EUNSUPPORTED);
      continue;
    }
    EXPECT_EQ(rc, FL_EINVAL) << fl_last_error();
    EXPECT_TRUE(mentions(fl_last_error(), c.field) && mentions(fl_last_error(), c.setting)) << fl_last_error();
    EXPECT_EQ(std::string(fl_last_error_path()), url);
    // fl_state_open takes them through its lock options.
    fl_state_options so;
    fl_state_options_init(&so);
    so.lock = &o;
    fl_state *st = nullptr;
    EXPECT_EQ(fl_state_open(&st, url, &so), FL_EINVAL);
    EXPECT_TRUE(mentions(fl_last_error(), c.field) && mentions(fl_last_error(), c.setting)) << fl_last_error();
    fl_state_close(st);
  }
  // The same value in both is no disagreement: the open goes on to connect (and fails
  // with FL_EIO, or FL_EUNSUPPORTED without libcurl).
  fl_lock_options o;
  fl_lock_options_init(&o);
  o.etcd_ttl_ms = 5000;
  o.etcd_request_timeout_ms = 300;
  Handle a;
  const int rc = fl_open(&a.h, "etcd://127.0.0.1:1/jobs/nightly?ttl=5s", &o);
  EXPECT_TRUE(rc == FL_EIO || rc == FL_EUNSUPPORTED) << rc << " " << fl_last_error();
}

// A caller built against 1.3's header passes the shorter struct: the settings beyond its
// size are not read, whatever the memory there holds.
TEST(CapiEtcdOptions, AnOlderShorterStructIgnoresThem) {
  fltest::TempDir dir;
  fl_lock_options o;
  fl_lock_options_init(&o);
  o.etcd_tls_ca = "ca.pem";  // beyond the size below: must be ignored
  o.etcd_ttl_ms = 1;
  o.size = offsetof(fl_lock_options, etcd_ttl_ms);
  Handle a;
  ASSERT_EQ(fl_open(&a.h, dir.file("x").c_str(), &o), FL_OK) << fl_last_error();
  EXPECT_EQ(fl_lock(a.h, FL_EXCLUSIVE, FL_NOWAIT), FL_OK);
}

}  // namespace
