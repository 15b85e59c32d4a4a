// A filesystem without kernel locks (some NFS and FUSE mounts answer flock/fcntl with
// ENOLCK or EOPNOTSUPP). No test filesystem lacks them, so the lock call's failure is
// injected through the platform's system-call table (Syscall::lock: flock, fcntl locks,
// LockFileEx), from one call on for good, as such a filesystem refuses every one (an
// OFD or POSIX lock's companion flock is then dropped, and its own call fails).
// fl_lock returns the engine's Status unchanged: Status::unsupported is FL_EUNSUPPORTED.
// The C API cannot reach the engine's fault hook (the library exports only fl_*), so
// these tests drive the engine directly.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "platform/syscalls.hpp"
#include "lock/lock_inspect.hpp"
#include "lock_test_util.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;
using locktest::open_lock;
using filelock::platform::Syscall;
namespace syscalls = filelock::platform::syscalls;

namespace {

static_assert(static_cast<int>(Status::unsupported) == -12, "FL_EUNSUPPORTED");

// The kernel lock backends AUTO may pick or a user may name. OFD and POSIX fcntl locks
// do not exist on Windows (refused there before any lock call).
#ifdef _WIN32
const Backend kBackends[] = {Backend::automatic, Backend::flock};
#else
const Backend kBackends[] = {Backend::automatic, Backend::flock, Backend::ofd, Backend::posix};
#endif

struct Case {
  Backend backend;
  int err;
};

std::vector<Case> all_cases() {
  std::vector<Case> out;
  for (Backend b : kBackends)
    for (int err : {ENOLCK, EOPNOTSUPP}) out.push_back({b, err});
  return out;
}

std::string case_name(const testing::TestParamInfo<Case> &info) {
  const std::string b = info.param.backend == Backend::automatic ? "auto"
                                                                 : locktest::backend_label(info.param.backend);
  return b + (info.param.err == ENOLCK ? "_ENOLCK" : "_EOPNOTSUPP");
}

using locktest::with_backend;

class UnsupportedFs : public testing::TestWithParam<Case> {
 protected:
  void TearDown() override { syscalls::clear(); }

  // Runs `fn`, which must fail with unsupported; returns the message.
  template <typename Fn>
  std::string unsupported_message(Fn &&fn) {
    try {
      fn();
    } catch (const filelock::Error &e) {
      EXPECT_EQ(e.status(), Status::unsupported) << e.what();
      return e.what();
    }
    ADD_FAILURE() << "the lock call succeeded despite the injected fault";
    return "";
  }

  // What the message must say: the lock path, the cause and the backends to use instead.
  void expect_helpful(const std::string &message, const std::string &lock_path) {
    EXPECT_NE(message.find("'" + lock_path + "'"), std::string::npos) << message;
    EXPECT_NE(message.find("not supported on this filesystem"), std::string::npos) << message;
    EXPECT_NE(message.find("errno " + std::to_string(GetParam().err)), std::string::npos) << message;
    EXPECT_NE(message.find("LOCKFILE"), std::string::npos) << message;
    EXPECT_NE(message.find("LOCKDIR"), std::string::npos) << message;
  }

  // Nothing may be left held: not by the handle, not in this process, not in the kernel.
  void expect_nothing_held(filelock::Lock &failed, const std::string &path) {
    EXPECT_FALSE(failed.locked());
    auto other = open_lock(path, with_backend(GetParam().backend));
    EXPECT_EQ(locktest::status_of([&] { other->lock(LockMode::exclusive, filelock::kNoWait); }),
              Status::ok);
    if (other->locked()) other->unlock();
    const std::string q = locktest::query_json(path, with_backend(GetParam().backend));
    EXPECT_NE(q.find("\"locked\":false"), std::string::npos) << q;
    // Once the filesystem "works" again the same handle locks normally.
    EXPECT_EQ(locktest::status_of([&] { failed.lock(LockMode::exclusive, filelock::kNoWait); }),
              Status::ok);
    if (failed.locked()) failed.unlock();
  }
};

TEST_P(UnsupportedFs, LockFailsWithUnsupportedNamingPathAndBackends) {
  fltest::TempDir dir;
  const std::string path = dir.file("data");
  for (LockMode mode : {LockMode::exclusive, LockMode::shared}) {
    for (int64_t timeout : {filelock::kNoWait, int64_t{500}, filelock::kForever}) {
      auto lock = open_lock(path, with_backend(GetParam().backend));
      syscalls::fail(Syscall::lock, 1, GetParam().err, true);
      const std::string message = unsupported_message([&] { lock->lock(mode, timeout); });
      syscalls::clear();
      expect_helpful(message, lock->lock_path());
      expect_nothing_held(*lock, path);
    }
  }
}

// The blocking call of a wait fails the same way (NFS answers ENOLCK when its lock
// manager is gone): the first, non-blocking attempt finds the lock held, the wait fails.
TEST_P(UnsupportedFs, WaitFailsWithUnsupportedAndLeavesNothingHeld) {
  fltest::TempDir dir;
  const std::string path = dir.file("data");
  // Another process holds the lock, so every backend (POSIX too) reaches the kernel wait.
  fltest::Process holder = fltest::spawn_helper(
      "hold", {path, "exclusive", "60000", std::to_string(static_cast<int>(GetParam().backend))});
  struct Reap {
    fltest::Process &p;
    ~Reap() {
      if (p.stdout_fd < 0) return;  // reaped already
      fltest::kill_hard(p);
      fltest::wait_exit(p);
    }
  } reap{holder};
  ASSERT_EQ(fltest::read_line(holder), "locked");
  auto lock = open_lock(path, with_backend(GetParam().backend));
  syscalls::fail(Syscall::lock, 2, GetParam().err, true);
  const std::string message = unsupported_message([&] { lock->lock(LockMode::exclusive, 5000); });
  syscalls::clear();
  expect_helpful(message, lock->lock_path());
  EXPECT_FALSE(lock->locked());
  fltest::kill_hard(holder);
  fltest::wait_exit(holder);
  expect_nothing_held(*lock, path);
}

INSTANTIATE_TEST_SUITE_P(KernelBackends, UnsupportedFs, testing::ValuesIn(all_cases()), case_name);

// Other errors keep their own meaning: only a filesystem without locks is "unsupported".
TEST(UnsupportedFsOther, OtherLockErrorsAreNotReportedAsUnsupported) {
  fltest::TempDir dir;
  auto lock = open_lock(dir.file("data"));
  syscalls::fail(Syscall::lock, 1, EIO);
  const Status s = locktest::status_of([&] { lock->lock(LockMode::exclusive, filelock::kNoWait); });
  syscalls::clear();
  EXPECT_EQ(s, Status::io);
  EXPECT_FALSE(lock->locked());
}

}  // namespace
