// The holder record written in place (platform/record_page.hpp): from a handle's second
// exclusive acquisition on, the record is copied by the kernel into a mapping of the lock
// file, with no write() (whose file-time update goes through the filesystem's journal).
// Whatever happens to the file, the record is still there and the host never gets a
// SIGBUS: another tool cutting the file short (py-filelock opens it with O_TRUNC), a
// failed copy, a fork.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "libc_calls_posix.hpp"
#include "lock/holder_record.hpp"
#include "lock/lock.hpp"
#include "platform/process.hpp"
#include "support.hpp"

namespace filelock {
namespace {

using platform::Syscall;
namespace syscalls = platform::syscalls;

LockOptions options_for(Backend backend) {
  LockOptions o;
  o.backend = backend;
  return o;
}

std::string file_text(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

HolderRecord record_of(const std::string &lock_path) {
  HolderRecord rec;
  EXPECT_TRUE(parse_holder_record(file_text(lock_path), rec)) << "no holder record in " << lock_path;
  return rec;
}

// The C library's calls made by `op` (libc_count tells them).
template <typename Op>
void count_calls(Op &&op) {
  fltest::libc_reset();
  fltest::libc_counting(true);
  op();
  fltest::libc_counting(false);
}

void lock_unlock(Lock &lock) {
  lock.lock(LockMode::exclusive, 0);
  lock.unlock();
}

// This process's descriptors on a staging memfd of the records.
std::vector<int> stage_descriptors() { return fltest::descriptors_linked_to("/memfd:filelock-record"); }

class InPlaceRecord : public ::testing::TestWithParam<Backend> {
 protected:
  void TearDown() override { syscalls::clear(); }
};

TEST_P(InPlaceRecord, LaterRecordsAreCopiedIntoTheMappedPageWithoutAWrite) {
  fltest::TempDir dir;
  auto lock = Lock::open(dir.file("data"), options_for(GetParam()));
  count_calls([&] { lock_unlock(*lock); });
  EXPECT_EQ(fltest::libc_count(Syscall::pwrite), 1) << "a handle's first record is written";

  lock_unlock(*lock);  // maps the page
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int64_t before = platform::wall_clock_ms();
  count_calls([&] { lock->lock(LockMode::exclusive, 0); });
  EXPECT_EQ(fltest::libc_count(Syscall::pwrite), 0);
  EXPECT_EQ(fltest::libc_count(Syscall::record_page), 1) << "one pread from the stage";
  const HolderRecord rec = record_of(dir.file("data.lock"));
  EXPECT_EQ(rec.pid, platform::current_pid());
  EXPECT_GE(rec.acquired_at, before) << "the record is this acquisition's";
  EXPECT_EQ(file_text(dir.file("data.lock")).size(), kHolderRecordSize);
  lock->unlock();
}

// A handle that has recorded once maps the page before it sleeps in a wait: its record
// right after the wait is a copy. One that waits before its first record does not map
// (a pool of threads, each job a new handle, would map and unmap a page for every job):
// that record is written.
TEST_P(InPlaceRecord, AWaitMapsThePageOnlyForAHandleThatRecordedBefore) {
  fltest::TempDir dir;
  auto holder = Lock::open(dir.file("data"), options_for(GetParam()));
  auto waiter = Lock::open(dir.file("data"), options_for(GetParam()));
  const auto wait_for_holder = [&] {
    holder->lock(LockMode::exclusive, 0);
    std::thread releaser;
    count_calls([&] {
      releaser = std::thread([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        holder->unlock();
      });
      waiter->lock(LockMode::exclusive, 5000);
    });
    releaser.join();
    EXPECT_EQ(record_of(dir.file("data.lock")).pid, platform::current_pid());
    waiter->unlock();
  };
  wait_for_holder();
  EXPECT_EQ(fltest::libc_count(Syscall::pwrite), 1) << "a first record after a wait is written";
  EXPECT_EQ(fltest::libc_count(Syscall::record_page), 0) << "and no page mapped for it";
  wait_for_holder();
  EXPECT_EQ(fltest::libc_count(Syscall::pwrite), 0) << "the second, after a wait, is copied";
}

// py-filelock opens the lock file with O_TRUNC before it tries the lock, so the file can
// be cut to nothing under a mapped page at any moment, a holder's included. A store of
// ours into the page would be a SIGBUS; the kernel's copy fails instead, and the write
// puts the record back.
TEST_P(InPlaceRecord, AFileCutShortUnderThePageGetsItsRecordBack) {
  fltest::TempDir dir;
  const std::string lock_file = dir.file("data.lock");
  auto lock = Lock::open(dir.file("data"), options_for(GetParam()));
  lock_unlock(*lock);
  lock_unlock(*lock);  // mapped from here on
  for (int round = 0; round < 3; ++round) {
    const int cut = ::open(lock_file.c_str(), O_RDWR | O_TRUNC);
    ASSERT_GE(cut, 0);
    ::close(cut);
    ASSERT_EQ(file_text(lock_file).size(), 0u);
    count_calls([&] { lock->lock(LockMode::exclusive, 0); });
    EXPECT_EQ(fltest::libc_count(Syscall::pwrite), 1) << "round " << round;
    EXPECT_EQ(record_of(lock_file).pid, platform::current_pid());
    // Cut while held, too: the next acquisition finds the same.
    const int cut_held = ::open(lock_file.c_str(), O_RDWR | O_TRUNC);
    ASSERT_GE(cut_held, 0);
    ::close(cut_held);
    lock->unlock();
    lock_unlock(*lock);
    EXPECT_EQ(record_of(lock_file).pid, platform::current_pid());
    EXPECT_EQ(file_text(lock_file).size(), kHolderRecordSize);
  }
  // Once whole again, records go through the page again.
  count_calls([&] { lock_unlock(*lock); });
  EXPECT_EQ(fltest::libc_count(Syscall::pwrite), 0);
}

TEST_P(InPlaceRecord, AFailedCopyOrMappingFallsBackToTheWrite) {
  fltest::TempDir dir;
  const std::string lock_file = dir.file("data.lock");
  auto lock = Lock::open(dir.file("data"), options_for(GetParam()));
  lock_unlock(*lock);
  lock_unlock(*lock);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int64_t before = platform::wall_clock_ms();
  syscalls::fail(Syscall::record_page, 1, EFAULT);
  count_calls([&] { lock->lock(LockMode::exclusive, 0); });
  EXPECT_EQ(fltest::libc_count(Syscall::pwrite), 1);
  EXPECT_GE(record_of(lock_file).acquired_at, before);
  lock->unlock();

  // A handle whose mapping cannot be made writes every record.
  auto other = Lock::open(dir.file("data"), options_for(GetParam()));
  lock_unlock(*other);
  syscalls::fail(Syscall::record_page, 1, ENOMEM, true);
  count_calls([&] { for (int i = 0; i < 3; ++i) lock_unlock(*other); });
  syscalls::clear();
  EXPECT_EQ(fltest::libc_count(Syscall::pwrite), 3);
  EXPECT_EQ(record_of(lock_file).pid, platform::current_pid());
}

// A child's records are its own, staged in its own memfd: the parent's stage is shared
// memory, and a child staging there could have its bytes copied by the parent. The child
// closes the parent's stage, but only if the number still names it.
TEST_P(InPlaceRecord, AForkedChildRecordsItselfAndLeavesTheParentsStage) {
  fltest::TempDir dir;
  const std::string lock_file = dir.file("data.lock");
  auto lock = Lock::open(dir.file("data"), options_for(GetParam()));
  lock_unlock(*lock);
  lock_unlock(*lock);
  const std::vector<int> stage = stage_descriptors();
  ASSERT_EQ(stage.size(), 1u);
  int report[2];
  ASSERT_EQ(::pipe(report), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(report[0]);
    int failures = 0;
    // As a daemon does, the child closes what it inherited, and the number of the
    // parent's stage goes to a file of its own: filelock must not close that one.
    const int own = ::open("/dev/null", O_RDONLY);
    if (own < 0 || ::dup2(own, stage[0]) != stage[0]) ++failures;
    if (own != stage[0]) ::close(own);
    try {
      for (int i = 0; i < 3; ++i) lock_unlock(*lock);  // re-opened, then mapped anew
      lock->lock(LockMode::exclusive, 0);
      HolderRecord rec;
      if (!parse_holder_record(file_text(lock_file), rec) || rec.pid != ::getpid()) ++failures;
      if (stage_descriptors().size() != 1) ++failures;  // its own
      char target[64] = {};
      const std::string link = "/proc/self/fd/" + std::to_string(stage[0]);
      if (::readlink(link.c_str(), target, sizeof target - 1) <= 0 ||
          std::string(target) != "/dev/null")
        ++failures;
      lock->unlock();
    } catch (...) {
      ++failures;
    }
    const char verdict = failures == 0 ? 'y' : 'n';
    static_cast<void>(::write(report[1], &verdict, 1));
    ::_exit(0);
  }
  ::close(report[1]);
  char verdict = 0;
  EXPECT_EQ(::read(report[0], &verdict, 1), 1);
  ::close(report[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_EQ(verdict, 'y')
      << "the child's record named someone else, it kept a second stage, or it closed a descriptor of its own";
  lock->lock(LockMode::exclusive, 0);
  EXPECT_EQ(record_of(lock_file).pid, platform::current_pid());
  EXPECT_EQ(stage_descriptors(), stage);
  lock->unlock();
}

std::string backend_name(const ::testing::TestParamInfo<Backend> &info) {
  return info.param == Backend::automatic ? "auto" : info.param == Backend::flock ? "flock" : "ofd";
}

INSTANTIATE_TEST_SUITE_P(KernelBackends, InPlaceRecord,
                         ::testing::Values(Backend::automatic, Backend::flock, Backend::ofd),
                         backend_name);

}  // namespace
}  // namespace filelock
