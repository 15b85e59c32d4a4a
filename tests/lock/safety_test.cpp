// Opening safely: directories refused untouched; lock_dir naming; holder records.
// The POSIX-only cases (symlinks, FIFOs, mode bits, other users) are in
// safety_posix_test.cpp.
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>

#include "lock/holder_record.hpp"
#include "lock_test_util.hpp"
#include "platform/process.hpp"

using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;
using locktest::open_lock;
using locktest::open_status;
using locktest::slurp;
using locktest::status_of;

namespace {

TEST(Safety, DirectoryIsRefused) {
  fltest::TempDir dir;
  ASSERT_EQ(mkdir(dir.file("x.lock").c_str(), 0755), 0);
  // Not a LOCKDIR lock (that holds nothing but its holder.json): a stray directory.
  ASSERT_EQ(mkdir(dir.file("x.lock/other").c_str(), 0755), 0);
  EXPECT_EQ(open_status(dir.file("x")), Status::invalid);
}

TEST(Safety, LockDirGivesDistinctNamesToDistinctPaths) {
  fltest::TempDir dir;
  ASSERT_EQ(mkdir(dir.file("a").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(dir.file("b").c_str(), 0755), 0);
  ASSERT_EQ(mkdir(dir.file("locks").c_str(), 0755), 0);
  LockOptions o;
  o.lock_dir = dir.file("locks");
  auto a = open_lock(dir.file("a/state.json"), o);
  auto b = open_lock(dir.file("b/state.json"), o);
  auto a2 = open_lock(dir.file("a/../a/state.json"), o);
  EXPECT_NE(a->lock_path(), b->lock_path());
  EXPECT_EQ(a->lock_path(), a2->lock_path());
  const std::string in_locks = dir.file("locks") + fltest::kSeparator + "state.json.";
  EXPECT_EQ(a->lock_path().rfind(in_locks, 0), 0u) << a->lock_path();
  a->lock(LockMode::exclusive, 0);
  EXPECT_EQ(status_of([&] { b->lock(LockMode::exclusive, 0); }), Status::ok);
  EXPECT_EQ(status_of([&] { a2->lock(LockMode::exclusive, 0); }), Status::busy);
}

TEST(Safety, ExclusiveHolderIsRecordedInOneFixedSizeRecord) {
  fltest::TempDir dir;
  LockOptions o;
  o.owner = "orchestrator \"main\"";
  auto a = open_lock(dir.file("x"), o);
  a->lock(LockMode::exclusive, 0);
  const std::string bytes = slurp(dir.file("x.lock"));
  EXPECT_EQ(bytes.size(), filelock::kHolderRecordSize);
  filelock::HolderRecord rec;
  ASSERT_TRUE(filelock::parse_holder_record(bytes, rec)) << bytes;
  EXPECT_EQ(rec.pid, getpid());
  EXPECT_EQ(rec.owner, o.owner);
  EXPECT_EQ(rec.mode, "exclusive");
  EXPECT_GT(rec.start_time, 0);
  // Read back exactly (the record is JSON, its numbers doubles), or a live holder would
  // be judged dead and its LOCKFILE/LOCKDIR lock broken.
  const auto self = filelock::platform::self_identity();
  EXPECT_EQ(rec.start_time, self.start_time);
  EXPECT_EQ(filelock::platform::local_process_liveness(rec.pid, rec.start_time),
            filelock::platform::Liveness::alive);
#ifdef _WIN32
  EXPECT_TRUE(rec.boot_id.empty());  // Windows has no boot id; start times tell boots apart
#else
  EXPECT_FALSE(rec.boot_id.empty());
#endif
  EXPECT_GT(rec.acquired_at, 0);
}

TEST(Safety, NoRecordWhenDisabledOrShared) {
  fltest::TempDir dir;
  LockOptions off;
  off.record_holder = false;
  auto a = open_lock(dir.file("x"), off);
  a->lock(LockMode::exclusive, 0);
  EXPECT_EQ(slurp(dir.file("x.lock")), "");
  a->unlock();
  auto b = open_lock(dir.file("y"));
  b->lock(LockMode::shared, 0);
  EXPECT_EQ(slurp(dir.file("y.lock")), "");
}

}  // namespace

// Found by fuzzing: anyone may write a lock file, so a number no int64 holds must read as
// a plain 0 (before, the cast was undefined behaviour: UBSan's float-cast-overflow).
TEST(Safety, RecordNumbersBeyondInt64ReadAsZero) {
  filelock::HolderRecord rec;
  ASSERT_TRUE(filelock::parse_holder_record(
      R"({"pid":1e300,"host":"h","start_time":-1e300,"acquired_at":1e19})", rec));
  EXPECT_EQ(rec.pid, 0);
  EXPECT_EQ(rec.start_time, 0);
  EXPECT_EQ(rec.acquired_at, 0);
}

// Found by fuzzing: Linux allows any 64 bytes as a hostname; escaped, control characters
// took six bytes each and the record overflowed its fixed size (ASan: a write past the
// end). The host is recorded printable and the record keeps its size.
TEST(Safety, ControlCharacterHostnameFitsTheRecord) {
  filelock::platform::ProcessIdentity self = filelock::platform::self_identity();
  self.host = std::string(64, '\x01');
  self.boot_id = std::string(36, 'b');
  const filelock::HolderRecordTemplate tmpl(self, std::string(300, 'o'), "lockfile", ~uint64_t{0});
  const std::string bytes = tmpl.render(1700000000000);
  ASSERT_EQ(bytes.size(), filelock::kHolderRecordSize);
  EXPECT_EQ(bytes.back(), '\n');
  filelock::HolderRecord rec;
  ASSERT_TRUE(filelock::parse_holder_record(bytes, rec)) << bytes;
  EXPECT_EQ(rec.acquired_at, 1700000000000);
  EXPECT_EQ(rec.host.find('\x01'), std::string::npos);
  EXPECT_FALSE(rec.host.empty());
}
