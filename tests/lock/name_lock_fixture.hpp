// The fixture of the LOCKFILE/LOCKDIR tests, shared by name_lock_test.cpp (portable) and
// name_lock_posix_test.cpp (fork), which instantiates nothing of its own.
#pragma once

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "lock/holder_record.hpp"
#include "lock/lock_entry.hpp"
#include "lock_test_util.hpp"
#include "platform/process.hpp"

namespace locktest {

class NameLocks : public ::testing::TestWithParam<filelock::Backend> {
 protected:
  filelock::LockOptions opts() const { return with_backend(GetParam()); }
  bool is_dir() const { return GetParam() == filelock::Backend::lockdir; }
  std::string backend_arg() const { return std::to_string(static_cast<int>(GetParam())); }
  std::string lock_path() const { return dir.file("x.lock"); }
  bool lock_exists() const { return ::access(lock_path().c_str(), F_OK) == 0; }

  // Plants a lock as a holder with this identity would have left it.
  void plant(const filelock::platform::ProcessIdentity &who, int64_t acquired_at) {
    const std::string rec =
        filelock::HolderRecordTemplate(who, "planted", "lockfile").render(acquired_at);
    std::string file = lock_path();
    if (is_dir()) {
      ASSERT_EQ(mkdir(lock_path().c_str(), 0755), 0);
      file += "/holder.json";
    }
    std::ofstream(file) << rec;
  }

  // Makes an entry look as if it was last written `seconds` ago.
  static void age(const std::string &path, int seconds) {
    ASSERT_TRUE(fltest::backdate(path, seconds)) << path;
  }
  static constexpr int kPastGrace = filelock::kOrphanGraceMs / 1000 + 2;

  // An entry at the name without a name-lock record keeps the lock busy while young
  // (a lock may be being made) and is broken once older than the grace period.
  void expect_broken_only_after_grace() {
    auto a = open_lock(dir.file("x"), opts());
    EXPECT_EQ(status_of([&] { a->lock(filelock::LockMode::exclusive, 0); }), filelock::Status::busy);
    age(lock_path(), kPastGrace);
    EXPECT_EQ(status_of([&] { a->lock(filelock::LockMode::exclusive, 0); }), filelock::Status::ok);
    a->unlock();
    EXPECT_FALSE(lock_exists());
  }

  fltest::TempDir dir;
};

}  // namespace locktest
