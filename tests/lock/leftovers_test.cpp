// Crash leftovers of the LOCKFILE/LOCKDIR protocol ("<lock>.new-...", "<lock>.breaking-...",
// lock_entry.hpp): helper processes leave them as a crash would (killed hard between
// two steps of the protocol, through the protocol's own names and records), and
// fl_clean_stale removes each only once it is provably not in use.
#include <gtest/gtest.h>

#include <cjson/cJSON.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lock/holder_record.hpp"
#include "lock/lock_entry.hpp"
#include "lock/lock_inspect.hpp"
#include "lock_test_util.hpp"
#include "platform/file.hpp"
#include "io/lock_io.hpp"
#include "platform/process.hpp"

using filelock::Backend;
using filelock::LockMode;
using filelock::LockOptions;
using filelock::Status;

namespace fs = std::filesystem;

namespace {

[[noreturn]] void sleep_forever() {
  for (;;) std::this_thread::sleep_for(std::chrono::seconds(60));
}

}  // namespace

// leftover_new LOCK_PATH: does what create_lock_file does up to the rename (its temporary
// name, a record made as a LOCKFILE holder makes it), prints the name, then waits to be
// killed: the state a crash between the two steps leaves.
FLTEST_HELPER("leftover_new") {
  const std::string temp = filelock::placing_name(args.at(0));
  const filelock::HolderRecordTemplate record(filelock::platform::self_identity(), "",
                                              "lockfile", 1);
  if (!filelock::io::create_exclusive_file(
          temp, 0644, record.render(filelock::platform::wall_clock_ms())))
    return 1;
  std::printf("%s\n", temp.c_str());
  sleep_forever();
}

// leftover_break LOCK_PATH DIRECTORY(0|1): moves the entry at LOCK_PATH aside as
// break_lock_entry does, prints the name, then waits to be killed before deleting it or
// putting it back.
FLTEST_HELPER("leftover_break") {
  const std::string &lock_path = args.at(0);
  filelock::platform::FileInfo id;
  std::string bytes;
  if (!filelock::read_lock_entry(lock_path, args.at(1) == "1", id, bytes)) return 1;
  const std::string aside = filelock::breaking_name(lock_path, id, bytes);
  if (!filelock::io::rename_no_replace(lock_path, aside)) return 2;
  std::printf("%s\n", aside.c_str());
  sleep_forever();
}

namespace {

using locktest::Json;

std::string str(const cJSON *v) { return cJSON_IsString(v) ? v->valuestring : "<not a string>"; }

const cJSON *find(const Json &report, const char *list, const char *key, const std::string &path) {
  const cJSON *item;
  cJSON_ArrayForEach(item, report.get(list)) {
    if (str(cJSON_GetObjectItem(item, key)) == path) return item;
  }
  return nullptr;
}

std::string reason(const cJSON *item) { return str(cJSON_GetObjectItem(item, "reason")); }

bool exists(const std::string &path) {
  std::error_code ec;
  return fs::symlink_status(path, ec).type() != fs::file_type::not_found;
}

// Ages a file or directory as if untouched for `seconds`.
void backdate(const std::string &path, int seconds) {
  ASSERT_TRUE(fltest::backdate(path, seconds)) << path;
}

constexpr int kPastPlacingGrace = static_cast<int>(filelock::kPlacingGraceMs / 1000) + 60;
constexpr int kPastOrphanGrace = static_cast<int>(filelock::kOrphanGraceMs / 1000) + 2;

// A helper process killed hard and reaped when the test is done with it, or when a
// failed assertion leaves the test early.
struct Helper {
  Helper(const std::string &role, const std::vector<std::string> &args)
      : p(fltest::spawn_helper(role, args)) {}
  ~Helper() { kill(); }
  Helper(const Helper &) = delete;
  Helper &operator=(const Helper &) = delete;
  std::string read_line() { return fltest::read_line(p); }
  void kill() {
    if (reaped) return;
    fltest::kill_hard(p);
    fltest::wait_exit(p);  // reaped: a zombie would still look alive
    reaped = true;
  }
  fltest::Process p;
  bool reaped = false;
};

std::string backend_arg(Backend b) { return std::to_string(static_cast<int>(b)); }

using locktest::with_backend;

TEST(Leftovers, NamesAreRecognisedExactly) {
  using filelock::LeftoverKind;
  using filelock::parse_leftover_name;
  const auto placing = parse_leftover_name("x.lock.new-123-456-7");
  EXPECT_EQ(placing.kind, LeftoverKind::placing);
  EXPECT_EQ(placing.lock_name, "x.lock");
  EXPECT_EQ(placing.pid, 123);
  EXPECT_EQ(parse_leftover_name("a.b.lock.breaking-0123456789abcdef").kind, LeftoverKind::breaking);
  EXPECT_EQ(parse_leftover_name("a.b.lock.breaking-0123456789abcdef").lock_name, "a.b.lock");
  EXPECT_EQ(parse_leftover_name("x.lock.breaking-1-2-3").kind, LeftoverKind::breaking);
  const auto claim = parse_leftover_name("a.lock.break-0123456789abcdef-12");
  EXPECT_EQ(claim.kind, LeftoverKind::claim);
  EXPECT_EQ(claim.lock_name, "a.lock");
  EXPECT_EQ(claim.tag, "0123456789abcdef");
  for (const char *name : {"x.lock.break-0123456789abcdef", "x.lock.break-0123456789abcdef-",
                           "x.lock.break-0123456789abcde-1", "x.lock.break-0123456789abcdef-1a",
                           "x.lock.break-0123456789ABCDEF-1", "x.lock.break-0123456789abcdef1"})
    EXPECT_EQ(parse_leftover_name(name).kind, LeftoverKind::none) << name;
  for (const char *name : {"x.lock", "x.new-1-2-3", "x.lock.new-1-2", "x.lock.new-1-2-3x",
                           "x.lock.new-a-2-3", "x.lock.new-0-2-3", "x.lock.breaking-0123",
                           "x.lock.breaking-0123456789ABCDEF", "x.lock.breaking-0123456789abcdefa",
                           ".lock.new-1-2-3", "x.lock.new-", "x.lock.new-1--3"})
    EXPECT_EQ(parse_leftover_name(name).kind, LeftoverKind::none) << name;
  // What the protocol itself makes is recognised.
  const std::string made = filelock::placing_name("/d/x.lock");
  EXPECT_EQ(parse_leftover_name(made.substr(3)).kind, LeftoverKind::placing) << made;
  EXPECT_EQ(parse_leftover_name(made.substr(3)).pid, filelock::platform::self_identity().pid);
  filelock::platform::FileInfo id;
  id.dev = 1;
  id.ino = 2;
  const std::string aside = filelock::breaking_name("/d/x.lock", id, "record");
  EXPECT_EQ(parse_leftover_name(aside.substr(3)).kind, LeftoverKind::breaking) << aside;
}

// A LOCKFILE being placed when its creator was killed: kept while the creator lives,
// removed once it is dead (and old enough for min_age_ms).
TEST(Leftovers, PlacingLeftoverIsRemovedOnlyOnceItsCreatorIsDead) {
  fltest::TempDir dir;
  const std::string lock_path = dir.file("x.lock");
  Helper creator("leftover_new", {lock_path});
  const std::string temp = creator.read_line();
  ASSERT_TRUE(exists(temp)) << temp;

  Json live(locktest::clean_json(dir.path(), 0));
  const cJSON *kept = find(live, "kept", "lock_path", temp);
  ASSERT_NE(kept, nullptr) << live.text;
  EXPECT_NE(reason(kept).find("is alive"), std::string::npos) << live.text;
  EXPECT_EQ(str(cJSON_GetObjectItem(kept, "leftover_of")), lock_path) << live.text;
  EXPECT_TRUE(exists(temp));
  Json scan_live(locktest::scan_json(dir.path()));
  const cJSON *listed = find(scan_live, "leftovers", "path", temp);
  ASSERT_NE(listed, nullptr) << scan_live.text;
  EXPECT_EQ(str(cJSON_GetObjectItem(listed, "kind")), "new") << scan_live.text;
  EXPECT_TRUE(cJSON_IsFalse(cJSON_GetObjectItem(listed, "stale"))) << scan_live.text;
  EXPECT_EQ(cJSON_GetArraySize(scan_live.get("locks")), 0) << scan_live.text;

  creator.kill();
  Json scan_dead(locktest::scan_json(dir.path()));
  listed = find(scan_dead, "leftovers", "path", temp);
  ASSERT_NE(listed, nullptr) << scan_dead.text;
  EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(listed, "stale"))) << scan_dead.text;
  EXPECT_TRUE(exists(temp));  // a scan never removes

  Json young(locktest::clean_json(dir.path(), 3600 * 1000));
  kept = find(young, "kept", "lock_path", temp);
  ASSERT_NE(kept, nullptr) << young.text;
  EXPECT_EQ(reason(kept), "younger than min_age_ms");
  EXPECT_TRUE(exists(temp));

  Json dead(locktest::clean_json(dir.path(), 0));
  const cJSON *removed = find(dead, "removed", "lock_path", temp);
  ASSERT_NE(removed, nullptr) << dead.text;
  EXPECT_NE(reason(removed).find("is gone"), std::string::npos) << dead.text;
  EXPECT_EQ(str(cJSON_GetObjectItem(removed, "leftover_of")), lock_path) << dead.text;
  EXPECT_FALSE(exists(temp));
  EXPECT_EQ(cJSON_GetArraySize(dead.get("errors")), 0) << dead.text;
}

// A creator that cannot be proven dead (still running, or no readable record) keeps the
// name only for the grace period: no creator holds it that long.
TEST(Leftovers, PlacingLeftoverIsRemovedAfterTheGracePeriodWithoutProof) {
  fltest::TempDir dir;
  Helper creator("leftover_new", {dir.file("x.lock")});
  const std::string temp = creator.read_line();
  ASSERT_TRUE(exists(temp)) << temp;
  // Killed between O_EXCL create and the write of the record: an empty file.
  const std::string empty = dir.file("y.lock.new-" + std::to_string(creator.p.pid) + "-1-1");
  { std::ofstream(empty) << ""; }
  Json young(locktest::clean_json(dir.path(), 0));
  EXPECT_NE(find(young, "kept", "lock_path", temp), nullptr) << young.text;
  EXPECT_NE(find(young, "kept", "lock_path", empty), nullptr) << young.text;
  backdate(temp, kPastPlacingGrace - 120);
  backdate(empty, kPastPlacingGrace - 120);
  Json almost(locktest::clean_json(dir.path(), 0));
  EXPECT_NE(find(almost, "kept", "lock_path", temp), nullptr) << almost.text;
  EXPECT_NE(find(almost, "kept", "lock_path", empty), nullptr) << almost.text;
  backdate(temp, kPastPlacingGrace);
  backdate(empty, kPastPlacingGrace);
  Json old(locktest::clean_json(dir.path(), 0));
  EXPECT_NE(find(old, "removed", "lock_path", temp), nullptr) << old.text;
  EXPECT_NE(find(old, "removed", "lock_path", empty), nullptr) << old.text;
  EXPECT_FALSE(exists(temp));
  EXPECT_FALSE(exists(empty));
  creator.kill();
}

class BreakingLeftover : public testing::TestWithParam<Backend> {
 protected:
  bool directory() const { return GetParam() == Backend::lockdir; }

  // A breaker that moved the lock at `lock_path` aside and was killed before finishing.
  std::string crashed_breaker(const std::string &lock_path) {
    Helper breaker("leftover_break", {lock_path, directory() ? "1" : "0"});
    return breaker.read_line();
  }
};

// The breaker crashed between moving a dead holder's lock aside and deleting it: the
// holder is proven dead, so removing it is what the breaker was about to do.
TEST_P(BreakingLeftover, DeadHoldersLockMovedAsideIsRemoved) {
  fltest::TempDir dir;
  Helper holder("hold", {dir.file("x"), "exclusive", "60000", backend_arg(GetParam())});
  ASSERT_EQ(holder.read_line(), "locked");
  holder.kill();
  const std::string lock_path = dir.file("x.lock");
  const std::string aside = crashed_breaker(lock_path);
  ASSERT_TRUE(exists(aside)) << aside;
  ASSERT_FALSE(exists(lock_path));

  Json scan(locktest::scan_json(dir.path()));
  const cJSON *listed = find(scan, "leftovers", "path", aside);
  ASSERT_NE(listed, nullptr) << scan.text;
  EXPECT_EQ(str(cJSON_GetObjectItem(listed, "kind")), "breaking") << scan.text;
  EXPECT_EQ(str(cJSON_GetObjectItem(listed, "leftover_of")), lock_path) << scan.text;
  EXPECT_TRUE(cJSON_IsTrue(cJSON_GetObjectItem(listed, "stale"))) << scan.text;

  Json young(locktest::clean_json(dir.path(), 3600 * 1000));
  EXPECT_NE(find(young, "kept", "lock_path", aside), nullptr) << young.text;
  EXPECT_TRUE(exists(aside));

  Json report(locktest::clean_json(dir.path(), 0));
  const cJSON *removed = find(report, "removed", "lock_path", aside);
  ASSERT_NE(removed, nullptr) << report.text;
  EXPECT_NE(reason(removed).find("is gone"), std::string::npos) << report.text;
  EXPECT_FALSE(exists(aside));
  EXPECT_EQ(cJSON_GetArraySize(report.get("errors")), 0) << report.text;
  EXPECT_TRUE(fs::is_empty(dir.path()));
  auto lock = locktest::open_lock(dir.file("x"), with_backend(GetParam()));
  EXPECT_EQ(locktest::status_of([&] { lock->lock(LockMode::exclusive, filelock::kNoWait); }),
            Status::ok);
}

// A breaker moves a live holder's lock aside when it took the name for the stale lock it
// judged, and it puts it back: while the holder lives, the entry is never removed. Once
// the holder is dead it is an ordinary dead holder's lock.
TEST_P(BreakingLeftover, LiveHoldersLockMovedAsideIsKept) {
  fltest::TempDir dir;
  Helper holder("hold", {dir.file("x"), "exclusive", "60000", backend_arg(GetParam())});
  ASSERT_EQ(holder.read_line(), "locked");
  const std::string aside = crashed_breaker(dir.file("x.lock"));
  ASSERT_TRUE(exists(aside)) << aside;
  backdate(aside, kPastPlacingGrace);  // age alone never removes it

  Json live(locktest::clean_json(dir.path(), 0));
  const cJSON *kept = find(live, "kept", "lock_path", aside);
  ASSERT_NE(kept, nullptr) << live.text;
  EXPECT_NE(reason(kept).find("is alive"), std::string::npos) << live.text;
  EXPECT_TRUE(exists(aside));

  holder.kill();
  Json dead(locktest::clean_json(dir.path(), 0));
  EXPECT_NE(find(dead, "removed", "lock_path", aside), nullptr) << dead.text;
  EXPECT_FALSE(exists(aside));
}

INSTANTIATE_TEST_SUITE_P(NameLocks, BreakingLeftover,
                         testing::Values(Backend::lockfile, Backend::lockdir),
                         locktest::BackendName());

// A lock directory moved aside with no record inside (its holder died before writing
// it, or a breaker died between deleting the record and the directory) follows the
// orphan rule: removed only past the grace period.
TEST(Leftovers, BareDirectoryMovedAsideIsRemovedAfterTheOrphanGracePeriod) {
  fltest::TempDir dir;
  const std::string aside = dir.file("x.lock.breaking-0123456789abcdef");
  fs::create_directory(aside);
  Json young(locktest::clean_json(dir.path(), 0));
  EXPECT_NE(find(young, "kept", "lock_path", aside), nullptr) << young.text;
  backdate(aside, kPastOrphanGrace);
  Json old(locktest::clean_json(dir.path(), 0));
  EXPECT_NE(find(old, "removed", "lock_path", aside), nullptr) << old.text;
  EXPECT_FALSE(exists(aside));
}

// Entries with a leftover's name but not the protocol's content, and names that only
// look similar, are never removed however old.
TEST(Leftovers, ForeignEntriesAreNeverRemoved) {
  fltest::TempDir dir;
  const std::string foreign_aside = dir.file("a.lock.breaking-0123456789abcdef");
  const std::string full_dir = dir.file("b.lock.breaking-1-2-3");
  const std::string dir_new = dir.file("c.lock.new-1-2-3");
  const std::string lookalike = dir.file("d.lock.new-1-2");
  { std::ofstream(foreign_aside) << "someone's data\n"; }
  fs::create_directory(full_dir);
  { std::ofstream(full_dir + "/other") << "x"; }
  fs::create_directory(dir_new);
  { std::ofstream(lookalike) << ""; }
  for (const auto &p : {foreign_aside, full_dir, dir_new, lookalike}) backdate(p, kPastPlacingGrace);
  Json report(locktest::clean_json(dir.path(), 0));
  EXPECT_EQ(cJSON_GetArraySize(report.get("removed")), 0) << report.text;
  EXPECT_NE(find(report, "kept", "lock_path", foreign_aside), nullptr) << report.text;
  EXPECT_NE(find(report, "kept", "lock_path", full_dir), nullptr) << report.text;
  EXPECT_NE(find(report, "kept", "lock_path", dir_new), nullptr) << report.text;
  EXPECT_EQ(find(report, "kept", "lock_path", lookalike), nullptr) << report.text;
  for (const auto &p : {foreign_aside, full_dir, dir_new, lookalike}) EXPECT_TRUE(exists(p)) << p;
}

}  // namespace
